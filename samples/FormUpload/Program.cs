using FormUpload;
using UploadKit;

var builder = WebApplication.CreateBuilder(args);
// An upload-heavy server: Kestrel reads request bodies without first waiting for data on every read (UploadKit.Core's
// README, "Hosting an upload-heavy server").
builder.WebHost.UseSockets(o => o.WaitForDataBeforeAllocatingBuffer = false);
var uploadKit = builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"));

// Every file is scanned by clamd while it streams when an endpoint is configured (README: starting clamd locally with
// the test signatures); an infected file is refused with its field and the signature, shown next to the file.
if (!string.IsNullOrEmpty(builder.Configuration["UploadKit:Scanning:ClamAv:Endpoint"]))
{
    uploadKit.AddClamAvScanning();
}

builder.Services.AddAntiforgery();

var app = builder.Build();

app.UseStaticFiles();
app.MapGet("/", Page.Render);
app.MapStorageFiles("/media");

// The page polls GET /upload-progress/{id} while its upload runs. The sample has no sign-in, so the endpoints are
// opened to anonymous callers explicitly: an upload's random 128-bit progress id is then what guards its progress.
app.MapUploadProgress("/upload-progress", o => o.AllowAnonymous = true);

// Django's upload_file view: a title and several files in one field, each file validated on its own as it streams
// (a refused file stops the upload there and leaves nothing behind), the antiforgery token checked before any byte
// of the body is read, and a progress handler put in front of the chain for this view only (UploadEndpoint.cs).
app.MapPost("/upload", UploadEndpoint.HandleAsync)
    .WithUploadAntiforgery()
    .WithFileValidators("files", FileValidators.Extensions(UploadEndpoint.AllowedExtensions), FileValidators.MaxSize(UploadEndpoint.MaxFileSize))
    .WithUploadFields(["files"], ["title"]);

// The resumable page (ResumablePage.cs): Uppy's Dashboard sends files with tus to the route below, which also speaks the
// IETF resumable-upload draft. Every chunk passes the same extension check as the form, and a completed upload is stored
// in the default storage under its own name, next to the form's files. No antiforgery token is needed: these requests
// carry tus headers, which a page of another site cannot send without a CORS grant this app never gives. No sign-in
// either: an upload's unguessable address guards it.
app.MapGet("/resumable", ResumablePage.RenderAsync);
app.MapResumableUploads(ResumablePage.Route, o =>
{
    o.MaxSize = ResumablePage.MaxFileSize;
    o.Authorization.AllowAnonymous = true;
}).WithFileValidators("file", FileValidators.Extensions(UploadEndpoint.AllowedExtensions));

app.Run();
