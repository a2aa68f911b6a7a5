using System.Globalization;
using Microsoft.Extensions.Options;
using UploadKit;

namespace QuickStart;

/// <summary>What the page promises about an upload; the endpoint's validators and the page read the same values.</summary>
/// <param name="MaxRequestBodySize">The most bytes one request may send (<c>UploadKit:MaxRequestBodySize</c>).</param>
/// <param name="MaxFileCount">The most files one request may send (<c>UploadKit:MaxFileCount</c>).</param>
public sealed record Limits(long MaxRequestBodySize, int MaxFileCount)
{
    /// <summary>The most bytes one file may have: a larger file is refused the moment it crosses this.</summary>
    public const long MaxFileSize = 20 << 20;

    /// <summary>The most bytes one file sent resumably (<c>/resumable</c>) may have; the page sends a file over
    /// <see cref="MaxFileSize"/> that way.</summary>
    public const long MaxResumableSize = 2L << 30;

    /// <summary>The file types the endpoint takes, by extension.</summary>
    public static readonly string[] Extensions = ["png", "jpg", "jpeg", "gif", "webp", "pdf", "txt", "csv", "md", "mp3", "zip"];

    public static Limits From(UploadOptions options) => new(options.MaxRequestBodySize ?? long.MaxValue, options.MaxFileCount);

    /// <summary>A size as a person reads it, in binary units: <c>20 MiB</c>, <c>1.5 KiB</c>, <c>12 bytes</c>.</summary>
    public static string FormatSize(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + (bytes == 1 ? " byte" : " bytes");
        }

        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString(value < 10 ? "0.#" : "0", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}

/// <summary>A saved file: its name in the storage, its length and where it is served.</summary>
public sealed record SavedFile(string Name, long Size, string? Url);

/// <summary>The answer to an upload: the files it saved.</summary>
public sealed record UploadResult(IReadOnlyList<SavedFile> Files);

/// <summary>The upload endpoint and the listing of saved files.</summary>
public static class Files
{
    /// <summary>
    /// Reads the form through the endpoint's handler chain, then saves every file of its <c>files</c> field into the
    /// default storage. A refusal (a validator, a limit, a malformed body) is answered as problem details, or, for a
    /// browser's plain form post, as the page with the error next to the file field.
    /// </summary>
    public static async Task<IResult> UploadAsync(HttpContext http, IStorageRegistry storages, IOptions<UploadOptions> options, CancellationToken ct)
    {
        var html = WantsHtml(http.Request);
        var limits = Limits.From(options.Value);
        UploadForm form;
        try
        {
            form = await http.ReadUploadFormAsync(ct);
        }
        catch (UploadRejectedException refusal) when (html)
        {
            // The problem a JSON client would get, rendered for a person. The upload left nothing behind.
            var message = refusal.Errors?.Values.SelectMany(m => m).FirstOrDefault() ?? refusal.Message;
            var error = refusal.FileName is { Length: > 0 } name ? $"{name}: {message}" : message;
            return Page.Render(limits, await ListAsync(storages.Default, ct), error: error, statusCode: refusal.StatusCode);
        }

        var files = form.Files.GetFiles("files");
        if (files.Count == 0)
        {
            const string Missing = "Choose at least one file.";
            return html
                ? Page.Render(limits, await ListAsync(storages.Default, ct), error: Missing, statusCode: StatusCodes.Status400BadRequest)
                : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["files"] = [Missing] });
        }

        var storage = storages.Default;
        var saved = new List<SavedFile>(files.Count);
        foreach (var file in files)
        {
            var name = await file.SaveAsync(storage, cancellationToken: ct);   // the name actually used
            saved.Add(new SavedFile(name, file.Length, await storage.GetUrlAsync(name, ct)));
        }

        return html
            ? Page.Render(limits, await ListAsync(storage, ct), saved: saved)
            : TypedResults.Ok(new UploadResult(saved));
    }

    /// <summary>The files of a storage, newest first.</summary>
    public static async Task<IReadOnlyList<SavedFile>> ListAsync(IFileStorage storage, CancellationToken ct)
    {
        var files = new List<(SavedFile File, DateTimeOffset? Modified)>();
        await foreach (var file in storage.ListAsync(cancellationToken: ct))
        {
            files.Add((new SavedFile(file.Name, file.Length, await storage.GetUrlAsync(file.Name, ct)), file.LastModified));
        }

        return files.OrderByDescending(f => f.Modified).ThenBy(f => f.File.Name, StringComparer.Ordinal).Select(f => f.File).ToList();
    }

    /// <summary>
    /// Whether the client asked for a page: a browser's form post accepts <c>text/html</c> first. A client that accepts
    /// JSON as much, or anything (<c>*/*</c>, as curl does), gets JSON.
    /// </summary>
    public static bool WantsHtml(HttpRequest request)
    {
        double html = 0, json = 0;
        foreach (var accept in request.GetTypedHeaders().Accept)
        {
            var quality = accept.Quality ?? 1;
            if (accept.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase))
            {
                html = Math.Max(html, quality);
            }
            else if (accept.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || accept.MediaType.Equals("application/problem+json", StringComparison.OrdinalIgnoreCase))
            {
                json = Math.Max(json, quality);
            }
        }

        return html > json;
    }
}
