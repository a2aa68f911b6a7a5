namespace UploadKit.Stores;

/// <summary>Where a direct upload stands.</summary>
public enum UploadSessionState
{
    /// <summary>Begun: the client may upload; nothing is bound to the app's data yet.</summary>
    Pending,

    /// <summary>Confirmed: the object passed every check and was sealed (copied to a key no URL can write); the copy may be bound to the app's
    /// data.</summary>
    Completed,

    /// <summary>Refused at confirmation: the object failed a check and was deleted.</summary>
    Rejected,

    /// <summary>Expired unconfirmed: the sweeper deleted its object.</summary>
    Expired,

    /// <summary>Cancelled by its owner: its object, if any, was deleted.</summary>
    Cancelled,
}

/// <summary>
/// A direct upload's record: the key reserved for it and what the object must be when it is confirmed. Kept in an
/// <see cref="IUploadSessionStore"/> so that any app server can confirm it.
/// </summary>
public sealed class UploadSession
{
    /// <summary>Creates a session record.</summary>
    /// <param name="id">The session's unguessable id.</param>
    /// <param name="storageName">The registry name of the storage the object goes to.</param>
    /// <param name="objectName">The object name reserved in that storage.</param>
    /// <param name="expiresOn">When an unconfirmed upload is swept.</param>
    public UploadSession(string id, string storageName, string objectName, DateTimeOffset expiresOn)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(storageName);
        ArgumentException.ThrowIfNullOrEmpty(objectName);
        Id = id;
        StorageName = storageName;
        ObjectName = objectName;
        ExpiresOn = expiresOn;
    }

    /// <summary>Gets the session's unguessable id.</summary>
    public string Id { get; }

    /// <summary>Gets the registry name of the storage the object goes to.</summary>
    public string StorageName { get; }

    /// <summary>Gets the object name reserved in that storage.</summary>
    public string ObjectName { get; }

    /// <summary>Gets when an unconfirmed upload is swept.</summary>
    public DateTimeOffset ExpiresOn { get; }

    /// <summary>Gets or sets the state.</summary>
    public UploadSessionState State { get; set; } = UploadSessionState.Pending;

    /// <summary>Gets or sets the id of the user who began the upload; only they may complete, read or cancel it.</summary>
    public string? OwnerId { get; set; }

    /// <summary>Gets or sets the file name the client gave.</summary>
    public string? FileName { get; set; }

    /// <summary>Gets or sets the media type the object must have.</summary>
    public string? ContentType { get; set; }

    /// <summary>Gets or sets the exact length the object must have.</summary>
    public long? ExpectedLength { get; set; }

    /// <summary>Gets or sets the largest length the object may have.</summary>
    public long? MaxLength { get; set; }

    /// <summary>Gets or sets the SHA-256 the object must have, as lower-case hexadecimal.</summary>
    public string? ChecksumSha256 { get; set; }

    /// <summary>Gets or sets the form field whose file validators the object must pass.</summary>
    public string? FieldName { get; set; }

    /// <summary>Gets or sets when the session was begun.</summary>
    public DateTimeOffset CreatedOn { get; set; }

    /// <summary>Gets or sets why the object was refused, for a rejected session.</summary>
    public string? RejectionReason { get; set; }

    /// <summary>
    /// Gets or sets the malware scan's verdict, recorded when the upload was completed (<c>clean</c>, or <c>error: …</c> for a
    /// file accepted unscanned where scanning fails open); <see langword="null"/> when the app does not scan. An infected
    /// file's verdict is its <see cref="RejectionReason"/>.
    /// </summary>
    public string? ScanVerdict { get; set; }
}

/// <summary>
/// Keeps direct-upload sessions where every app server sees them: in memory for one server, Redis for many.
/// State changes are compare-and-set, so two servers never both confirm, or sweep and confirm, one session.
/// </summary>
public interface IUploadSessionStore
{
    /// <summary>Records a new session.</summary>
    /// <param name="session">The session.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the session is stored.</returns>
    Task CreateAsync(UploadSession session, CancellationToken cancellationToken = default);

    /// <summary>Reads a session.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The session, or <see langword="null"/> if there is none with that id.</returns>
    Task<UploadSession?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Moves a session from <paramref name="expected"/> to <paramref name="next"/> if it is still in <paramref name="expected"/>.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="expected">The state it must be in.</param>
    /// <param name="next">The new state.</param>
    /// <param name="reason">Why, for a rejection; the malware scan's verdict (<see cref="UploadSession.ScanVerdict"/>), for a completion;
    /// <see langword="null"/> otherwise.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if this call made the change.</returns>
    Task<bool> TryTransitionAsync(
        string id, UploadSessionState expected, UploadSessionState next, string? reason = null, CancellationToken cancellationToken = default);

    /// <summary>Lists pending sessions whose expiry is before <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The expired pending sessions.</returns>
    IAsyncEnumerable<UploadSession> ListExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists sessions that have ended (any state but <see cref="UploadSessionState.Pending"/>) and expired before
    /// <paramref name="expiredBefore"/>. The sweeper deletes what their uploaded key still holds, then forgets them with
    /// <see cref="DeleteAsync"/>; until then the store keeps them.
    /// </summary>
    /// <param name="expiredBefore">The sessions listed expired before this time.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The ended sessions.</returns>
    IAsyncEnumerable<UploadSession> ListEndedAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default);

    /// <summary>Forgets a session.</summary>
    /// <param name="id">The session id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the session is gone.</returns>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}
