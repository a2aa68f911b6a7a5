namespace UploadKit;

/// <summary>The settings of one resumable-upload route (<c>MapResumableUploads</c>).</summary>
public sealed class ResumableUploadOptions
{
    /// <summary>Gets or sets the registry name of the storage completed files go to; it must take resumable writes
    /// (<see cref="IResumableFileStorage"/>).</summary>
    /// <value>Defaults to <see cref="FileStorageNames.Default"/>.</value>
    public string StorageName { get; set; } = FileStorageNames.Default;

    /// <summary>
    /// Gets or sets the folder completed files are stored in, such as <c>uploads</c>; <see langword="null"/> for the storage's root.
    /// </summary>
    public string? Folder { get; set; }

    /// <summary>
    /// Gets or sets the form field name whose file validators (<c>AddValidator</c>, <c>WithFileValidators</c>) the uploads must pass.
    /// </summary>
    /// <value>Defaults to <c>file</c>.</value>
    public string FieldName { get; set; } = "file";

    /// <summary>Gets or sets the largest upload accepted, in bytes.</summary>
    /// <value>Defaults to 10 GiB.</value>
    public long MaxSize { get; set; } = 10L * 1024 * 1024 * 1024;

    /// <summary>Gets or sets how long an upload may take from its creation; an unfinished upload is then swept.</summary>
    /// <value>Defaults to 24 hours.</value>
    public TimeSpan Expiration { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Gets or sets how long an ended upload is still answered for (410 rather than 404) before its record is forgotten.</summary>
    /// <value>Defaults to 1 hour.</value>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Gets or sets how long a server's hold on an upload lasts before it must be renewed. A server renews it while an append
    /// runs; the hold of a server that died runs out after this time, and another server may then continue the upload.
    /// </summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the per-user storage quota uploads count against as their bytes arrive; <see langword="null"/> for none.</summary>
    public QuotaOptions? Quota { get; set; }

    /// <summary>Gets or sets the checksums computed over the whole completed file (<c>sha256</c>, <c>sha1</c>, <c>md5</c>), read back from the
    /// storage once; they reach <see cref="OnCompleted"/>.</summary>
    public IList<string> Checksums { get; } = [];

    /// <summary>Gets the authorization the route requires: by default the app's default policy; opt out explicitly with
    /// <see cref="UploadEndpointAuthorization.AllowAnonymous"/>.</summary>
    public UploadEndpointAuthorization Authorization { get; } = new();

    /// <summary>
    /// Gets or sets what binds a completed upload to the app's data, called once every byte arrived and passed every check,
    /// before the client hears that the upload is complete. Throwing refuses the upload: its file is deleted and the
    /// client gets the error (an <see cref="UploadRejectedException"/>'s status, else 500).
    /// </summary>
    public Func<ResumableUploadCompletedContext, Task>? OnCompleted { get; set; }
}

/// <summary>A resumable upload that completed: its stored file, to bind to the app's data.</summary>
public sealed class ResumableUploadCompletedContext
{
    internal ResumableUploadCompletedContext(
        Stores.ResumableUpload upload, StoredFileInfo file, IReadOnlyDictionary<string, string> checksums, UploadRequestContext request)
    {
        Upload = upload;
        File = file;
        Checksums = checksums;
        Request = request;
    }

    /// <summary>Gets the upload's record: its id, owner, file name, media type and client metadata.</summary>
    public Stores.ResumableUpload Upload { get; }

    /// <summary>Gets the stored file: its storage, name and length.</summary>
    public StoredFileInfo File { get; }

    /// <summary>
    /// Gets the checksums of the whole file asked for with <see cref="ResumableUploadOptions.Checksums"/>, as lower-case hexadecimal.
    /// </summary>
    public IReadOnlyDictionary<string, string> Checksums { get; }

    /// <summary>Gets the request that delivered the last bytes: its user, headers and services.</summary>
    public UploadRequestContext Request { get; }

    /// <summary>Gets a token cancelled when that request is aborted.</summary>
    public CancellationToken CancellationToken => Request.RequestAborted;
}
