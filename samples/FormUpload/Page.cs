using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using UploadKit;

namespace FormUpload;

/// <summary>The upload page: Django's form template, with the antiforgery token where {% csrf_token %} would be.</summary>
public static class Page
{
    public static IResult Render(HttpContext http, IAntiforgery antiforgery, IOptions<UploadOptions> options)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var perRequest = options.Value.MaxRequestBodySize is { } bytes ? $"{bytes / (1 << 20)} MiB" : "no limit";
        var html = Template
            .Replace(
                "{{types}}",
                WebUtility.HtmlEncode(string.Join(", ", UploadEndpoint.AllowedExtensions.Select(e => "." + e))),
                StringComparison.Ordinal)
            .Replace(
                "{{max-file-size}}", (UploadEndpoint.MaxFileSize >> 20).ToString(CultureInfo.InvariantCulture) + " MiB", StringComparison.Ordinal)
            .Replace("{{max-request-size}}", WebUtility.HtmlEncode(perRequest), StringComparison.Ordinal)
            .Replace("{{token-field}}", WebUtility.HtmlEncode(tokens.FormFieldName), StringComparison.Ordinal)
            .Replace("{{token-header}}", WebUtility.HtmlEncode(tokens.HeaderName ?? "RequestVerificationToken"), StringComparison.Ordinal)
            .Replace("{{token}}", WebUtility.HtmlEncode(tokens.RequestToken ?? ""), StringComparison.Ordinal);
        return Results.Content(html, "text/html; charset=utf-8");
    }

    private const string Template = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Upload files</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml">
          <link rel="stylesheet" href="/upload.css">
        </head>
        <body>
          <h1>Upload files</h1>
          <form id="upload-form" method="post" action="/upload" enctype="multipart/form-data" data-token-header="{{token-header}}" novalidate>
            <input type="hidden" name="{{token-field}}" value="{{token}}">
            <label for="title">Title</label>
            <input type="text" id="title" name="title" maxlength="50">
            <ul class="field-errors" id="errors-title"></ul>
            <label for="files">Files</label>
            <div class="drop" id="drop">
              <p>Drop files here, or choose them:</p>
              <input type="file" id="files" name="files" multiple>
            </div>
            <p class="limits" id="limits">Allowed: {{types}}. Up to {{max-file-size}} per file and {{max-request-size}} per upload.</p>
            <ul class="field-errors" id="errors-files"></ul>
            <progress id="progress" max="100" value="0" aria-valuenow="0" hidden></progress>
            <div id="status" role="status"></div>
            <ul class="field-errors" id="errors-form"></ul>
            <button type="submit" id="submit">Upload</button>
          </form>
          <h2 id="uploaded-heading" hidden>Uploaded</h2>
          <ul id="uploaded"></ul>
          <script src="/upload.js"></script>
        </body>
        </html>
        """;
}
