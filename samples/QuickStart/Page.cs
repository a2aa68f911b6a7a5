using System.Globalization;
using System.Net;
using System.Text;

namespace QuickStart;

/// <summary>
/// The upload page, rendered on the server so that it works without JavaScript: the form posts the files and the
/// answer is this page again, with what was saved or why it was refused. wwwroot/quickstart.js enhances it: each file
/// uploads on its own with a progress bar fed by the progress endpoint, and errors show next to their file; a file over
/// <see cref="Limits.MaxFileSize"/> goes to the resumable route with tus-js-client instead.
/// </summary>
public static class Page
{
    public static IResult Render(
        Limits limits,
        IReadOnlyList<SavedFile> files,
        IReadOnlyList<SavedFile>? saved = null,
        string? error = null,
        int statusCode = StatusCodes.Status200OK)
    {
        var types = string.Join(", ", Limits.Extensions.Select(e => "." + e));
        var perRequest = limits.MaxRequestBodySize == long.MaxValue ? "no limit" : Limits.FormatSize(limits.MaxRequestBodySize);
        var html = new StringBuilder(Template)
            .Replace("{{accept}}", Encode(string.Join(",", Limits.Extensions.Select(e => "." + e))))
            .Replace("{{types}}", Encode(types))
            .Replace("{{max-file-size}}", Encode(Limits.FormatSize(Limits.MaxFileSize)))
            .Replace("{{max-file-bytes}}", Limits.MaxFileSize.ToString(CultureInfo.InvariantCulture))
            .Replace("{{max-resumable-size}}", Encode(Limits.FormatSize(Limits.MaxResumableSize)))
            .Replace("{{max-request-size}}", Encode(perRequest))
            .Replace("{{max-files}}", limits.MaxFileCount.ToString(CultureInfo.InvariantCulture))
            .Replace("{{result}}", Result(saved, error))
            .Replace("{{files}}", FileRows(files))
            .Replace("{{empty-hidden}}", files.Count == 0 ? string.Empty : " hidden")
            .ToString();
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    private static string Result(IReadOnlyList<SavedFile>? saved, string? error)
    {
        if (error is not null)
        {
            return $"""<p class="notice error" id="result" role="alert"><strong>Not uploaded.</strong> {Encode(error)} Nothing was kept.</p>""";
        }

        if (saved is null)
        {
            return string.Empty;
        }

        var names = string.Join(", ", saved.Select(f => Encode(f.Name)));
        var files = saved.Count == 1 ? "file" : "files";
        return $"""<p class="notice ok" id="result" role="status"><strong>Saved {saved.Count} {files}:</strong> {names}.</p>""";
    }

    private static string FileRows(IReadOnlyList<SavedFile> files)
    {
        var rows = new StringBuilder();
        foreach (var file in files)
        {
            var name = Encode(file.Name);
            var link = file.Url is null ? name : $"""<a href="{Encode(file.Url)}">{name}</a>""";
            rows.Append(
                CultureInfo.InvariantCulture,
                $"""<tr><td class="name">{link}</td><td class="size" data-bytes="{file.Size}">{Encode(Limits.FormatSize(file.Size))}</td></tr>""");
        }

        return rows.ToString();
    }

    private static string Encode(string value) => WebUtility.HtmlEncode(value);

    private const string Template = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Upload files · UploadKit</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml">
          <link rel="stylesheet" href="/quickstart.css">
        </head>
        <body>
          <main>
            <header>
              <h1>Upload files</h1>
              <p class="lead">Files are checked while they stream and saved into the <code>media</code> folder.</p>
            </header>
            {{result}}
            <form id="upload-form" class="card" method="post" action="/upload" enctype="multipart/form-data"
              data-resumable="/resumable/" data-resumable-over="{{max-file-bytes}}">
              <label class="drop" id="drop" for="files">
                <svg aria-hidden="true" viewBox="0 0 24 24" width="40" height="40">
                  <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" fill="none" stroke="currentColor"
                    stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>
                </svg>
                <span class="drop-title"><span class="with-script">Drop files here or </span><span class="link">choose files</span></span>
                <input type="file" id="files" name="files" multiple accept="{{accept}}">
              </label>
              <ul class="limits" id="limits">
                <li>Types: <strong>{{types}}</strong></li>
                <li>Up to <strong>{{max-file-size}}</strong> per file<span class="with-script">; larger files, up to
                  <strong>{{max-resumable-size}}</strong>, upload resumably</span></li>
                <li>Up to <strong>{{max-files}} files</strong> and <strong>{{max-request-size}}</strong> per upload</li>
              </ul>
              <ol class="queue" id="queue" hidden></ol>
              <div class="overall" id="overall" hidden>
                <div class="overall-label"><span>Overall</span><span id="overall-text">0%</span></div>
                <progress id="overall-bar" max="100" value="0"></progress>
              </div>
              <div class="actions">
                <button type="submit" id="submit">Upload</button>
                <span id="status" role="status"></span>
              </div>
            </form>
            <section class="card" aria-labelledby="saved-heading">
              <h2 id="saved-heading">Saved files</h2>
              <p class="empty" id="files-empty"{{empty-hidden}}>Nothing saved yet.</p>
              <table id="saved-files">
                <thead><tr><th scope="col">Name</th><th scope="col" class="size">Size</th></tr></thead>
                <tbody>{{files}}</tbody>
              </table>
              <p class="hint">Also as JSON: <a href="/files">/files</a>. Each file is served under <code>/media/</code>.</p>
            </section>
          </main>
          <script src="/lib/tus.min.js"></script>
          <script src="/quickstart.js"></script>
        </body>
        </html>
        """;
}
