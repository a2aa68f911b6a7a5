using Azure.Core;
using Azure.Storage.Blobs;

namespace UploadKit.Storage.Azure;

/// <summary>
/// Options of an Azure Blob Storage storage (backend <c>AzureBlob</c>), after django-storages' <c>AzureStorage</c>.
/// Give one way to reach the account: <see cref="ConnectionString"/>; or <see cref="AccountName"/> with
/// <see cref="AccountKey"/>; or <see cref="Endpoint"/> with <see cref="Credential"/>; or <see cref="ClientFactory"/>.
/// </summary>
public sealed class AzureBlobStorageOptions
{
    /// <summary>The default of <see cref="ChunkSize"/>: 4 MiB.</summary>
    public const int DefaultChunkSize = 4 * 1024 * 1024;

    /// <summary>The largest <see cref="ChunkSize"/>: 1 GiB (Azure accepts up to 4000 MiB, but a block is held in memory).</summary>
    public const int MaxChunkSize = 1024 * 1024 * 1024;

    /// <summary>The default of <see cref="MaxConcurrency"/>: 2 blocks in flight (django-storages' <c>upload_max_conn</c>).</summary>
    public const int DefaultMaxConcurrency = 2;

    /// <summary>The default of <see cref="EndpointSuffix"/>: <c>core.windows.net</c>.</summary>
    public const string DefaultEndpointSuffix = "core.windows.net";

    /// <summary>The default of <see cref="UrlExpiry"/>: one hour.</summary>
    public static readonly TimeSpan DefaultUrlExpiry = TimeSpan.FromHours(1);

    /// <summary>Gets or sets the storage account's connection string (django-storages' <c>connection_string</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the storage account's name (django-storages' <c>account_name</c>).</summary>
    public string? AccountName { get; set; }

    /// <summary>Gets or sets the storage account's key, used with <see cref="AccountName"/> (django-storages' <c>account_key</c>).</summary>
    public string? AccountKey { get; set; }

    /// <summary>
    /// Gets or sets the Blob service endpoint, such as <c>https://myaccount.blob.core.windows.net</c>. Required with
    /// <see cref="Credential"/>; optional with <see cref="AccountName"/> and <see cref="AccountKey"/> (for an emulator or a
    /// private endpoint).
    /// </summary>
    /// <value>Defaults to <c>https://{AccountName}.blob.{EndpointSuffix}</c>.</value>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the DNS suffix of the cloud, used to build the endpoint from <see cref="AccountName"/>.</summary>
    /// <value>Defaults to <see cref="DefaultEndpointSuffix"/>.</value>
    public string EndpointSuffix { get; set; } = DefaultEndpointSuffix;

    /// <summary>
    /// Gets or sets a Microsoft Entra credential (for example <c>DefaultAzureCredential</c> from Azure.Identity), used with
    /// <see cref="Endpoint"/> (django-storages' <c>token_credential</c>). Set in code only. Presigned URLs are then user
    /// delegation SAS, which needs the <c>Storage Blob Delegator</c> role.
    /// </summary>
    public TokenCredential? Credential { get; set; }

    /// <summary>
    /// Gets or sets a factory of the <see cref="BlobServiceClient"/>, for clients built elsewhere (for example by
    /// <c>IAzureClientFactory&lt;BlobServiceClient&gt;</c>). Set in code only; It replaces the other ways in.
    /// </summary>
    public Func<IServiceProvider, BlobServiceClient>? ClientFactory { get; set; }

    /// <summary>Gets or sets the container's name (django-storages' <c>azure_container</c>). Required.</summary>
    public string? Container { get; set; }

    /// <summary>
    /// Gets or sets a prefix put before every file name, such as <c>media/</c> (django-storages' <c>location</c>). Names
    /// passed to and returned by the storage do not include it.
    /// </summary>
    public string? KeyPrefix { get; set; }

    /// <summary>
    /// Gets or sets a host name that serves the container's blobs, such as <c>cdn.example.com</c> (django-storages'
    /// <c>custom_domain</c>). URLs are then <c>https://{CustomDomain}/{container}/{blob}</c>.
    /// </summary>
    public string? CustomDomain { get; set; }

    /// <summary>
    /// Gets or sets whether <see cref="IFileStorage.GetUrlAsync"/> returns a read-only SAS URL valid for
    /// <see cref="UrlExpiry"/>; turn it off for a container that allows anonymous reads, to get the plain blob URL.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool SignedUrls { get; set; } = true;

    /// <summary>Gets or sets how long URLs from <see cref="IFileStorage.GetUrlAsync"/> stay valid (django-storages'
    /// <c>expiration_secs</c>).</summary>
    /// <value>Defaults to <see cref="DefaultUrlExpiry"/>; at most 7 days.</value>
    public TimeSpan UrlExpiry { get; set; } = DefaultUrlExpiry;

    /// <summary>
    /// Gets or sets whether a save replaces a blob of the same name (django-storages' <c>overwrite_files</c>). When off,
    /// saves are create-only (<c>If-None-Match: *</c>) and a taken name gets a fresh one.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Overwrite { get; set; }

    /// <summary>Gets or sets the <c>Cache-Control</c> stored with every saved blob (django-storages' <c>cache_control</c>).</summary>
    public string? CacheControl { get; set; }

    /// <summary>Gets or sets the <c>Content-Disposition</c> stored with every saved blob.</summary>
    public string? ContentDisposition { get; set; }

    /// <summary>
    /// Gets or sets the size of the blocks a save stages. Content no longer than one block is stored in a single request.
    /// A save holds at most <c>(MaxConcurrency + 1) × ChunkSize</c> bytes in memory, and a blob can have at most 50,000 blocks.
    /// </summary>
    /// <value>Defaults to <see cref="DefaultChunkSize"/>; between 1 byte and <see cref="MaxChunkSize"/>.</value>
    public int ChunkSize { get; set; } = DefaultChunkSize;

    /// <summary>Gets or sets how many blocks a save uploads at once.</summary>
    /// <value>Defaults to <see cref="DefaultMaxConcurrency"/>; between 1 and 64.</value>
    public int MaxConcurrency { get; set; } = DefaultMaxConcurrency;

    /// <summary>Gets or sets whether the container is created, private, when it is missing (checked once, before the first operation).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool CreateContainer { get; set; }
}
