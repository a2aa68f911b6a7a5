namespace UploadKit;

/// <summary>A signed request for a client to make straight against storage.</summary>
public sealed class PresignedUrl
{
    /// <summary>Creates a signed request.</summary>
    /// <param name="method">The HTTP method: <c>PUT</c>, <c>POST</c> or <c>GET</c>.</param>
    /// <param name="url">The URL; it carries credentials, so never log it.</param>
    /// <param name="expiresOn">When the signature stops being accepted.</param>
    public PresignedUrl(string method, Uri url, DateTimeOffset expiresOn)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(url);
        Method = method;
        Url = url;
        ExpiresOn = expiresOn;
    }

    /// <summary>Gets the HTTP method.</summary>
    public string Method { get; }

    /// <summary>Gets the URL. It carries credentials: never log it.</summary>
    public Uri Url { get; }

    /// <summary>Gets when the signature stops being accepted.</summary>
    public DateTimeOffset ExpiresOn { get; }

    /// <summary>Gets the headers the client must send, exactly as given.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = UploadFileHeader.EmptyParameters;

    /// <summary>Gets, for a form <c>POST</c>, the fields the client must send before the file part, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> FormFields { get; init; } = [];

    /// <summary>Gets, for a form <c>POST</c>, the name of the file field (<c>"file"</c> on S3 and GCS).</summary>
    public string? FileFieldName { get; init; }
}
