using UploadKit;

namespace FormUpload;

/// <summary>The form's view.</summary>
public static class UploadEndpoint
{
    public const long MaxFileSize = 20 << 20;

    public static readonly string[] AllowedExtensions = ["txt", "pdf", "png", "jpg", "jpeg", "mp3"];

    public static async Task<IResult> HandleAsync(HttpContext http, IStorageRegistry storages, CancellationToken cancellationToken)
    {
        // Django's docs: request.upload_handlers.insert(0, ProgressBarUploadHandler(request)) in a view whose body is
        // not read yet. This endpoint's chain gets the progress handler first; other endpoints keep the app's chain.
        http.GetUploadHandlers().Insert(0, new ProgressUploadHandler());
        var form = await http.ReadUploadFormAsync(cancellationToken);

        var errors = new Dictionary<string, string[]>();
        var title = form.GetField("title").ToString().Trim();
        if (title.Length == 0)
        {
            errors["title"] = ["This field is required."];
        }
        else if (title.Length > 50)
        {
            errors["title"] = ["Ensure this field has no more than 50 characters."];
        }

        var files = form.Files.GetFiles("files");
        if (files.Count == 0)
        {
            errors["files"] = ["No file was submitted."];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors);
        }

        // Django's handle_uploaded_file(f), with the default storage in place of a hand-opened destination.
        var storage = storages.Default;
        var saved = new List<SavedFile>(files.Count);
        try
        {
            foreach (var file in files)
            {
                var name = await file.SaveAsync(storage, cancellationToken: cancellationToken);
                saved.Add(new SavedFile(name, file.Length, await storage.GetUrlAsync(name, cancellationToken)));
            }
        }
        catch
        {
            // All or nothing: a failed save removes the files this request already stored.
            foreach (var file in saved)
            {
                await storage.DeleteAsync(file.Name, CancellationToken.None);
            }

            throw;
        }

        return Results.Ok(new UploadResult(title, saved));
    }
}

/// <summary>What the page shows after an upload.</summary>
public sealed record UploadResult(string Title, IReadOnlyList<SavedFile> Files);

/// <summary>A stored file: its name in the storage, its length and its URL.</summary>
public sealed record SavedFile(string Name, long Size, string? Url);
