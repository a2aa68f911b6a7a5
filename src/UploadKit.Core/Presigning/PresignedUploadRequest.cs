namespace UploadKit;

/// <summary>How a client uploads straight to storage.</summary>
public enum PresignedUploadMethod
{
    /// <summary>One <c>PUT</c> of the body to a signed URL.</summary>
    Put,

    /// <summary>A browser form <c>POST</c> (<c>multipart/form-data</c>) with signed policy fields.</summary>
    Post,
}

/// <summary>What a presigned upload URL allows.</summary>
public sealed class PresignedUploadRequest
{
    /// <summary>The default of <see cref="ExpiresIn"/>: 15 minutes.</summary>
    public static readonly TimeSpan DefaultExpiry = TimeSpan.FromMinutes(15);

    /// <summary>Creates a request for uploading <paramref name="name"/>.</summary>
    /// <param name="name">The object name, validated with <see cref="FileStorageNames.Validate"/>.</param>
    public PresignedUploadRequest(string name) => Name = FileStorageNames.Validate(name);

    /// <summary>Gets the object name the upload writes.</summary>
    public string Name { get; }

    /// <summary>Gets or sets the method: a <c>PUT</c> of the body, or a browser form <c>POST</c>.</summary>
    /// <value>Defaults to <see cref="PresignedUploadMethod.Put"/>.</value>
    public PresignedUploadMethod Method { get; set; } = PresignedUploadMethod.Put;

    /// <summary>Gets or sets the media type the client must send; bound into the signature where the backend can.</summary>
    public string? ContentType { get; set; }

    /// <summary>Gets or sets the exact length the client must send, bound into the signature where the backend can.</summary>
    public long? ContentLength { get; set; }

    /// <summary>
    /// Gets or sets the largest length the store itself accepts (an S3 or GCS POST policy's
    /// <c>content-length-range</c>, GCS's <c>x-goog-content-length-range</c>). Backends that cannot enforce it
    /// ignore it; the direct-upload confirmation step checks the size in every case.
    /// </summary>
    public long? MaxLength { get; set; }

    /// <summary>Gets or sets the base64 SHA-256 of the content the client must send, where the backend can bind it.</summary>
    public string? ChecksumSha256 { get; set; }

    /// <summary>Gets or sets the base64 MD5 of the content the client must send (<c>Content-MD5</c>), where the backend can bind it.</summary>
    public string? ContentMd5 { get; set; }

    /// <summary>Gets or sets how long the URL stays valid.</summary>
    /// <value>Defaults to <see cref="DefaultExpiry"/>.</value>
    public TimeSpan ExpiresIn { get; set; } = DefaultExpiry;
}
