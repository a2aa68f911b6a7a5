namespace UploadKit;

/// <summary>
/// Direct uploads that stay bound to the app's data: the client uploads straight to storage with a signed request,
/// and the app confirms the object before it binds it to a record. Unconfirmed objects are swept when they expire.
/// </summary>
/// <remarks>
/// <para>
/// A session belongs to the owner it was begun for, an argument of every call and never read from the ambient request:
/// <see cref="CompleteAsync"/>, <see cref="GetAsync"/> and <see cref="CancelAsync"/> find a session only when given
/// the same owner, and answer "not found" otherwise. <see langword="null"/> is "no owner": an anonymous caller, or the
/// app itself; such sessions are found only without an owner. A background job that acts on a user's session passes
/// that user's id, kept with the session id.
/// </para>
/// <para>
/// The endpoints of <c>MapDirectUploads</c> pass the signed-in user's id, and on completion the file validators they were
/// given with <c>WithFileValidators</c>; an app's own endpoint passes what it decides.
/// </para>
/// </remarks>
public interface IDirectUploads
{
    /// <summary>
    /// Reserves a fresh object name in <paramref name="storageName"/>, records a pending session with its owner and what
    /// the object must be, and returns the signed request the client makes: the storage's own presigned URL, or for
    /// storages without one (<c>FileSystem</c>, <c>InMemory</c>) an HMAC-signed URL to the app's <c>MapDirectUploads</c>
    /// endpoint. That URL is relative to the app unless <see cref="DirectUploadOptions.PublicBaseUrl"/> is set (the
    /// mapped begin endpoint makes it absolute on its own request).
    /// </summary>
    /// <param name="storageName">The registry name of the storage the object goes to.</param>
    /// <param name="request">The file's name, type, size limits, checksum and expiry.</param>
    /// <param name="ownerId">The id of the user the upload belongs to; <see langword="null"/> for none (an anonymous caller, the app).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session id and the request the client makes.</returns>
    /// <exception cref="KeyNotFoundException">No storage has that name.</exception>
    /// <exception cref="ArgumentException">The request is inconsistent (a length over the maximum, a malformed checksum).</exception>
    /// <exception cref="NotSupportedException">The storage cannot sign the requested method.</exception>
    Task<DirectUpload> BeginAsync(
        string storageName, DirectUploadRequest request, string? ownerId = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Confirms a direct upload: the object must exist with the expected size, type and checksum and pass the app-wide
    /// file validators of the session's field (<c>AddValidator</c>), then <paramref name="validators"/>. A failed check
    /// deletes the object and throws a 400 rejection that says why. The verified object is then sealed: copied inside the
    /// store (conditional on its entity tag) to a key no issued URL can write, the copy checked against it and returned,
    /// and the uploaded key deleted; a URL that is still valid can then neither overwrite nor recreate what the app
    /// binds. Completing a completed session again returns the same file.
    /// </summary>
    /// <param name="id">The session id from <see cref="BeginAsync"/>.</param>
    /// <param name="ownerId">The owner the session was begun for; <see langword="null"/> for none.</param>
    /// <param name="validators">More validators the object must pass, such as the completing endpoint's; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The sealed object, to keep on the app's record: its <see cref="StoredFileInfo.StorageName"/> and <see cref="StoredFileInfo.Name"/>,
    /// and what it was verified to be (length, media type, SHA-256 in <see cref="StoredFileInfo.Checksums"/>, entity tag).</returns>
    /// <exception cref="UploadRejectedException">
    /// 400 when the object is missing or fails a check (with <see cref="UploadRejectedException.Errors"/> on the field),
    /// 404 for an unknown session or one of another owner, 410 for an expired or cancelled session.
    /// </exception>
    Task<StoredFileInfo> CompleteAsync(
        string id, string? ownerId = null, IEnumerable<IFileValidator>? validators = null, CancellationToken cancellationToken = default);

    /// <summary>Cancels a pending direct upload and deletes its object, if one was uploaded.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="ownerId">The owner the session was begun for; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the session was pending and is now cancelled; <see langword="false"/> if it had already ended.</returns>
    /// <exception cref="UploadRejectedException">404 for an unknown session or one of another owner.</exception>
    Task<bool> CancelAsync(string id, string? ownerId = null, CancellationToken cancellationToken = default);

    /// <summary>Reads where a direct upload stands, with its sealed object once it is completed.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="ownerId">The owner the session was begun for; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The upload's status, or <see langword="null"/> if there is none with that id or it belongs to another owner.</returns>
    Task<DirectUploadStatus?> GetAsync(string id, string? ownerId = null, CancellationToken cancellationToken = default);
}
