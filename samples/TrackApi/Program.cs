using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Scalar.AspNetCore;
using TrackApi;
using UploadKit;

var builder = WebApplication.CreateBuilder(args);
// An upload-heavy server: Kestrel reads request bodies without first waiting for data on every read (UploadKit.Core's
// README, "Hosting an upload-heavy server").
builder.WebHost.UseSockets(o => o.WaitForDataBeforeAllocatingBuffer = false);


// Storages come from UploadKit:Storages (appsettings.json, environment variables, ...); AddS3Storage makes the
// "S3" backend available to them. The validators are the article's model validators on the track's file: ".mp3"
// only, 1 MiB at most, and content that really is MP3 (its first bytes, an ID3 tag or an MPEG audio frame). Registered
// for the "file" field of the whole app, like validators on a model field, they check every upload of a track file
// while it streams and every direct upload before it is confirmed, reading the object's first bytes from the bucket.
builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"))
    .AddS3Storage()
    .AddValidator(TrackBase.FileExtension, "file")
    .AddValidator(FileValidators.Signature(), "file")
    .AddValidator(FileValidators.MaxSize(TrackBase.MaxFileSize), "file");
builder.Services.AddDbContext<TrackDb>(o =>
    o.UseSqlite(TrackDb.GetConnectionString(builder.Configuration, builder.Environment.ContentRootPath)));
builder.Services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;   // artist_name, release_date, ...
    // URLs as they are ("&", not "\u0026"), so a presigned URL can be copied from curl's output. The API serves JSON
    // only, never JSON inside HTML, which is what the default escaping guards against.
    o.SerializerOptions.Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
});
builder.Services.AddOpenApi();

var app = builder.Build();

await using (var scope = app.Services.CreateAsyncScope())
{
    await scope.ServiceProvider.GetRequiredService<TrackDb>().Database.EnsureCreatedAsync();
}

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseUploadKit();                  // answers rejected uploads and direct-upload confirmations with problem details

app.MapOpenApi();                    // /openapi/v1.json
// /scalar: the interactive UI (the article's drf-spectacular section). It loads nothing from elsewhere: its script is
// served by the app, the fonts are the browser's own, and the AI chat, MCP, telemetry and the developer toolbar
// (Generate SDK, Deploy) are off.
app.MapScalarApiReference(o => o
    .DisableDefaultFonts()
    .DisableAgent()
    .DisableMcp()
    .DisableTelemetry()
    .HideDeveloperTools());
app.MapGet("/", () => Results.Redirect("/scalar")).ExcludeFromDescription();
app.MapStorageFiles("/media");       // Django's MEDIA_URL: serves the default storage
app.MapTrackApi();

app.Run();
