using System.Net.Http.Headers;

namespace UploadKit.Testing;

/// <summary>Sends a direct upload the way a browser or a plain HTTP client would: exactly the signed request, nothing else.</summary>
public static class DirectUploadClient
{
    /// <summary>Uploads <paramref name="content"/> with the signed request of <paramref name="upload"/>.</summary>
    /// <param name="client">A plain client (its base address is used for app-relative URLs).</param>
    /// <param name="upload">The begun upload.</param>
    /// <param name="content">The file's bytes.</param>
    /// <param name="contentType">A media type to send instead of the signed one, to test refusals.</param>
    /// <returns>The storage's response.</returns>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, DirectUpload upload, byte[] content, string? contentType = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(upload);
        using var request = new HttpRequestMessage(new HttpMethod(upload.SignedRequest.Method), upload.SignedRequest.Url);
        if (upload.SignedRequest.Method == "POST")
        {
            var form = new MultipartFormDataContent();
            foreach (var field in upload.SignedRequest.FormFields)
            {
                form.Add(new StringContent(field.Value), field.Key);
            }

            var file = new ByteArrayContent(content);
            file.Headers.ContentType = MediaTypeHeaderValue.Parse(
                contentType ?? upload.SignedRequest.Headers.GetValueOrDefault("Content-Type") ?? "application/octet-stream");
            form.Add(file, upload.SignedRequest.FileFieldName ?? "file", "upload");
            request.Content = form;
        }
        else
        {
            request.Content = new ByteArrayContent(content);
            foreach (var (name, value) in upload.SignedRequest.Headers)
            {
                if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
                {
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? value);
                }
                else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    // HttpClient sends the body's own length; a signed length that differs is what the store refuses.
                }
                else if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
                {
                    request.Content.Headers.TryAddWithoutValidation(name, value);
                }
                else
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }
            }

            if (contentType is not null && request.Content.Headers.ContentType is null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
        }

        return await client.SendAsync(request);
    }
}
