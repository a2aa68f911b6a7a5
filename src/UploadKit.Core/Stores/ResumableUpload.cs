namespace UploadKit.Stores;

/// <summary>Where a resumable upload stands.</summary>
public enum ResumableUploadState
{
    /// <summary>Taking bytes: the client may append.</summary>
    Receiving,

    /// <summary>Every byte arrived, passed the checks and was committed to storage.</summary>
    Completed,

    /// <summary>Refused by a check; what it had written was removed.</summary>
    Rejected,

    /// <summary>Ended by its owner; what it had written was removed.</summary>
    Terminated,

    /// <summary>Not finished in time; the sweeper removed what it had written.</summary>
    Expired,
}

/// <summary>
/// A resumable upload's record: who owns it, how far it got and the storage's state for its bytes. Kept in an
/// <see cref="IResumableUploadStore"/> so that any app server can continue it.
/// </summary>
public sealed class ResumableUpload
{
    /// <summary>Creates a record.</summary>
    /// <param name="id">The upload's unguessable id.</param>
    /// <param name="storageName">The registry name of the storage its bytes go to.</param>
    public ResumableUpload(string id, string storageName)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentException.ThrowIfNullOrEmpty(storageName);
        Id = id;
        StorageName = storageName;
    }

    /// <summary>Gets the upload's unguessable id.</summary>
    public string Id { get; }

    /// <summary>Gets the registry name of the storage its bytes go to.</summary>
    public string StorageName { get; }

    /// <summary>Gets or sets the state.</summary>
    public ResumableUploadState State { get; set; }

    /// <summary>Gets or sets the id of the user who created the upload; only they may append to, read or end it.</summary>
    public string? OwnerId { get; set; }

    /// <summary>Gets or sets the upload's length, or <see langword="null"/> while the client has not declared it.</summary>
    public long? Length { get; set; }

    /// <summary>Gets or sets the number of bytes received and kept.</summary>
    public long Offset { get; set; }

    /// <summary>Gets or sets the sanitised file name.</summary>
    public string? FileName { get; set; }

    /// <summary>Gets or sets the media type the client declared.</summary>
    public string? ContentType { get; set; }

    /// <summary>Gets or sets the client's metadata as sent (tus <c>Upload-Metadata</c>), to echo back.</summary>
    public string? Metadata { get; set; }

    /// <summary>Gets or sets the protocol the upload was created with (<c>tus</c>, or the resumable-upload draft's interop version).</summary>
    public string? Protocol { get; set; }

    /// <summary>Gets or sets when the upload was created.</summary>
    public DateTimeOffset CreatedOn { get; set; }

    /// <summary>Gets or sets when an unfinished upload is swept, or, once it ended, when its record is forgotten.</summary>
    public DateTimeOffset ExpiresOn { get; set; }

    /// <summary>Gets or sets the storage's state for the bytes kept, as its <see cref="ResumableWrite.State"/>.</summary>
    public string? StorageState { get; set; }

    /// <summary>Gets or sets the sanitised name the file is to have in its storage.</summary>
    public string? TargetName { get; set; }

    /// <summary>Gets or sets the first bytes, kept until every content check has seen them; then <see langword="null"/>.</summary>
    public byte[]? Head { get; set; }

    /// <summary>Gets or sets whether every content check has seen the first bytes.</summary>
    public bool HeadChecked { get; set; }

    /// <summary>Gets or sets the bytes reserved against the owner's quota.</summary>
    public long QuotaReserved { get; set; }

    /// <summary>Gets or sets the quota key the reservation was made under.</summary>
    public string? QuotaKey { get; set; }

    /// <summary>Gets or sets the name the completed file was stored under.</summary>
    public string? StoredName { get; set; }

    /// <summary>Gets or sets why the upload was refused, for a rejected upload.</summary>
    public string? RejectionReason { get; set; }

    /// <summary>Gets or sets the malware scanner's verdict on the completed file, when scanning is on.</summary>
    public string? ScanVerdict { get; set; }

    /// <summary>Gets or sets a version the store increments on every update.</summary>
    public long Version { get; set; }

    /// <summary>Copies the record.</summary>
    /// <returns>A copy that shares nothing mutable with this one.</returns>
    public ResumableUpload Clone()
    {
        var copy = (ResumableUpload)MemberwiseClone();
        copy.Head = Head?.ToArray();
        return copy;
    }
}

/// <summary>
/// Keeps resumable uploads where every app server sees them: in memory for one server, Redis for many. Appends are
/// serialised by a lease on the upload, so two servers never append at once, and a lease held by a server that died
/// runs out. An ended upload (any state but <see cref="ResumableUploadState.Receiving"/>) is kept until its
/// <see cref="ResumableUpload.ExpiresOn"/>, which ending sets to the route's retention, and is then forgotten by the store.
/// </summary>
public interface IResumableUploadStore
{
    /// <summary>Records a new upload.</summary>
    /// <param name="upload">The upload.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the upload is stored.</returns>
    /// <exception cref="InvalidOperationException">An upload with this id exists already.</exception>
    Task CreateAsync(ResumableUpload upload, CancellationToken cancellationToken = default);

    /// <summary>Reads an upload.</summary>
    /// <param name="id">The upload id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A copy of the upload, or <see langword="null"/> if there is none with that id.</returns>
    Task<ResumableUpload?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Takes the upload's lease for <paramref name="duration"/>, if no one holds it.</summary>
    /// <param name="id">The upload id.</param>
    /// <param name="duration">How long the lease lasts unless renewed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The lease token, or <see langword="null"/> if another holder's lease is still running.</returns>
    Task<string?> TryAcquireLeaseAsync(string id, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease this caller holds.</summary>
    /// <param name="id">The upload id.</param>
    /// <param name="token">The token <see cref="TryAcquireLeaseAsync"/> returned.</param>
    /// <param name="duration">How long the lease lasts from now.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the lease was still this caller's and now runs for <paramref name="duration"/>.</returns>
    Task<bool> TryRenewLeaseAsync(string id, string token, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Gives a lease up. Does nothing if the lease ran out and someone else holds it now.</summary>
    /// <param name="id">The upload id.</param>
    /// <param name="token">The token <see cref="TryAcquireLeaseAsync"/> returned.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the lease is released.</returns>
    Task ReleaseLeaseAsync(string id, string token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the upload's record if the caller still holds the lease and the stored <see cref="ResumableUpload.Version"/>
    /// equals the given one; the stored version is then incremented (and so is <paramref name="upload"/>'s).
    /// </summary>
    /// <param name="upload">The new record, with the version that was read.</param>
    /// <param name="token">The lease token.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the record was replaced.</returns>
    Task<bool> TryUpdateAsync(ResumableUpload upload, string token, CancellationToken cancellationToken = default);

    /// <summary>Lists uploads still receiving whose expiry is before <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The expired uploads.</returns>
    IAsyncEnumerable<ResumableUpload> ListExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Forgets an upload.</summary>
    /// <param name="id">The upload id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the upload is gone.</returns>
    Task DeleteAsync(string id, CancellationToken cancellationToken = default);
}
