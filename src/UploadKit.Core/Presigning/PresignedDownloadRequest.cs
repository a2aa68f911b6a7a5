namespace UploadKit;

/// <summary>What a presigned download URL allows.</summary>
public sealed class PresignedDownloadRequest
{
    /// <summary>Creates a request for reading <paramref name="name"/>.</summary>
    /// <param name="name">The object name, validated with <see cref="FileStorageNames.Validate"/>.</param>
    public PresignedDownloadRequest(string name) => Name = FileStorageNames.Validate(name);

    /// <summary>Gets the object name.</summary>
    public string Name { get; }

    /// <summary>Gets or sets how long the URL stays valid.</summary>
    /// <value>Defaults to 15 minutes.</value>
    public TimeSpan ExpiresIn { get; set; } = PresignedUploadRequest.DefaultExpiry;

    /// <summary>Gets or sets a <c>Content-Disposition</c> the response carries (e.g. <c>attachment; filename="a.pdf"</c>), where the backend supports
    /// it.</summary>
    public string? ResponseContentDisposition { get; set; }

    /// <summary>Gets or sets a <c>Content-Type</c> the response carries, where the backend supports it.</summary>
    public string? ResponseContentType { get; set; }
}
