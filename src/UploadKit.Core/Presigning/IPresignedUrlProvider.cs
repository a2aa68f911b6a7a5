namespace UploadKit;

/// <summary>
/// A storage that can hand out signed, expiring URLs, so clients upload and download without the app
/// carrying the bytes. A capability: test for it with <c>storage is IPresignedUrlProvider</c>.
/// </summary>
public interface IPresignedUrlProvider
{
    /// <summary>Creates a URL (and the headers or form fields to send with it) for uploading one object.</summary>
    /// <param name="request">What may be uploaded, and for how long.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The signed request a client makes.</returns>
    /// <exception cref="NotSupportedException">The storage cannot bind a condition the request asks for.</exception>
    Task<PresignedUrl> CreateUploadUrlAsync(PresignedUploadRequest request, CancellationToken cancellationToken = default);

    /// <summary>Creates a URL for downloading one object.</summary>
    /// <param name="request">What may be read, and for how long.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The signed request a client makes.</returns>
    Task<PresignedUrl> CreateDownloadUrlAsync(PresignedDownloadRequest request, CancellationToken cancellationToken = default);
}
