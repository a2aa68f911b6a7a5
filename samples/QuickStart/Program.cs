using Microsoft.Extensions.Options;
using QuickStart;
using UploadKit;

var builder = WebApplication.CreateBuilder(args);
// An upload-heavy server: Kestrel reads request bodies without first waiting for data on every read (UploadKit.Core's
// README, "Hosting an upload-heavy server").
builder.WebHost.UseSockets(o => o.WaitForDataBeforeAllocatingBuffer = false);
builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"));

var app = builder.Build();
app.UseStaticFiles();                                  // the page's stylesheet and script, from wwwroot/
app.MapStorageFiles("/media");                         // the saved files, like Django's MEDIA_URL

// The page follows each upload on GET /upload-progress/{id}/events (server-sent events). The sample has no sign-in,
// so the progress endpoints are opened to anonymous callers explicitly: an upload's random 128-bit id guards it.
app.MapUploadProgress("/upload-progress", o => o.AllowAnonymous = true);

// The page: the upload form, the limits, and what has been saved so far.
app.MapGet("/", async (IStorageRegistry storages, IOptions<UploadOptions> options, CancellationToken ct) =>
    Page.Render(Limits.From(options.Value), await Files.ListAsync(storages.Default, ct)));

// Every file of the form's "files" field is checked while it streams and saved into the default storage. A browser's
// plain form post gets the page back with the result; a client that accepts JSON gets JSON and problem details.
app.MapPost("/upload", Files.UploadAsync)
    .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new MemoryUploadHandler(), _ => new TemporaryFileUploadHandler())
    .WithFileValidators("files", FileValidators.Extensions(Limits.Extensions), FileValidators.MaxSize(Limits.MaxFileSize))
    .WithUploadFields(["files"], []);

// Larger files, resumably (tus 1.0 and the IETF draft on one route): the page sends a file over Limits.MaxFileSize here in
// 5 MiB appends, and a broken connection resumes where the server stands. A completed upload is stored like the form's
// files, under its own name in the default storage (a taken name gets a fresh suffix), so /files and /media/ show it.
// No sign-in here either: an upload's address, random and unguessable, guards it.
app.MapResumableUploads("/resumable", o =>
{
    o.MaxSize = Limits.MaxResumableSize;
    o.Authorization.AllowAnonymous = true;
}).WithFileValidators("file", FileValidators.Extensions(Limits.Extensions));

// What has been saved so far, as JSON: name, size and link of each file.
app.MapGet("/files", async (IStorageRegistry storages, CancellationToken ct) => await Files.ListAsync(storages.Default, ct));

app.Run();
