using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UploadKit.Storage.Azure.Internal;

namespace UploadKit.Storage.Azure;

/// <summary>
/// Files in an Azure Blob Storage container (backend <c>AzureBlob</c>), after django-storages' <c>AzureStorage</c>.
/// Saves stream the content in blocks with bounded memory and commit nothing when they fail; create-only saves use
/// <c>If-None-Match: *</c>, so two writers never overwrite each other. Presigned URLs are SAS URLs: an account-key SAS,
/// or a user delegation SAS when the storage signs in with a Microsoft Entra credential.
/// </summary>
/// <remarks>
/// Azure cannot bind a maximum size into a SAS: a client holding an upload URL can send a body of any size, up to
/// Azure's own blob limits. <see cref="PresignedUploadRequest.MaxLength"/> is therefore not enforced by Azure; the
/// direct-upload confirmation step checks the stored blob's size and type before the file is accepted.
/// </remarks>
public sealed class AzureBlobStorage : FileStorage, IPresignedUrlProvider, IResumableFileStorage
{
    /// <summary>The backend name used in configuration: <c>"AzureBlob"</c>.</summary>
    public const string BackendName = "AzureBlob";

    /// <summary>The longest a SAS from this storage stays valid: 7 days, the limit of a user delegation key.</summary>
    public static readonly TimeSpan MaxSasLifetime = TimeSpan.FromDays(7);

    private const int MaxBlockCount = AzureResumableWriteState.MaxBlockCount;

    /// <summary>The first segment of the names the storage keeps for itself (staging blobs of resumable writes).</summary>
    private const string Reserved = ".uploadkit";

    private readonly BlobServiceClient _service;
    private readonly string _prefix;
    private readonly string? _customDomain;
    private readonly bool _signedUrls;
    private readonly TimeSpan _urlExpiry;
    private readonly bool _overwrite;
    private readonly string? _cacheControl;
    private readonly string? _contentDisposition;
    private readonly int _blockSize;
    private readonly int _maxConcurrency;
    private readonly bool _createContainer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _containerLock = new(1, 1);
    private volatile bool _containerReady;
    private UserDelegationKey? _delegationKey;

    internal AzureBlobStorage(
        string storageName, BlobServiceClient service, AzureBlobStorageOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(storageName, (options ?? throw new ArgumentNullException(nameof(options))).Overwrite, options.ContentDisposition)
    {
        ArgumentException.ThrowIfNullOrEmpty(storageName);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Container);
        _service = service;
        Container = service.GetBlobContainerClient(options.Container);
        _prefix = string.IsNullOrEmpty(options.KeyPrefix) ? string.Empty : FileStorageNames.Validate(options.KeyPrefix.TrimEnd('/')) + "/";
        _customDomain = string.IsNullOrEmpty(options.CustomDomain) ? null : options.CustomDomain;
        _signedUrls = options.SignedUrls;
        _urlExpiry = options.UrlExpiry;
        _overwrite = options.Overwrite;
        _cacheControl = options.CacheControl;
        _contentDisposition = options.ContentDisposition;
        _blockSize = options.ChunkSize;
        _maxConcurrency = options.MaxConcurrency;
        _createContainer = options.CreateContainer;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Gets the client of the storage's container, for operations the storage does not cover.</summary>
    public BlobContainerClient Container { get; }

    /// <inheritdoc/>
    /// <remarks>
    /// Content no longer than <see cref="AzureBlobStorageOptions.ChunkSize"/> is stored with one request. Longer content
    /// is staged in blocks, up to <see cref="AzureBlobStorageOptions.MaxConcurrency"/> at once, and committed as a block
    /// list; if anything fails first, nothing is committed and Azure discards the staged blocks within a week. The
    /// content's MD5 is computed on the way and stored; <c>md5</c> and <c>sha256</c> values in
    /// <see cref="FileSaveOptions.Checksums"/> are verified before the commit. If another writer takes the name while a
    /// long, non-seekable stream is being staged, the save fails with an <see cref="IOException"/>, since the content
    /// cannot be read again to store it under a fresh name.
    /// </remarks>
    /// <exception cref="InvalidDataException">The content does not match a checksum in the save's
    /// <see cref="FileSaveOptions.Checksums"/>.</exception>
    protected override async Task<string> SaveCoreAsync(Stream content, StorageSave save, CancellationToken cancellationToken)
    {
        if (!content.CanRead)
        {
            throw new ArgumentException("The content stream must be readable.", nameof(content));
        }

        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var headers = CreateHttpHeaders(save);
        var metadata = save.Metadata.Count > 0 ? new Dictionary<string, string>(save.Metadata) : null;
        var start = content.CanSeek ? content.Position : (long?)null;
        while (true)
        {
            var saved = await TrySaveAsync(save, content, headers, metadata, cancellationToken).ConfigureAwait(false);
            if (saved is not null)
            {
                return saved;
            }

            if (start is null)
            {
                throw new IOException($"Another writer created '{save.Name}' in storage '{StorageName}' while this save was " +
                    "staging it, and the content stream cannot be read again; nothing was saved.");
            }

            content.Position = start.Value;
            save.NextName();
        }
    }

    /// <inheritdoc/>
    protected override async Task<Stream> OpenReadCoreAsync(string name, CancellationToken cancellationToken)
    {
        var blob = GetBlob(name);
        try
        {
            var response = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new FileNotFoundException($"Storage '{StorageName}' has no file named '{name}'.", name, ex);
        }
    }

    /// <inheritdoc/>
    protected override async Task<bool> DeleteCoreAsync(string name, CancellationToken cancellationToken)
    {
        var blob = GetBlob(name);
        var response = await blob.DeleteIfExistsAsync(
            DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Value;
    }

    /// <inheritdoc/>
    protected override async Task<bool> ExistsCoreAsync(string name, CancellationToken cancellationToken)
    {
        var blob = GetBlob(name);
        var response = await blob.ExistsAsync(cancellationToken).ConfigureAwait(false);
        return response.Value;
    }

    /// <inheritdoc/>
    /// <remarks>The blob's <c>Content-MD5</c>, when it has one, is returned as the <c>md5</c> checksum.</remarks>
    protected override async Task<StoredFileInfo?> GetMetadataCoreAsync(string name, CancellationToken cancellationToken)
    {
        var blob = GetBlob(name);
        try
        {
            var response = await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var properties = response.Value;
            return new StoredFileInfo(name, properties.ContentLength)
            {
                ContentType = properties.ContentType,
                ContentDisposition = properties.ContentDisposition,
                LastModified = properties.LastModified,
                ETag = properties.ETag.ToString(),
                Checksums = GetChecksums(properties.ContentHash),
                Metadata = new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase),
            };
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Copy Blob from the source's URL within the account, authorized by the storage's own credential (no SAS is made),
    /// conditional on the source's ETag (<c>x-ms-source-if-match</c>); the blob's properties, Content-MD5 and metadata
    /// are copied with it. A copy the service runs in the background is waited for.
    /// </remarks>
    protected override async Task<StoredFileInfo> CopyCoreAsync(
        string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken)
    {
        var source = GetBlob(sourceName);
        var destination = GetBlob(destinationName);
        var conditions = sourceETag is null ? null : new BlobRequestConditions { IfMatch = new ETag(sourceETag) };
        try
        {
            await CopyBlobAsync(source, destination, conditions, null, destinationName, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            throw new FileNotFoundException($"Storage '{StorageName}' has no file named '{sourceName}' with the expected content.", sourceName, ex);
        }

        var copied = await GetMetadataCoreAsync(destinationName, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"Storage '{StorageName}': the copy '{destinationName}' disappeared as soon as it was made.");
        _logger.Copied(StorageName, sourceName, destinationName, copied.Length);
        return copied;
    }

    /// <inheritdoc/>
    protected override async IAsyncEnumerable<StoredFileInfo> ListCoreAsync(
        string prefix, string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var options = new GetBlobsOptions { Traits = BlobTraits.Metadata, Prefix = _prefix + prefix };
        await foreach (var item in Container.GetBlobsAsync(options, cancellationToken).ConfigureAwait(false))
        {
            if (item.Deleted || !item.Name.StartsWith(_prefix, StringComparison.Ordinal) || item.Name.Length == _prefix.Length ||
                IsReserved(item.Name[_prefix.Length..]))
            {
                continue;
            }

            var properties = item.Properties;
            yield return new StoredFileInfo(item.Name[_prefix.Length..], properties.ContentLength ?? 0)
            {
                ContentType = properties.ContentType,
                ContentDisposition = properties.ContentDisposition,
                LastModified = properties.LastModified,
                ETag = properties.ETag?.ToString(),
                Checksums = GetChecksums(properties.ContentHash),
                Metadata = item.Metadata is { Count: > 0 }
                    ? new Dictionary<string, string>(item.Metadata, StringComparer.OrdinalIgnoreCase)
                    : new Dictionary<string, string>(),
            };
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Without <see cref="AzureBlobStorageOptions.SignedUrls"/> the plain blob URL; otherwise a read-only SAS URL valid for
    /// <see cref="AzureBlobStorageOptions.UrlExpiry"/>. <see cref="AzureBlobStorageOptions.CustomDomain"/> replaces the host.
    /// </remarks>
    protected override async Task<string?> GetUrlCoreAsync(string name, CancellationToken cancellationToken)
    {
        var blob = GetBlob(name);
        var uri = _signedUrls
            ? await CreateSasUriAsync(
                blob, BlobSasPermissions.Read, _time.GetUtcNow() + _urlExpiry, null, null, cancellationToken).ConfigureAwait(false)
            : blob.Uri;
        return ApplyCustomDomain(uri).AbsoluteUri;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// The URL carries a SAS for one blob with only the create and write permissions. The client sends one <c>PUT</c> of
    /// the body with every header in <see cref="PresignedUrl.Headers"/>: <c>x-ms-blob-type: BlockBlob</c>,
    /// <c>Content-Type</c>, <c>If-None-Match: *</c> unless the storage overwrites, the configured Cache-Control and
    /// Content-Disposition, and <c>Content-MD5</c> when <see cref="PresignedUploadRequest.ContentMd5"/> is set (Azure then
    /// refuses a body that does not match it). One <c>PUT</c> may carry up to 5000 MiB.
    /// </para>
    /// <para>
    /// A SAS cannot limit the size or the content type of what is sent: <see cref="PresignedUploadRequest.MaxLength"/>,
    /// <see cref="PresignedUploadRequest.ContentLength"/> and <see cref="PresignedUploadRequest.ChecksumSha256"/> are not
    /// enforced by Azure. Confirm the upload (check the stored blob's size, type and checksum) before accepting the file.
    /// </para>
    /// </remarks>
    /// <exception cref="NotSupportedException">The request asks for a form <c>POST</c>, which Azure Blob Storage does not offer.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The expiry is not positive or is longer than <see cref="MaxSasLifetime"/>.</exception>
    public async Task<PresignedUrl> CreateUploadUrlAsync(PresignedUploadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method != PresignedUploadMethod.Put)
        {
            throw new NotSupportedException("Azure Blob Storage has no browser form POST upload: request " +
                "PresignedUploadMethod.Put, a PUT of the body to the SAS URL with the returned headers.");
        }

        ValidateExpiry(request.ExpiresIn);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var blob = GetBlob(request.Name);
        var expiresOn = _time.GetUtcNow() + request.ExpiresIn;
        var uri = await CreateSasUriAsync(
            blob, BlobSasPermissions.Create | BlobSasPermissions.Write, expiresOn, null, null, cancellationToken).ConfigureAwait(false);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["x-ms-blob-type"] = "BlockBlob",
            ["Content-Type"] = request.ContentType ?? StoredContentTypes.FromName(request.Name),
        };
        if (!_overwrite)
        {
            headers["If-None-Match"] = "*";
        }

        if (_cacheControl is not null)
        {
            headers["x-ms-blob-cache-control"] = _cacheControl;
        }

        if (_contentDisposition is not null)
        {
            headers["x-ms-blob-content-disposition"] = _contentDisposition;
        }

        if (request.ContentMd5 is { Length: > 0 } md5)
        {
            headers["Content-MD5"] = md5;
        }

        return new PresignedUrl("PUT", uri, expiresOn) { Headers = headers };
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A read-only SAS for one blob; <see cref="PresignedDownloadRequest.ResponseContentDisposition"/> and
    /// <see cref="PresignedDownloadRequest.ResponseContentType"/> are signed into it. <see cref="AzureBlobStorageOptions.CustomDomain"/>
    /// replaces the host.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The expiry is not positive or is longer than <see cref="MaxSasLifetime"/>.</exception>
    public async Task<PresignedUrl> CreateDownloadUrlAsync(PresignedDownloadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateExpiry(request.ExpiresIn);
        var blob = GetBlob(request.Name);
        var expiresOn = _time.GetUtcNow() + request.ExpiresIn;
        var uri = await CreateSasUriAsync(
            blob,
            BlobSasPermissions.Read,
            expiresOn,
            request.ResponseContentDisposition,
            request.ResponseContentType,
            cancellationToken).ConfigureAwait(false);
        return new PresignedUrl("GET", ApplyCustomDomain(uri), expiresOn);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Nothing is sent to Azure: the write's blocks go to a staging blob of its own, <c>.uploadkit/resumable/{id}</c>
    /// under the storage's <see cref="AzureBlobStorageOptions.KeyPrefix"/>, a name no file of the storage can have.
    /// </remarks>
    public Task<ResumableWrite> BeginWriteAsync(string name, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        name = ValidateName(name);
        var state = AzureResumableWriteState.Create(options, _blockSize);
        return Task.FromResult(new ResumableWrite(name, 0, state.Serialize()));
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// The content is staged (Put Block) on the write's staging blob in blocks of the storage's
    /// <see cref="AzureBlobStorageOptions.ChunkSize"/> (as it was when the write began), up to
    /// <see cref="AzureBlobStorageOptions.MaxConcurrency"/> at once, so memory stays within
    /// <c>(MaxConcurrency + 1) × ChunkSize</c> whatever the append's size. Block ids carry the block's index in the file
    /// and a tag drawn for this append; the returned write records the tag, so its block list names exactly the blocks of
    /// recorded appends and a block of an append that was not recorded (even one a slow server stages late) is never
    /// committed.
    /// </para>
    /// <para>
    /// An append's last bytes that do not fill a block are staged as a short block when they are at least 256 KiB (or a
    /// block), and otherwise kept in a small side blob that the next append reads back and fills into its first block. So
    /// tiny appends cost no blocks, every block but the last holds at least 256 KiB, and a file of any sequence of appends
    /// fits the 50,000 blocks a blob may commit up to at least 50,000 × 256 KiB (12 GiB), and up to
    /// 50,000 × <see cref="AzureBlobStorageOptions.ChunkSize"/> when appends are whole blocks.
    /// </para>
    /// </remarks>
    /// <exception cref="IOException">The content stream failed, or the write would need more than 50,000 blocks; the
    /// recorded write stays usable.</exception>
    public async Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var state = AzureResumableWriteState.Parse(write);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var staging = GetStagingBlob(state);
        var pool = ArrayPool<byte>.Shared;
        var buffer = pool.Rent(state.BlockSize);
        (byte[] Buffer, int Length)? tail = null;
        try
        {
            // The kept tail, then the content, fill the first block.
            var kept = state.Tail is null
                ? 0
                : await ReadTailAsync(staging, state.Tail, buffer, cancellationToken).ConfigureAwait(false);
            var filled = await ReadBlockAsync(content, buffer, kept, state.BlockSize, cancellationToken).ConfigureAwait(false);
            if (filled == kept)
            {
                return write;
            }

            var tag = AzureResumableWriteState.NewTag();
            var first = (int)state.BlockCount;
            var queue = new Queue<(byte[] Buffer, int Length)>([(buffer, filled)]);
            buffer = null;
            var staged = await StageBlocksAsync(
                staging,
                queue,
                content,
                state.BlockSize,
                AzureResumableWriteState.MaxBlockCount - first,
                index => AzureResumableWriteState.BlockId(first + index, tag),
                state.KeptTailLimit,
                hashes: null,
                progress: _ => { },
                cancellationToken).ConfigureAwait(false);
            tail = staged.Tail;
            if (first + staged.Count + (tail is null ? 0 : 1) > AzureResumableWriteState.MaxBlockCount)
            {
                throw new IOException($"The write would need more than {AzureResumableWriteState.MaxBlockCount} blocks of " +
                    $"{state.BlockSize} bytes, the most a blob holds; this append was not kept.");
            }

            AzureResumableAppend? keptTail = null;
            if (tail is { } bytes)
            {
                keptTail = new() { Tag = tag, Length = bytes.Length };
                using var body = new MemoryStream(bytes.Buffer, 0, bytes.Length, writable: false);
                await GetTailBlob(staging, tag).UploadAsync(body, new BlobUploadOptions(), cancellationToken).ConfigureAwait(false);
            }

            if (state.PreviousTail is not null)
            {
                // The tail the recorded write replaced: nothing can ask for it any more.
                await GetTailBlob(staging, state.PreviousTail).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            var next = state.With(staged.Length == 0 ? null : new() { Tag = tag, Length = staged.Length }, keptTail);
            return new ResumableWrite(write.Name, write.Length - kept + staged.Length + (tail?.Length ?? 0), next.Serialize());
        }
        finally
        {
            if (buffer is not null)
            {
                pool.Return(buffer);
            }

            if (tail is { } held)
            {
                pool.Return(held.Buffer);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <para>
    /// The recorded blocks are committed (Put Block List) to the staging blob with the file's Content-Type,
    /// Content-Disposition, Cache-Control and metadata, as a save stores them; blocks of unrecorded appends are dropped by
    /// that commit. The staging blob is then copied within the account (Copy Blob, which carries those properties) to the
    /// file's name, create-only (<c>If-None-Match: *</c>) unless the storage overwrites, moving to a free name when the
    /// name is taken, and deleted.
    /// </para>
    /// <para>
    /// The copy is made by Azure, not through the app, but it is a copy of the whole file: it is billed as a write and
    /// takes time that grows with the file. It is what lets uploads of the same name run at once and a taken name get a
    /// fresh one: blocks staged on the file's own name could only be committed to that name, and any commit to it by
    /// another writer would discard them. The stored blob has no <c>Content-MD5</c>, since no single pass saw its bytes.
    /// </para>
    /// </remarks>
    public async Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var state = AzureResumableWriteState.Parse(write);
        var name = ValidateName(write.Name);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var save = CreateSave(name, state.ToSaveOptions(write.Length));
        var staging = GetStagingBlob(state);
        var blocks = state.BlockIds();
        if (state.Tail is { } tail)
        {
            // The kept tail becomes the last block.
            var id = AzureResumableWriteState.BlockId(blocks.Count, tail.Tag);
            var buffer = ArrayPool<byte>.Shared.Rent((int)tail.Length + 1);
            try
            {
                var length = await ReadTailAsync(staging, tail, buffer, cancellationToken).ConfigureAwait(false);
                await StageBlockAsync(staging, id, buffer, length, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            blocks.Add(id);
        }

        var commit = new CommitBlockListOptions
        {
            HttpHeaders = CreateHttpHeaders(save),
            Metadata = save.Metadata.Count > 0 ? new Dictionary<string, string>(save.Metadata) : null,
        };
        BlobContentInfo committed;
        try
        {
            committed = (await staging.CommitBlockListAsync(blocks, commit, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.InvalidBlockList.ToString())
        {
            throw new IOException($"Storage '{StorageName}': the blocks of the write for '{name}' are gone (aborted, or " +
                "not appended for more than 7 days); nothing was stored.", ex);
        }

        var source = new BlobRequestConditions { IfMatch = committed.ETag };
        while (true)
        {
            var target = GetBlob(save.Name);
            try
            {
                await CopyBlobAsync(
                    staging, target, source, save.Overwrite ? null : new BlobRequestConditions { IfNoneMatch = ETag.All },
                    save.Name, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RequestFailedException ex) when (!save.Overwrite && IsNameTaken(ex) &&
                ex.ErrorCode != BlobErrorCode.SourceConditionNotMet.ToString())
            {
                await save.NextFreeNameAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await DeleteStagingAsync(staging, name, cancellationToken).ConfigureAwait(false);
        _logger.ResumableCompleted(StorageName, save.Name, write.Length, blocks.Count);
        var info = await GetMetadataCoreAsync(save.Name, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"Storage '{StorageName}': '{save.Name}' disappeared as soon as it was stored.");
        if (info.Length != write.Length)
        {
            throw new IOException($"Storage '{StorageName}': '{save.Name}' holds {info.Length} bytes, not the write's {write.Length}.");
        }

        return info;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A blob that was never committed cannot be deleted, and its uncommitted blocks would otherwise wait up to 7 days for
    /// Azure to discard them: the staging blob is committed empty, which drops every uncommitted block at once, and then
    /// deleted. Blocks a server still stages after the abort (one that lost its lock mid-append) are left to Azure's
    /// 7-day discard.
    /// </remarks>
    public async Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var staging = GetStagingBlob(AzureResumableWriteState.Parse(write));
        try
        {
            await staging.CommitBlockListAsync([], options: null, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.ContainerNotFound.ToString())
        {
            return;
        }

        await DeleteSideBlobsAsync(staging, cancellationToken).ConfigureAwait(false);
        await staging.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        _logger.ResumableAborted(StorageName, write.Name);
    }

    /// <inheritdoc/>
    /// <remarks>Names whose first segment starts with <c>.uploadkit</c> are kept for the storage's staging blobs.</remarks>
    protected override string ValidateName(string name)
    {
        name = base.ValidateName(name);
        if (IsReserved(name))
        {
            throw new SuspiciousFileNameException($"Names starting with '{Reserved}' are reserved by the storage.");
        }

        return name;
    }

    internal BlockBlobClient GetBlob(string name) => Container.GetBlockBlobClient(_prefix + ValidateName(name));

    internal BlockBlobClient GetStagingBlob(AzureResumableWriteState state) =>
        Container.GetBlockBlobClient($"{_prefix}{Reserved}/resumable/{state.Id}");

    private static bool IsReserved(string name) => name.StartsWith(Reserved, StringComparison.OrdinalIgnoreCase);

    /// <summary>The side blob that keeps the tail of the append tagged <paramref name="tag"/>.</summary>
    private BlockBlobClient GetTailBlob(BlockBlobClient staging, string tag) => Container.GetBlockBlobClient($"{staging.Name}.tail-{tag}");

    /// <summary>Reads a kept tail into the start of <paramref name="buffer"/>.</summary>
    /// <returns>Its length.</returns>
    private async Task<int> ReadTailAsync(BlockBlobClient staging, AzureResumableAppend tail, byte[] buffer, CancellationToken cancellationToken)
    {
        var blob = GetTailBlob(staging, tail.Tag);
        try
        {
            var response = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            var stream = response.Value.Content;
            await using (stream.ConfigureAwait(false))
            {
                var length = await ReadBlockAsync(stream, buffer, 0, (int)tail.Length + 1, cancellationToken).ConfigureAwait(false);
                if (length == tail.Length)
                {
                    return length;
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new IOException($"Storage '{StorageName}': the last bytes of a write were aborted or lost; it cannot continue.", ex);
        }

        throw new IOException($"Storage '{StorageName}': the last bytes of a write do not have their recorded length; it cannot continue.");
    }

    /// <summary>Deletes every side blob of the write whose staging blob is <paramref name="staging"/>: kept tails, recorded or not.</summary>
    private async Task DeleteSideBlobsAsync(BlockBlobClient staging, CancellationToken cancellationToken)
    {
        var options = new GetBlobsOptions { Prefix = staging.Name + "." };
        await foreach (var item in Container.GetBlobsAsync(options, cancellationToken).ConfigureAwait(false))
        {
            await Container.GetBlobClient(item.Name).DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DeleteStagingAsync(BlockBlobClient staging, string name, CancellationToken cancellationToken)
    {
        try
        {
            await DeleteSideBlobsAsync(staging, cancellationToken).ConfigureAwait(false);
            await staging.DeleteIfExistsAsync(
                DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex)
        {
            // The file is stored; failing now would make a retry store it twice. The staging blob stays for an abort
            // of the write, or a lifecycle rule on the reserved folder, to remove.
            _logger.StagingNotDeleted(StorageName, name, staging.Name, ex);
        }
    }

    /// <summary>
    /// Copy Blob from <paramref name="source"/> to <paramref name="destination"/> within the account, authorized by the
    /// storage's own credential, waiting for a copy the service runs in the background.
    /// </summary>
    private async Task CopyBlobAsync(
        BlobBaseClient source,
        BlobBaseClient destination,
        BlobRequestConditions? sourceConditions,
        BlobRequestConditions? destinationConditions,
        string destinationName,
        CancellationToken cancellationToken)
    {
        var options = new BlobCopyFromUriOptions { SourceConditions = sourceConditions, DestinationConditions = destinationConditions };
        var operation = await destination.StartCopyFromUriAsync(source.Uri, options, cancellationToken).ConfigureAwait(false);
        await operation.WaitForCompletionAsync(cancellationToken).ConfigureAwait(false);
        var copied = await destination.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (copied.Value.BlobCopyStatus is { } status && status != CopyStatus.Success)
        {
            await destination.DeleteIfExistsAsync(
                DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            throw new IOException($"Storage '{StorageName}': copying to '{destinationName}' ended {status}: {copied.Value.CopyStatusDescription}");
        }
    }

    private async Task<string?> TrySaveAsync(
        StorageSave save, Stream content, BlobHttpHeaders headers, Dictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var pool = ArrayPool<byte>.Shared;
        using var hashes = new ContentHashes(save.Checksums);
        var conditions = save.Overwrite ? null : new BlobRequestConditions { IfNoneMatch = ETag.All };
        var first = pool.Rent(_blockSize);
        byte[]? second = null;
        try
        {
            var firstLength = await ReadBlockAsync(content, first, 0, _blockSize, cancellationToken).ConfigureAwait(false);
            hashes.Append(first.AsSpan(0, firstLength));
            var secondLength = 0;
            if (firstLength == _blockSize)
            {
                second = pool.Rent(_blockSize);
                secondLength = await ReadBlockAsync(content, second, 0, _blockSize, cancellationToken).ConfigureAwait(false);
                hashes.Append(second.AsSpan(0, secondLength));
            }

            if (secondLength == 0)
            {
                headers.ContentHash = hashes.Verify();
                return await PutSingleAsync(save, first, firstLength, headers, metadata, conditions, cancellationToken).ConfigureAwait(false);
            }

            var blocks = new Queue<(byte[] Buffer, int Length)>([(first, firstLength), (second!, secondLength)]);
            first = null;
            second = null;
            return await StageAndCommitAsync(
                save.Name, blocks, content, hashes, headers, metadata, conditions, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (first is not null)
            {
                pool.Return(first);
            }

            if (second is not null)
            {
                pool.Return(second);
            }
        }
    }

    private async Task<string> PutSingleAsync(
        StorageSave save,
        byte[] buffer,
        int length,
        BlobHttpHeaders headers,
        Dictionary<string, string>? metadata,
        BlobRequestConditions? conditions,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var name = save.Name;
            try
            {
                using var body = new MemoryStream(buffer, 0, length, writable: false);
                var options = new BlobUploadOptions { HttpHeaders = headers, Metadata = metadata, Conditions = conditions };
                await GetBlob(name).UploadAsync(body, options, cancellationToken).ConfigureAwait(false);
                _logger.BlobSaved(StorageName, name, length, 1);
                return name;
            }
            catch (RequestFailedException ex) when (conditions is not null && IsNameTaken(ex))
            {
                save.NextName();
            }
        }
    }

    /// <summary>
    /// Stages the blocks already read (<paramref name="queue"/>, whose buffers it returns to the pool) and the rest of
    /// <paramref name="content"/>, then commits; <see langword="null"/> if the name was taken meanwhile.
    /// </summary>
    private async Task<string?> StageAndCommitAsync(
        string name,
        Queue<(byte[] Buffer, int Length)> queue,
        Stream content,
        ContentHashes hashes,
        BlobHttpHeaders headers,
        Dictionary<string, string>? metadata,
        BlobRequestConditions? conditions,
        CancellationToken cancellationToken)
    {
        var blob = GetBlob(name);
        var uploadId = Guid.NewGuid().ToString("N");
        string BlockId(int index) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"{uploadId}{index:D6}"));
        var staged = 0;
        try
        {
            var (count, length, _) = await StageBlocksAsync(
                blob, queue, content, _blockSize, MaxBlockCount, BlockId, 0, hashes, n => staged = n, cancellationToken).ConfigureAwait(false);
            headers.ContentHash = hashes.Verify();
            var options = new CommitBlockListOptions { HttpHeaders = headers, Metadata = metadata, Conditions = conditions };
            try
            {
                await blob.CommitBlockListAsync(Enumerable.Range(0, count).Select(BlockId), options, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (conditions is not null && IsNameTaken(ex))
            {
                return null;
            }

            _logger.BlobSaved(StorageName, name, length, count);
            return name;
        }
        catch (Exception ex)
        {
            _logger.SaveAbandoned(StorageName, name, staged, ex);
            throw;
        }
    }

    /// <summary>
    /// Stages the blocks already read (<paramref name="queue"/>, whose buffers it returns to the pool) and the rest of
    /// <paramref name="content"/>, cut into blocks of <paramref name="blockSize"/> bytes with ids
    /// <paramref name="blockId"/>(0), (1), …, up to <see cref="AzureBlobStorageOptions.MaxConcurrency"/> at once. At most
    /// that many plus one buffers are held. Commits nothing. A last block shorter than <paramref name="keepTailUnder"/> is not
    /// staged but handed back, in a pooled buffer the caller returns.
    /// </summary>
    /// <returns>The number of blocks and bytes staged, and the tail kept back.</returns>
    /// <exception cref="IOException">The content needs more than <paramref name="maxBlocks"/> blocks.</exception>
    private async Task<(int Count, long Length, (byte[] Buffer, int Length)? Tail)> StageBlocksAsync(
        BlockBlobClient blob,
        Queue<(byte[] Buffer, int Length)> queue,
        Stream content,
        int blockSize,
        int maxBlocks,
        Func<int, string> blockId,
        int keepTailUnder,
        ContentHashes? hashes,
        Action<int> progress,
        CancellationToken cancellationToken)
    {
        var pool = ArrayPool<byte>.Shared;
        var inFlight = new List<(Task Task, byte[] Buffer)>(_maxConcurrency);
        using var staging = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var count = 0;
        long length = 0;
        (byte[] Buffer, int Length)? tail = null;
        try
        {
            while (true)
            {
                // A block is read only once a slot is free, so at most MaxConcurrency + 1 buffers are held.
                while (inFlight.Count >= _maxConcurrency)
                {
                    await CompleteOneAsync(inFlight).ConfigureAwait(false);
                }

                byte[] buffer;
                int read;
                if (queue.Count > 0)
                {
                    (buffer, read) = queue.Dequeue();
                }
                else
                {
                    buffer = pool.Rent(blockSize);
                    try
                    {
                        read = await ReadBlockAsync(content, buffer, 0, blockSize, cancellationToken).ConfigureAwait(false);
                    }
                    catch
                    {
                        pool.Return(buffer);
                        throw;
                    }

                    if (read == 0)
                    {
                        pool.Return(buffer);
                        break;
                    }

                    hashes?.Append(buffer.AsSpan(0, read));
                }

                if (read < keepTailUnder && read < blockSize)
                {
                    // A short block is the content's last.
                    tail = (buffer, read);
                    break;
                }

                if (count == maxBlocks)
                {
                    pool.Return(buffer);
                    throw new IOException($"The content needs more than {maxBlocks} blocks of {blockSize} bytes, and a blob " +
                        $"holds at most {MaxBlockCount} blocks; raise ChunkSize.");
                }

                inFlight.Add((StageBlockAsync(blob, blockId(count), buffer, read, staging.Token), buffer));
                count++;
                length += read;
                progress(count);
            }

            while (inFlight.Count > 0)
            {
                await CompleteOneAsync(inFlight).ConfigureAwait(false);
            }

            return (count, length, tail);
        }
        catch
        {
            await staging.CancelAsync().ConfigureAwait(false);
            if (tail is { } held)
            {
                pool.Return(held.Buffer);
            }

            throw;
        }
        finally
        {
            foreach (var (task, buffer) in inFlight)
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception) when (task.IsFaulted || task.IsCanceled)
                {
                    // The staging already failed; this block's own failure adds nothing.
                }

                pool.Return(buffer);
            }

            foreach (var (buffer, _) in queue)
            {
                pool.Return(buffer);
            }
        }
    }

    private static async Task CompleteOneAsync(List<(Task Task, byte[] Buffer)> inFlight)
    {
        var done = await Task.WhenAny(inFlight.Select(b => b.Task)).ConfigureAwait(false);
        var index = inFlight.FindIndex(b => b.Task == done);
        var buffer = inFlight[index].Buffer;
        inFlight.RemoveAt(index);
        try
        {
            await done.ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task StageBlockAsync(BlockBlobClient blob, string blockId, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream(buffer, 0, length, writable: false);
        await blob.StageBlockAsync(blockId, body, options: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads <paramref name="content"/> into <paramref name="buffer"/> after its first <paramref name="start"/> bytes, until
    /// <paramref name="blockSize"/> bytes are there or the content ends.</summary>
    /// <returns>The bytes in the buffer, <paramref name="start"/> included.</returns>
    private static async Task<int> ReadBlockAsync(Stream content, byte[] buffer, int start, int blockSize, CancellationToken cancellationToken)
    {
        var total = start;
        while (total < blockSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(total, blockSize - total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <inheritdoc/>
    protected override void OnNameTaken(string name, string alternateName) => _logger.NameTaken(StorageName, name, alternateName);

    private static bool IsNameTaken(RequestFailedException ex) =>
        ex.Status == 412 || (ex.Status == 409 && ex.ErrorCode == BlobErrorCode.BlobAlreadyExists.ToString());

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (!_createContainer || _containerReady)
        {
            return;
        }

        await _containerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_containerReady)
            {
                var created = await Container.CreateIfNotExistsAsync(
                    PublicAccessType.None, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (created is not null)
                {
                    _logger.ContainerCreated(StorageName, Container.Name);
                }

                _containerReady = true;
            }
        }
        finally
        {
            _containerLock.Release();
        }
    }

    private async Task<Uri> CreateSasUriAsync(
        BlobBaseClient blob,
        BlobSasPermissions permissions,
        DateTimeOffset expiresOn,
        string? contentDisposition,
        string? contentType,
        CancellationToken cancellationToken)
    {
        var builder = new BlobSasBuilder(permissions, expiresOn)
        {
            BlobContainerName = blob.BlobContainerName,
            BlobName = blob.Name,
            Resource = "b",
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
            ContentDisposition = contentDisposition,
            ContentType = contentType,
        };
        if (blob.CanGenerateSasUri)
        {
            return blob.GenerateSasUri(builder);
        }

        var key = await GetUserDelegationKeyAsync(expiresOn, cancellationToken).ConfigureAwait(false);
        var uri = new BlobUriBuilder(blob.Uri);
        uri.Sas = builder.ToSasQueryParameters(key, uri.AccountName);
        return uri.ToUri();
    }

    private async Task<UserDelegationKey> GetUserDelegationKeyAsync(DateTimeOffset sasExpiresOn, CancellationToken cancellationToken)
    {
        var cached = _delegationKey;
        if (cached is not null && cached.SignedExpiresOn >= sasExpiresOn)
        {
            return cached;
        }

        // One key serves many URLs: ask for a day (or the URL's lifetime, if longer), within the 7-day limit.
        var now = _time.GetUtcNow();
        var keyExpiresOn = sasExpiresOn > now + TimeSpan.FromDays(1) ? sasExpiresOn : now + TimeSpan.FromDays(1);
        if (keyExpiresOn > now + MaxSasLifetime)
        {
            keyExpiresOn = now + MaxSasLifetime;
        }

        var response = await _service.GetUserDelegationKeyAsync(null, keyExpiresOn, cancellationToken).ConfigureAwait(false);
        _logger.UserDelegationKeyRequested(StorageName, keyExpiresOn);
        _delegationKey = response.Value;
        return response.Value;
    }

    private Uri ApplyCustomDomain(Uri uri)
    {
        if (_customDomain is null)
        {
            return uri;
        }

        var parts = new BlobUriBuilder(uri);
        var path = "/" + Uri.EscapeDataString(parts.BlobContainerName) + "/" +
            string.Join('/', parts.BlobName.Split('/').Select(Uri.EscapeDataString));
        return new UriBuilder(Uri.UriSchemeHttps, _customDomain) { Path = path, Query = parts.Sas?.ToString() ?? string.Empty, Port = -1 }.Uri;
    }

    private BlobHttpHeaders CreateHttpHeaders(StorageSave save) => new()
    {
        ContentType = save.ContentType,
        CacheControl = _cacheControl,
        ContentDisposition = save.ContentDisposition,
    };

    private static Dictionary<string, string> GetChecksums(byte[]? contentHash) =>
        contentHash is { Length: > 0 }
            ? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["md5"] = Convert.ToHexStringLower(contentHash) }
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    private static void ValidateExpiry(TimeSpan expiresIn)
    {
        if (expiresIn <= TimeSpan.Zero || expiresIn > MaxSasLifetime)
        {
            throw new ArgumentOutOfRangeException(
                nameof(expiresIn), expiresIn, $"A presigned URL's expiry must be positive and at most {MaxSasLifetime.TotalDays} days.");
        }
    }

    /// <summary>The MD5 of saved content, always, and the SHA-256 when the caller gave one to verify.</summary>
    private sealed class ContentHashes : IDisposable
    {
        private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private readonly IncrementalHash? _sha256;
        private readonly string? _expectedMd5;
        private readonly string? _expectedSha256;

        public ContentHashes(IDictionary<string, string>? expected)
        {
            if (expected is not null)
            {
                expected.TryGetValue("md5", out _expectedMd5);
                if (expected.TryGetValue("sha256", out _expectedSha256))
                {
                    _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                }
            }
        }

        public void Append(ReadOnlySpan<byte> data)
        {
            _md5.AppendData(data);
            _sha256?.AppendData(data);
        }

        /// <summary>Checks the expected checksums and returns the MD5 to store.</summary>
        public byte[] Verify()
        {
            var md5 = _md5.GetHashAndReset();
            Check("md5", _expectedMd5, md5);
            if (_sha256 is not null)
            {
                Check("sha256", _expectedSha256, _sha256.GetHashAndReset());
            }

            return md5;
        }

        public void Dispose()
        {
            _md5.Dispose();
            _sha256?.Dispose();
        }

        private static void Check(string algorithm, string? expected, byte[] actual)
        {
            if (expected is not null && !string.Equals(expected, Convert.ToHexStringLower(actual), StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"The content's {algorithm} checksum is " +
                    $"{Convert.ToHexStringLower(actual)}, not the expected {expected}; nothing was saved.");
            }
        }
    }
}
