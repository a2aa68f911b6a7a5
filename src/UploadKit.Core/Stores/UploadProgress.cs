namespace UploadKit.Stores;

/// <summary>Where an upload that reports its progress stands.</summary>
public enum UploadProgressState
{
    /// <summary>The body is being read.</summary>
    Receiving,

    /// <summary>The body was read to the end.</summary>
    Complete,

    /// <summary>Reading stopped on an error that is not the client's (disconnect, storage failure).</summary>
    Failed,

    /// <summary>The upload was refused (a limit, a quota, a validator, a malformed body, malware).</summary>
    Rejected,

    /// <summary>A file was read to its end and waits for the malware scanner's verdict ("scanning…"); reading goes on after it.</summary>
    Scanning,
}

/// <summary>A snapshot of an upload's progress, kept in an <see cref="IUploadProgressStore"/> under the id the client chose.</summary>
public sealed class UploadProgress
{
    /// <summary>Creates a snapshot.</summary>
    /// <param name="id">The upload's progress id.</param>
    public UploadProgress(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        Id = id;
    }

    /// <summary>Gets the upload's progress id, chosen by the client (<c>X-Progress-ID</c> header or <c>progress_id</c> query value).</summary>
    public string Id { get; }

    /// <summary>Gets or sets the id of the user who sent the upload; only they may read its progress. <see langword="null"/> for an anonymous
    /// upload.</summary>
    public string? OwnerId { get; set; }

    /// <summary>Gets or sets the file bytes read so far.</summary>
    public long BytesReceived { get; set; }

    /// <summary>Gets or sets the request's <c>Content-Length</c>, or <see langword="null"/> for a chunked body.</summary>
    public long? BytesExpected { get; set; }

    /// <summary>Gets or sets the state.</summary>
    public UploadProgressState State { get; set; }

    /// <summary>Gets or sets the name of the file being read (or read last).</summary>
    public string? FileName { get; set; }

    /// <summary>Gets or sets when the snapshot was taken.</summary>
    public DateTimeOffset UpdatedOn { get; set; }

    /// <summary>Gets a value indicating whether the upload has ended (complete, failed or rejected).</summary>
    public bool IsFinal => State is not (UploadProgressState.Receiving or UploadProgressState.Scanning);
}

/// <summary>
/// Keeps upload progress where every app server sees it: in memory for one server, Redis for many. Entries expire
/// a while after their last update.
/// </summary>
public interface IUploadProgressStore
{
    /// <summary>Records a snapshot, replacing the one with the same id, and (re)starts its expiry.</summary>
    /// <param name="progress">The snapshot.</param>
    /// <param name="timeToLive">How long the entry lives after this write.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the snapshot is stored.</returns>
    Task SetAsync(UploadProgress progress, TimeSpan timeToLive, CancellationToken cancellationToken = default);

    /// <summary>Reads a snapshot.</summary>
    /// <param name="id">The progress id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The snapshot, or <see langword="null"/> if there is none or it expired.</returns>
    Task<UploadProgress?> GetAsync(string id, CancellationToken cancellationToken = default);
}
