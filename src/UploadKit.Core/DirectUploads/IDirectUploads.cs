using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// Direct uploads that stay bound to the app's data: the client uploads straight to storage with a signed request,
/// and the app confirms the object before it binds it to a record. Unconfirmed objects are swept when they expire.
/// </summary>
/// <remarks>
/// A session belongs to the user who began it (the request's <see cref="System.Security.Claims.ClaimsPrincipal"/>):
/// within a request, another user gets "not found" from <see cref="CompleteAsync"/>, <see cref="GetAsync"/> and
/// <see cref="CancelAsync"/>. Code running outside a request (a background job) acts for the app and may act on any session.
/// </remarks>
public interface IDirectUploads
{
    /// <summary>
    /// Reserves a fresh object name in <paramref name="storageName"/>, records a pending session with what the object
    /// must be, and returns the signed request the client makes: the storage's own presigned URL, or for storages
    /// without one (<c>FileSystem</c>, <c>InMemory</c>) an HMAC-signed URL to the app's <c>MapDirectUploads</c> endpoint.
    /// </summary>
    /// <param name="storageName">The registry name of the storage the object goes to.</param>
    /// <param name="request">The file's name, type, size limits, checksum and expiry.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session id and the request the client makes.</returns>
    /// <exception cref="KeyNotFoundException">No storage has that name.</exception>
    /// <exception cref="ArgumentException">The request is inconsistent (a length over the maximum, a malformed checksum).</exception>
    /// <exception cref="NotSupportedException">The storage cannot sign the requested method.</exception>
    Task<DirectUpload> BeginAsync(string storageName, DirectUploadRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Confirms a direct upload: the object must exist with the expected size, type and checksum and pass the file
    /// validators of the session's field. A failed check deletes the object and throws a 400 rejection that says why.
    /// The verified object is then sealed: copied inside the store (conditional on its entity tag) to a key no issued URL
    /// can write, the copy checked against it and returned, and the uploaded key deleted; a URL that is still valid can
    /// then neither overwrite nor recreate what the app binds. Completing a completed session again returns the same reference.
    /// </summary>
    /// <param name="id">The session id from <see cref="BeginAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A reference to the stored object, to keep on the app's record.</returns>
    /// <exception cref="UploadRejectedException">
    /// 400 when the object is missing or fails a check (with <see cref="UploadRejectedException.Errors"/> on the field),
    /// 404 for an unknown session or one of another user, 410 for an expired or cancelled session.
    /// </exception>
    Task<StoredFileReference> CompleteAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Cancels a pending direct upload and deletes its object, if one was uploaded.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the session was pending and is now cancelled; <see langword="false"/> if it had already ended.</returns>
    /// <exception cref="UploadRejectedException">404 for an unknown session or one of another user.</exception>
    Task<bool> CancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Reads a session.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session, or <see langword="null"/> if there is none with that id or it belongs to another user.</returns>
    Task<UploadSession?> GetAsync(string id, CancellationToken cancellationToken = default);
}
