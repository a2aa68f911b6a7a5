namespace UploadKit;

/// <summary>Direct-upload settings, bound from <c>UploadKit:DirectUploads</c>.</summary>
public sealed class DirectUploadOptions
{
    /// <summary>The default of <see cref="DefaultExpiry"/>: 15 minutes.</summary>
    public static readonly TimeSpan DefaultDefaultExpiry = TimeSpan.FromMinutes(15);

    /// <summary>The default of <see cref="CompletionWindow"/>: 5 minutes.</summary>
    public static readonly TimeSpan DefaultCompletionWindow = TimeSpan.FromMinutes(5);

    /// <summary>The default of <see cref="SweepInterval"/>: 1 minute.</summary>
    public static readonly TimeSpan DefaultSweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>The default of <see cref="SweepGracePeriod"/>: 1 hour.</summary>
    public static readonly TimeSpan DefaultSweepGracePeriod = TimeSpan.FromHours(1);

    /// <summary>The default of <see cref="KeyPrefix"/>: <c>uploads/</c>.</summary>
    public const string DefaultKeyPrefix = "uploads/";

    /// <summary>The default of <see cref="LocalUploadPath"/>: <c>/uploads</c>.</summary>
    public const string DefaultLocalUploadPath = "/uploads";

    /// <summary>Gets or sets how long a signed upload request stays valid when the request does not say.</summary>
    /// <value>Defaults to 15 minutes.</value>
    public TimeSpan DefaultExpiry { get; set; } = DefaultDefaultExpiry;

    /// <summary>
    /// Gets or sets how long after the signed request expires the upload may still be completed: a client that finished
    /// uploading at the last moment still gets to confirm. After it, the session is expired and its object swept.
    /// </summary>
    /// <value>Defaults to 5 minutes.</value>
    public TimeSpan CompletionWindow { get; set; } = DefaultCompletionWindow;

    /// <summary>Gets or sets how often expired sessions are swept. Nothing unconfirmed outlives its expiry plus this interval.</summary>
    /// <value>Defaults to 1 minute.</value>
    public TimeSpan SweepInterval { get; set; } = DefaultSweepInterval;

    /// <summary>
    /// Gets or sets how long after a session's expiry its uploaded key is still watched. A signed URL stays valid until
    /// it expires, so once a session has ended (completed and sealed, rejected, cancelled or expired) the URL may still
    /// put an object under its key; an upload begun just before the URL expired may even finish later. One sweep after
    /// the session's expiry plus this period deletes whatever the key then holds, and the session is forgotten.
    /// </summary>
    /// <value>Defaults to 1 hour: longer than an upload begun at the last moment takes, and than clock skew.</value>
    public TimeSpan SweepGracePeriod { get; set; } = DefaultSweepGracePeriod;

    /// <summary>Gets or sets the folder reserved object names start with; each upload gets its own random subfolder below it.</summary>
    /// <value>Defaults to <c>uploads/</c>.</value>
    public string KeyPrefix { get; set; } = DefaultKeyPrefix;

    /// <summary>
    /// Gets or sets the path <c>MapDirectUploads</c> is mapped at, where storages without presigned URLs
    /// (<c>FileSystem</c>, <c>InMemory</c>) receive uploads. Signed URLs point at <c>{LocalUploadPath}/{id}</c>.
    /// </summary>
    /// <value>Defaults to <c>/uploads</c>; <c>MapDirectUploads(pattern)</c> sets it to its pattern.</value>
    public string LocalUploadPath { get; set; } = DefaultLocalUploadPath;

    /// <summary>
    /// Gets or sets the absolute base URL of the app (<c>https://app.example.com</c>) for local signed URLs; <see langword="null"/>
    /// to use the current request's scheme and host, or an app-relative URL outside a request.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>
    /// Gets or sets the key local signed URLs are signed with, base64-encoded, at least 32 bytes. Every server of the
    /// app must share it. <see langword="null"/> generates one when the app starts (a warning is logged): URLs
    /// signed by one server are then refused by the others and after a restart.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Gets or sets whether a direct upload is signed for and stored with the media type the client declared. When
    /// <see langword="false"/>, the type comes from the stored name's extension (<see cref="StoredContentTypes.FromName"/>,
    /// <c>application/octet-stream</c> for an unknown one) and a different declaration is ignored, as for multipart saves.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool StoreClientContentType { get; set; }

    /// <summary>
    /// Gets or sets whether direct uploads of active content (HTML, SVG, XML, JavaScript; see
    /// <see cref="StoredContentTypes.IsActiveContent"/>) are allowed. A presigned upload cannot make every storage serve
    /// such an object as an attachment, so by default beginning one is refused with a 400 validation error.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool AllowActiveContent { get; set; }
}
