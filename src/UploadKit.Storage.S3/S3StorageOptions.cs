using Amazon.S3;

namespace UploadKit.Storage.S3;

/// <summary>
/// Options of an <see cref="S3Storage"/>: django-storages' S3 settings in PascalCase. Bound from a storage's
/// <c>Options</c> section (<c>UploadKit:Storages:{name}:Options</c>); unknown keys are an error.
/// </summary>
public sealed class S3StorageOptions
{

    /// <summary>The default of <see cref="MultipartThreshold"/>: 8 MiB.</summary>
    public const long DefaultMultipartThreshold = 8 * 1024 * 1024;

    /// <summary>The default of <see cref="ChunkSize"/>: 8 MiB.</summary>
    public const int DefaultChunkSize = 8 * 1024 * 1024;

    /// <summary>The default of <see cref="MaxConcurrency"/>: 4 parts in flight.</summary>
    public const int DefaultMaxConcurrency = 4;

    /// <summary>The smallest part S3 accepts, except for the last part of an upload: 5 MiB.</summary>
    public const int MinimumPartSize = 5 * 1024 * 1024;

    /// <summary>The largest part size this storage accepts: 1 GiB, since a part is buffered in memory.</summary>
    public const int MaximumPartSize = 1024 * 1024 * 1024;

    /// <summary>The default of <see cref="UrlExpiry"/>: one hour.</summary>
    public static readonly TimeSpan DefaultUrlExpiry = TimeSpan.FromHours(1);

    /// <summary>Gets or sets the bucket (django-storages' <c>bucket_name</c>). Required.</summary>
    public string Bucket { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the endpoint of an S3-compatible store such as MinIO, e.g. <c>http://127.0.0.1:9000</c>
    /// (django-storages' <c>endpoint_url</c>); <see langword="null"/> for Amazon S3 itself.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the region, e.g. <c>eu-west-1</c> (django-storages' <c>region_name</c>); used for signing with <see cref="Endpoint"/>
    /// too.</summary>
    /// <value>Defaults to <see langword="null"/>: the SDK's region resolution, or <c>us-east-1</c> with a <see cref="Endpoint"/>.</value>
    public string? Region { get; set; }

    /// <summary>Gets or sets the access key id; leave it and <see cref="SecretKey"/> unset to use the SDK's default credential chain.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Gets or sets the secret access key that goes with <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Gets or sets a session token for temporary credentials (django-storages' <c>security_token</c>).</summary>
    public string? SessionToken { get; set; }

    /// <summary>
    /// Gets or sets whether the bucket goes in the path (<c>host/bucket/key</c>) rather than the host name
    /// (<c>bucket.host/key</c>); most S3-compatible stores on a bare address need <see langword="true"/>
    /// (django-storages' <c>addressing_style = "path"</c>).
    /// </summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Gets or sets a key prefix every name is stored under, e.g. <c>media</c> (django-storages' <c>location</c>).</summary>
    /// <value>Defaults to empty: names are keys.</value>
    public string KeyPrefix { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the canned ACL of new objects: <c>private</c>, <c>public-read</c>, <c>public-read-write</c>,
    /// <c>authenticated-read</c>, <c>bucket-owner-read</c> or <c>bucket-owner-full-control</c>
    /// (django-storages' <c>default_acl</c>); <see langword="null"/> for the bucket's default.
    /// </summary>
    public string? DefaultAcl { get; set; }

    /// <summary>
    /// Gets or sets a host name (and optional path) that serves the bucket, such as a CDN, e.g.
    /// <c>cdn.example.com</c>; <see cref="FileStorage.GetUrlAsync"/> then returns unsigned URLs on it.
    /// </summary>
    public string? CustomDomain { get; set; }

    /// <summary>Gets or sets the scheme of <see cref="CustomDomain"/> URLs (django-storages' <c>url_protocol</c>).</summary>
    /// <value>Defaults to <c>https:</c>.</value>
    public string UrlProtocol { get; set; } = "https:";

    /// <summary>
    /// Gets or sets whether <see cref="FileStorage.GetUrlAsync"/> returns presigned, expiring URLs (for private
    /// objects); <see langword="false"/> for plain URLs of a public bucket.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool SignedUrls { get; set; } = true;

    /// <summary>Gets or sets how long a presigned URL from <see cref="FileStorage.GetUrlAsync"/> stays valid.</summary>
    /// <value>Defaults to <see cref="DefaultUrlExpiry"/>; at most seven days.</value>
    public TimeSpan UrlExpiry { get; set; } = DefaultUrlExpiry;

    /// <summary>
    /// Gets or sets whether a save replaces an existing object of the same name. Unlike django-storages, off by
    /// default: a taken name gets a fresh one (<see cref="FileStorageNames.GetAlternateName"/>).
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Overwrite { get; set; }

    /// <summary>
    /// Gets or sets whether create-only saves send <c>If-None-Match: *</c> so the store itself refuses to replace
    /// an object written between the existence check and the write. Turn it off only for a store that rejects
    /// the header.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool ConditionalWrites { get; set; } = true;

    /// <summary>Gets or sets the <c>Cache-Control</c> stored with new objects, e.g. <c>max-age=86400</c>.</summary>
    public string? CacheControl { get; set; }

    /// <summary>
    /// Gets or sets the <c>Content-Disposition</c> stored with new objects, e.g. <c>attachment</c>; <see langword="null"/>
    /// for <c>attachment</c> on active content and none on the rest.
    /// </summary>
    public string? ContentDisposition { get; set; }

    /// <summary>Gets parameters sent with every new object: encoding, language, encryption, storage class.</summary>
    public S3ObjectParameters ObjectParameters { get; set; } = new();

    /// <summary>Gets or sets the size from which a save uses a multipart upload instead of one <c>PUT</c>.</summary>
    /// <value>Defaults to <see cref="DefaultMultipartThreshold"/>.</value>
    public long MultipartThreshold { get; set; } = DefaultMultipartThreshold;

    /// <summary>Gets or sets the part size of multipart uploads, between <see cref="MinimumPartSize"/> and <see cref="MaximumPartSize"/>.</summary>
    /// <value>Defaults to <see cref="DefaultChunkSize"/>.</value>
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>
    /// Gets or sets how many parts upload at once. A save holds at most <c>MaxConcurrency</c> parts in memory
    /// (the part being read counts as one), or <see cref="MultipartThreshold"/> rounded up to whole parts while it
    /// decides between one <c>PUT</c> and a multipart upload; the storage keeps up to <c>MaxConcurrency + 1</c>
    /// part buffers for reuse.
    /// </summary>
    /// <value>Defaults to <see cref="DefaultMaxConcurrency"/>.</value>
    public int MaxConcurrency { get; set; } = DefaultMaxConcurrency;

    /// <summary>
    /// Gets or sets when the SDK adds CRC checksums to uploads: <see cref="S3ChecksumMode.WhenSupported"/>
    /// (the SDK's default) or <see cref="S3ChecksumMode.WhenRequired"/> for stores without flexible-checksum support.
    /// </summary>
    /// <value>Defaults to <see cref="S3ChecksumMode.WhenSupported"/>.</value>
    public S3ChecksumMode RequestChecksumCalculation { get; set; } = S3ChecksumMode.WhenSupported;

    /// <summary>Gets or sets when the SDK validates checksums of downloads.</summary>
    /// <value>Defaults to <see cref="S3ChecksumMode.WhenSupported"/>.</value>
    public S3ChecksumMode ResponseChecksumValidation { get; set; } = S3ChecksumMode.WhenSupported;

    /// <summary>
    /// Gets or sets whether uploads are sent with a plain body and <c>Content-Length</c> instead of
    /// <c>aws-chunked</c> content encoding. Set it for S3-compatible stores that do not decode
    /// <c>aws-chunked</c> bodies (they would store the chunk framing as object bytes).
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool DisableChunkedEncoding { get; set; }

    /// <summary>
    /// Gets or sets a factory for the S3 client, for apps that configure <see cref="IAmazonS3"/> themselves;
    /// <see langword="null"/> to create one from these options. Not bindable from configuration.
    /// </summary>
    public Func<IServiceProvider, IAmazonS3>? ClientFactory { get; set; }
}

/// <summary>Parameters sent with every new object (django-storages' <c>object_parameters</c>).</summary>
public sealed class S3ObjectParameters
{
    /// <summary>Gets or sets the <c>Content-Encoding</c> of new objects.</summary>
    public string? ContentEncoding { get; set; }

    /// <summary>Gets or sets the <c>Content-Language</c> of new objects.</summary>
    public string? ContentLanguage { get; set; }

    /// <summary>Gets or sets server-side encryption: <c>AES256</c>, <c>aws:kms</c> or <c>aws:kms:dsse</c>.</summary>
    public string? ServerSideEncryption { get; set; }

    /// <summary>Gets or sets the KMS key id used with <c>aws:kms</c> encryption.</summary>
    public string? SseKmsKeyId { get; set; }

    /// <summary>Gets or sets the storage class, e.g. <c>STANDARD_IA</c>.</summary>
    public string? StorageClass { get; set; }
}

/// <summary>When the S3 SDK computes or validates CRC checksums.</summary>
public enum S3ChecksumMode
{
    /// <summary>For every operation that supports checksums (the SDK's default).</summary>
    WhenSupported,

    /// <summary>Only where the operation requires one.</summary>
    WhenRequired,
}
