namespace UploadKit.Storage.Gcs;

/// <summary>
/// Settings of one Google Cloud Storage storage, named after django-storages' <c>GS_*</c> settings. Bound from
/// <c>UploadKit:Storages:{name}:Options</c> when the storage's <c>Backend</c> is <c>Gcs</c>.
/// </summary>
public sealed class GcsStorageOptions
{
    /// <summary>The default of <see cref="ChunkSize"/>: 8 MiB.</summary>
    public const int DefaultChunkSize = 8 * 1024 * 1024;

    /// <summary>The unit <see cref="ChunkSize"/> must be a multiple of: 256 KiB, as GCS requires.</summary>
    public const int ChunkSizeUnit = 256 * 1024;

    /// <summary>The default of <see cref="UrlExpiry"/>: one day, as django-storages' <c>GS_EXPIRATION</c>.</summary>
    public static readonly TimeSpan DefaultUrlExpiry = TimeSpan.FromDays(1);

    /// <summary>Gets or sets the bucket (<c>GS_BUCKET_NAME</c>). Required.</summary>
    public string? Bucket { get; set; }

    /// <summary>Gets or sets the project (<c>GS_PROJECT_ID</c>); needed only with <see cref="CreateBucket"/>.</summary>
    public string? ProjectId { get; set; }

    /// <summary>
    /// Gets or sets whether the storage creates the bucket in <see cref="ProjectId"/> when it does not exist.
    /// For development and tests; production buckets are made ahead of time.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool CreateBucket { get; set; }

    /// <summary>
    /// Gets or sets the path of a service-account JSON key file (<c>GS_CREDENTIALS</c>). Leave this and
    /// <see cref="CredentialsJson"/> empty for application default credentials.
    /// </summary>
    public string? CredentialsFile { get; set; }

    /// <summary>Gets or sets the text of a service-account JSON key, e.g. from a secret store. Keep it out of appsettings files.</summary>
    public string? CredentialsJson { get; set; }

    /// <summary>Gets or sets a prefix put before every name (<c>GS_LOCATION</c>), such as <c>media/</c>.</summary>
    public string? KeyPrefix { get; set; }

    /// <summary>
    /// Gets or sets the predefined ACL new objects get (<c>GS_DEFAULT_ACL</c>): <c>authenticatedRead</c>,
    /// <c>bucketOwnerFullControl</c>, <c>bucketOwnerRead</c>, <c>private</c>, <c>projectPrivate</c> or
    /// <c>publicRead</c>; <see langword="null"/> for the bucket's default. Buckets with uniform access take none.
    /// </summary>
    public string? DefaultAcl { get; set; }

    /// <summary>
    /// Gets or sets the service's base address (such as <c>http://127.0.0.1:4443</c> for a local server): the JSON
    /// API is reached below it and signed URLs are made for it. <see langword="null"/> for Google's own.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Gets or sets a host bound to the bucket (a CNAME or load balancer, such as <c>https://media.example.com</c>)
    /// for the URLs handed to clients, signed or not (<c>GS_CUSTOM_ENDPOINT</c>).
    /// </summary>
    public Uri? BucketBoundHostname { get; set; }

    /// <summary>Gets or sets whether URLs name the bucket in the host (<c>https://bucket.storage.googleapis.com/name</c>).</summary>
    /// <value>Defaults to <see langword="false"/> (path style).</value>
    public bool VirtualHostedStyle { get; set; }

    /// <summary>
    /// Gets or sets whether <see cref="FileStorage.GetUrlAsync"/> returns a V4 signed URL (<c>GS_QUERYSTRING_AUTH</c>);
    /// turn it off for public buckets to get plain URLs.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool SignedUrls { get; set; } = true;

    /// <summary>Gets or sets how long the URLs of <see cref="FileStorage.GetUrlAsync"/> stay valid (<c>GS_EXPIRATION</c>), at most 7 days.</summary>
    /// <value>Defaults to <see cref="DefaultUrlExpiry"/>.</value>
    public TimeSpan UrlExpiry { get; set; } = DefaultUrlExpiry;

    /// <summary>
    /// Gets or sets whether saving under a taken name replaces the object (<c>GS_FILE_OVERWRITE</c>). When off, a save
    /// picks a fresh name, and the write is made with <c>ifGenerationMatch=0</c> so it can never replace an object.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Overwrite { get; set; }

    /// <summary>Gets or sets the size of each resumable-upload request (<c>GS_BLOB_CHUNK_SIZE</c>), a multiple of 256 KiB; also the memory one save
    /// holds.</summary>
    /// <value>Defaults to <see cref="DefaultChunkSize"/>.</value>
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>Gets or sets the <c>Cache-Control</c> stored with new objects.</summary>
    public string? CacheControl { get; set; }

    /// <summary>Gets or sets the <c>Content-Disposition</c> stored with new objects.</summary>
    public string? ContentDisposition { get; set; }
}
