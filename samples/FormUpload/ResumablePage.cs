using System.Net;
using System.Text;
using UploadKit;

namespace FormUpload;

/// <summary>
/// The resumable page: Uppy's Dashboard with its Tus plugin (bundled into wwwroot/lib from the pinned npm packages, so
/// nothing loads from elsewhere) sends each file to <c>/resumable/uploads</c> in chunks; a dropped connection or a
/// browser gone offline resumes where the server stands. What was stored is listed below, from the storage itself.
/// </summary>
public static class ResumablePage
{
    /// <summary>Where the page's uploads go: the route <c>MapResumableUploads</c> serves.</summary>
    public const string Route = "/resumable/uploads";

    /// <summary>The largest file the page sends.</summary>
    public const long MaxFileSize = 1L << 30;

    public static async Task<IResult> RenderAsync(IStorageRegistry storages, CancellationToken cancellationToken)
    {
        var storage = storages.Default;
        var rows = new StringBuilder();
        await foreach (var file in storage.ListAsync(cancellationToken: cancellationToken))
        {
            var name = WebUtility.HtmlEncode(file.Name);
            var url = await storage.GetUrlAsync(file.Name, cancellationToken) is { } link ? WebUtility.HtmlEncode(link) : null;
            rows.Append(url is null ? $"<li>{name}</li>" : $"""<li><a href="{url}">{name}</a></li>""");
        }

        var html = Template
            .Replace("{{route}}", Route + "/", StringComparison.Ordinal)
            .Replace("{{types}}", string.Join(",", UploadEndpoint.AllowedExtensions.Select(e => "." + e)), StringComparison.Ordinal)
            .Replace("{{max-file-size}}", MaxFileSize.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{files}}", rows.ToString(), StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private const string Template = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Resumable upload</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml">
          <link rel="stylesheet" href="/lib/uppy.min.css">
          <link rel="stylesheet" href="/upload.css">
        </head>
        <body>
          <h1>Resumable upload</h1>
          <p>Large files go in 1 MiB chunks; if the connection drops, the upload continues where it stopped.
            <a href="/">The plain form</a> is still there.</p>
          <div id="dashboard" data-endpoint="{{route}}" data-types="{{types}}" data-max-file-size="{{max-file-size}}"></div>
          <h2>Stored files</h2>
          <ul id="stored">{{files}}</ul>
          <script src="/lib/uppy.min.js"></script>
          <script src="/resumable.js"></script>
        </body>
        </html>
        """;
}
