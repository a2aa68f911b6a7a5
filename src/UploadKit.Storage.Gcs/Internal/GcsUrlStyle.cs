namespace UploadKit.Storage.Gcs.Internal;

/// <summary>Where the bucket goes in a signed URL.</summary>
internal enum GcsUrlStyle
{
    /// <summary><c>https://storage.googleapis.com/bucket/object</c>.</summary>
    PathStyle,

    /// <summary><c>https://bucket.storage.googleapis.com/object</c>.</summary>
    VirtualHostedStyle,

    /// <summary><c>https://cdn.example.com/object</c>: a CNAME or load balancer bound to the bucket.</summary>
    BucketBoundHostname,
}

/// <summary>The scheme and authority (host, optional port) signed URLs are made for, and how the bucket appears.</summary>
/// <param name="Scheme"><c>https</c> or <c>http</c>.</param>
/// <param name="Authority">A host with an optional port: <c>storage.googleapis.com</c>, <c>127.0.0.1:9000</c>, or a bucket-bound hostname.</param>
/// <param name="Style">Where the bucket goes.</param>
internal sealed record GcsUrlTarget(string Scheme, string Authority, GcsUrlStyle Style)
{
    /// <summary>Google's default: path style on <c>https://storage.googleapis.com</c>.</summary>
    public static GcsUrlTarget Default { get; } = new("https", "storage.googleapis.com", GcsUrlStyle.PathStyle);
}
