using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Scalar.AspNetCore;
using TrackApi;

var builder = WebApplication.CreateBuilder(args);

// Storages come from UploadKit:Storages (appsettings.json, environment variables, ...); AddS3Storage makes the
// "S3" backend available to them.
builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"))
    .AddS3Storage();
builder.Services.AddDbContext<TrackDb>(o =>
    o.UseSqlite(TrackDb.GetConnectionString(builder.Configuration, builder.Environment.ContentRootPath)));
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
builder.Services.AddOpenApi();

var app = builder.Build();

await using (var scope = app.Services.CreateAsyncScope())
{
    await scope.ServiceProvider.GetRequiredService<TrackDb>().Database.EnsureCreatedAsync();
}

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();                    // /openapi/v1.json
app.MapScalarApiReference();         // /scalar: the interactive UI (the article's drf-spectacular section)
app.MapGet("/", () => Results.Redirect("/scalar")).ExcludeFromDescription();
app.MapStorageFiles("/media");       // Django's MEDIA_URL: serves the default storage
app.MapTrackApi();

app.Run();
