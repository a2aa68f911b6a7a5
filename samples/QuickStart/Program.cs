using UploadKit;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"));

var app = builder.Build();
app.MapStorageFiles("/media");

// The HTML form: several files and a text field, posted as multipart/form-data.
app.MapGet("/", () => Results.Content(Page.Html, "text/html; charset=utf-8"));

// Django's request.FILES: every file of the form is saved into the default storage.
app.MapPost("/upload", async (UploadForm form, IStorageRegistry storages, CancellationToken ct) =>
{
    var saved = new List<object>();
    foreach (var file in form.Files)
    {
        var name = await file.SaveAsync(storages.Default, cancellationToken: ct);
        saved.Add(new { field = file.FieldName, name, size = file.Length, contentType = file.ContentType, url = await storages.Default.GetUrlAsync(name, ct) });
    }

    return Results.Ok(new { title = form.GetField("title").ToString(), files = saved });
})
.WithFileValidators("files", FileValidators.MaxSize(50 << 20));

// What has been saved so far, as JSON.
app.MapGet("/files", async (IStorageRegistry storages, CancellationToken ct) =>
{
    var files = new List<object>();
    await foreach (var file in storages.Default.ListAsync(cancellationToken: ct))
    {
        files.Add(new { file.Name, file.Length, file.ContentType, url = await storages.Default.GetUrlAsync(file.Name, ct) });
    }

    return files;
});

app.Run();

internal static class Page
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>UploadKit quick start</title>
        <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto}label{display:block;margin:.5rem 0}</style></head>
        <body>
          <h1>Upload files</h1>
          <form method="post" action="/upload" enctype="multipart/form-data">
            <label>Title <input name="title" required></label>
            <label>Files <input type="file" name="files" multiple required></label>
            <button type="submit">Upload</button>
          </form>
          <p>Saved files: <a href="/files">/files</a> (JSON). Each is served under <code>/media/</code>.</p>
        </body>
        </html>
        """;
}
