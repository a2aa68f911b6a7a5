using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UploadKit.Storage.S3.Internal;

namespace UploadKit.Storage.S3;

/// <summary>
/// A storage in an Amazon S3 or S3-compatible bucket (django-storages' <c>S3Storage</c>). Saves stream: a file
/// shorter than <see cref="S3StorageOptions.MultipartThreshold"/> goes in one <c>PUT</c>, a longer one (or one of
/// unknown length that turns out longer) in a multipart upload with bounded memory, aborted on any failure.
/// Also hands out presigned <c>PUT</c>, <c>POST</c>-policy, multipart-part and <c>GET</c> URLs, and takes resumable
/// writes (<see cref="IResumableFileStorage"/>) in a multipart upload, keeping only bytes short of a part in the bucket's
/// reserved <c>.uploadkit/resumable/</c> folder.
/// </summary>
public sealed partial class S3Storage : FileStorage, IPresignedUrlProvider, IResumableFileStorage, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly S3StorageOptions _options;
    private readonly AWSCredentials? _credentials;
    private readonly bool _ownsClient;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly PartBufferPool _parts;

    // Resolved once; a null leaves the request's own default (unset), as an absent option should.
    private readonly S3CannedACL? _cannedAcl;
    private readonly ServerSideEncryptionMethod? _serverSideEncryption;
    private readonly S3StorageClass? _storageClass;

    /// <summary>Creates a storage over an S3 client the app configured.</summary>
    /// <param name="client">The S3 client; the storage does not dispose it.</param>
    /// <param name="options">The options; <see cref="S3StorageOptions.ClientFactory"/> is ignored here.</param>
    /// <param name="logger">A logger, or <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock for presigned POST policies; <see cref="TimeProvider.System"/> by default.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public S3Storage(IAmazonS3 client, S3StorageOptions options, ILogger<S3Storage>? logger = null, TimeProvider? timeProvider = null)
        : this(
            client,
            ValidOptions(options),
            S3StorageFactory.CreateCredentials(options),
            ownsClient: false,
            logger,
            timeProvider ?? TimeProvider.System,
            "S3")
    {
    }

    internal S3Storage(
        IAmazonS3 client,
        S3StorageOptions options,
        AWSCredentials? credentials,
        bool ownsClient,
        ILogger? logger,
        TimeProvider timeProvider,
        string storageName)
        : base(storageName, options.Overwrite, options.ContentDisposition)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _options = options;
        _credentials = credentials;
        _ownsClient = ownsClient;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider;
        _prefix = options.KeyPrefix.Trim('/') is { Length: > 0 } location ? location + "/" : string.Empty;
        _parts = new PartBufferPool(options.ChunkSize, options.MaxConcurrency + 1);
        _cannedAcl = options.DefaultAcl is { } acl ? S3CannedACL.FindValue(acl) : null;
        _serverSideEncryption = options.ObjectParameters.ServerSideEncryption is { } sse ? ServerSideEncryptionMethod.FindValue(sse) : null;
        _storageClass = options.ObjectParameters.StorageClass is { } storageClass ? S3StorageClass.FindValue(storageClass) : null;
    }

    /// <summary>Gets the S3 client the storage uses.</summary>
    public IAmazonS3 Client => _client;

    /// <inheritdoc />
    protected override async Task<string> SaveCoreAsync(Stream content, StorageSave save, CancellationToken cancellationToken)
    {
        var conditional = !save.Overwrite && _options.ConditionalWrites;

        // Read up to the threshold (in part-sized buffers) to choose between one PUT and a multipart upload.
        var buffered = new List<PartBuffer>();
        try
        {
            long total = 0;
            var ended = false;
            var threshold = Math.Max(1, _options.MultipartThreshold);
            while (total < threshold && !ended)
            {
                var part = await _parts.ReadAsync(content, cancellationToken).ConfigureAwait(false);
                ended = part.Length < _parts.PartSize;
                if (part.Length == 0 && buffered.Count > 0)
                {
                    part.Dispose();
                    break;
                }

                buffered.Add(part);
                total += part.Length;
            }

            if (ended && total < threshold)
            {
                return await PutSingleAsync(save, buffered, total, conditional, cancellationToken).ConfigureAwait(false);
            }

            var parts = buffered.ToList();
            buffered.Clear();
            return await PutMultipartAsync(save, parts, ended, content, conditional, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var part in buffered)
            {
                part.Dispose();
            }
        }
    }

    /// <inheritdoc />
    protected override async Task<Stream> OpenReadCoreAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectAsync(
                new GetObjectRequest { BucketName = _options.Bucket, Key = GetKey(name) }, cancellationToken).ConfigureAwait(false);
            return response.ResponseStream;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"No file named '{name}' in storage '{StorageName}'.", name, ex);
        }
    }

    /// <inheritdoc />
    protected override async Task<bool> DeleteCoreAsync(string name, CancellationToken cancellationToken)
    {
        var key = GetKey(name);
        if (!await KeyExistsAsync(key, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    protected override Task<bool> ExistsCoreAsync(string name, CancellationToken cancellationToken) =>
        KeyExistsAsync(GetKey(name), cancellationToken);

    /// <inheritdoc />
    protected override async Task<StoredFileInfo?> GetMetadataCoreAsync(string name, CancellationToken cancellationToken)
    {
        GetObjectMetadataResponse response;
        try
        {
            response = await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = GetKey(name), ChecksumMode = ChecksumMode.ENABLED },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var checksums = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        AddChecksum(checksums, "sha256", response.ChecksumSHA256);
        AddChecksum(checksums, "crc32", response.ChecksumCRC32);
        AddChecksum(checksums, "crc32c", response.ChecksumCRC32C);
        AddChecksum(checksums, "sha1", response.ChecksumSHA1);
        var etag = response.ETag;
        if (etag is { Length: 34 } && etag[0] == '"' && !etag.Contains('-', StringComparison.Ordinal) &&
            response.ServerSideEncryptionMethod != ServerSideEncryptionMethod.AWSKMS &&
            response.ServerSideEncryptionMethod != ServerSideEncryptionMethod.AWSKMSDSSE)
        {
            // A plain PUT's ETag is the MD5 of the bytes (not so for multipart uploads or KMS encryption).
            checksums["md5"] = etag[1..^1].ToLowerInvariant();
        }

        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var key in response.Metadata.Keys)
        {
            metadata[key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? key["x-amz-meta-".Length..] : key] = response.Metadata[key];
        }

        return new StoredFileInfo(name, response.ContentLength)
        {
            ContentType = response.Headers.ContentType,
            ContentDisposition = response.Headers.ContentDisposition,
            LastModified = response.LastModified is { } modified
                ? new DateTimeOffset(DateTime.SpecifyKind(modified, DateTimeKind.Utc).ToUniversalTime())
                : null,
            ETag = etag,
            Checksums = checksums,
            Metadata = metadata,
        };
    }

    /// <inheritdoc />
    protected override async IAsyncEnumerable<StoredFileInfo> ListCoreAsync(
        string prefix, string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = _prefix + prefix, MaxKeys = ListPageSize };
        do
        {
            var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            foreach (var item in response.S3Objects ?? [])
            {
                if (!item.Key.StartsWith(_prefix, StringComparison.Ordinal) || item.Key.Length == _prefix.Length || item.Key.EndsWith('/') ||
                    IsReserved(item.Key[_prefix.Length..]))
                {
                    continue;
                }

                yield return new StoredFileInfo(item.Key[_prefix.Length..], item.Size ?? 0)
                {
                    LastModified = item.LastModified is { } modified
                        ? new DateTimeOffset(DateTime.SpecifyKind(modified, DateTimeKind.Utc).ToUniversalTime())
                        : null,
                    ETag = item.ETag,
                };
            }

            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
    }

    /// <inheritdoc />
    /// <remarks>
    /// <c>CopyObject</c> (the metadata copied, the storage's ACL, encryption and storage class applied), or above 5 GiB,
    /// S3's limit for one copy, a multipart upload of <c>UploadPartCopy</c> ranges; each request is conditional on the
    /// source's ETag (<c>x-amz-copy-source-if-match</c>), so a source replaced meanwhile fails the copy.
    /// </remarks>
    protected override async Task<StoredFileInfo> CopyCoreAsync(
        string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken)
    {
        var source = await GetMetadataCoreAsync(sourceName, cancellationToken).ConfigureAwait(false);
        if (source is null || (sourceETag is not null && !string.Equals(source.ETag, sourceETag, StringComparison.Ordinal)))
        {
            throw new FileNotFoundException($"Storage '{StorageName}' has no file named '{sourceName}' with the expected content.", sourceName);
        }

        var etag = sourceETag ?? source.ETag;
        try
        {
            if (source.Length > MultipartCopyThreshold)
            {
                await CopyMultipartAsync(sourceName, destinationName, source, etag, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var request = new CopyObjectRequest
                {
                    SourceBucket = _options.Bucket,
                    SourceKey = GetKey(sourceName),
                    DestinationBucket = _options.Bucket,
                    DestinationKey = GetKey(destinationName),
                    ETagToMatch = etag,
                    MetadataDirective = S3MetadataDirective.COPY,
                    CannedACL = _cannedAcl,
                    ServerSideEncryptionMethod = _serverSideEncryption,
                    ServerSideEncryptionKeyManagementServiceKeyId = _options.ObjectParameters.SseKmsKeyId,
                    StorageClass = _storageClass,
                };
                await _client.CopyObjectAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
        {
            throw new FileNotFoundException($"Storage '{StorageName}': '{sourceName}' changed or went away during the copy.", sourceName, ex);
        }

        _logger.Copied(StorageName, sourceName, destinationName, source.Length);
        return await GetMetadataAsync(destinationName, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"Storage '{StorageName}': the copy '{destinationName}' disappeared as soon as it was made.");
    }

    /// <inheritdoc />
    protected override async Task<string?> GetUrlCoreAsync(string name, CancellationToken cancellationToken)
    {
        var key = GetKey(name);
        if (_options.CustomDomain is { Length: > 0 } domain)
        {
            return $"{_options.UrlProtocol}//{domain.TrimEnd('/')}/{EscapeKey(key)}";
        }

        var url = await PresignAsync(key, HttpVerb.GET, _options.UrlExpiry, null).ConfigureAwait(false);
        return _options.SignedUrls ? url : url.Split('?', 2)[0];
    }

    /// <inheritdoc />
    public async Task<PresignedUrl> CreateUploadUrlAsync(PresignedUploadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckExpiry(request.ExpiresIn);
        return request.Method == PresignedUploadMethod.Post
            ? await CreatePostAsync(request, cancellationToken).ConfigureAwait(false)
            : await CreatePutAsync(request).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<PresignedUrl> CreateDownloadUrlAsync(PresignedDownloadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckExpiry(request.ExpiresIn);
        var expiresOn = _time.GetUtcNow() + request.ExpiresIn;
        var url = await PresignAsync(GetKey(request.Name), HttpVerb.GET, request.ExpiresIn, r =>
        {
            if (request.ResponseContentDisposition is { } disposition)
            {
                r.ResponseHeaderOverrides.ContentDisposition = disposition;
            }

            if (request.ResponseContentType is { } type)
            {
                r.ResponseHeaderOverrides.ContentType = type;
            }
        }).ConfigureAwait(false);
        return new PresignedUrl("GET", new Uri(url), expiresOn);
    }

    /// <summary>
    /// Starts a multipart upload a client sends itself, part by part, to URLs from
    /// <see cref="CreateUploadPartUrlAsync"/>; finish it with <see cref="CompleteMultipartUploadAsync"/> or
    /// <see cref="AbortMultipartUploadAsync"/>. For files over 5 GiB, or browser uploads that resume part by part.
    /// </summary>
    /// <param name="name">The object name, validated with <see cref="FileStorageNames.Validate"/>.</param>
    /// <param name="contentType">The media type the object will have.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The upload id.</returns>
    public async Task<string> CreateMultipartUploadAsync(string name, string? contentType = null, CancellationToken cancellationToken = default)
    {
        name = FileStorageNames.Validate(name);
        var type = contentType ?? StoredContentTypes.FromName(name);
        var response = await _client.InitiateMultipartUploadAsync(
            CreateInitiateRequest(
                GetKey(name),
                type,
                StoredContentTypes.GetContentDisposition(type, null, _options.ContentDisposition),
                null), cancellationToken).ConfigureAwait(false);
        return response.UploadId;
    }

    /// <summary>Creates a presigned <c>PUT</c> URL for one part of a multipart upload. The response's <c>ETag</c> header identifies the
    /// part.</summary>
    /// <param name="name">The object name given to <see cref="CreateMultipartUploadAsync"/>.</param>
    /// <param name="uploadId">The upload id.</param>
    /// <param name="partNumber">The part number, 1 to 10000; every part but the last must be at least 5 MiB.</param>
    /// <param name="expiresIn">How long the URL stays valid; <see cref="PresignedUploadRequest.DefaultExpiry"/> by default.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The signed request.</returns>
    public async Task<PresignedUrl> CreateUploadPartUrlAsync(
        string name, string uploadId, int partNumber, TimeSpan? expiresIn = null, CancellationToken cancellationToken = default)
    {
        name = FileStorageNames.Validate(name);
        ArgumentException.ThrowIfNullOrEmpty(uploadId);
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partNumber, 10000);
        var expiry = expiresIn ?? PresignedUploadRequest.DefaultExpiry;
        CheckExpiry(expiry);
        var expiresOn = _time.GetUtcNow() + expiry;
        var url = await PresignAsync(GetKey(name), HttpVerb.PUT, expiry, r =>
        {
            r.UploadId = uploadId;
            r.PartNumber = partNumber;
        }).ConfigureAwait(false);
        return new PresignedUrl("PUT", new Uri(url), expiresOn);
    }

    /// <summary>Assembles the uploaded parts into the object.</summary>
    /// <param name="name">The object name given to <see cref="CreateMultipartUploadAsync"/>.</param>
    /// <param name="uploadId">The upload id.</param>
    /// <param name="parts">Every part, with the ETag its upload answered.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The object's ETag.</returns>
    public async Task<string> CompleteMultipartUploadAsync(
        string name, string uploadId, IEnumerable<S3CompletedPart> parts, CancellationToken cancellationToken = default)
    {
        name = FileStorageNames.Validate(name);
        ArgumentException.ThrowIfNullOrEmpty(uploadId);
        ArgumentNullException.ThrowIfNull(parts);
        var request = new CompleteMultipartUploadRequest
        {
            BucketName = _options.Bucket,
            Key = GetKey(name),
            UploadId = uploadId,
            PartETags = parts.OrderBy(p => p.PartNumber).Select(p => new PartETag(p.PartNumber, p.ETag)).ToList(),
        };
        var response = await _client.CompleteMultipartUploadAsync(request, cancellationToken).ConfigureAwait(false);
        return response.ETag;
    }

    /// <summary>Abandons a multipart upload and deletes its parts.</summary>
    /// <param name="name">The object name given to <see cref="CreateMultipartUploadAsync"/>.</param>
    /// <param name="uploadId">The upload id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the upload is aborted.</returns>
    public async Task AbortMultipartUploadAsync(string name, string uploadId, CancellationToken cancellationToken = default)
    {
        name = FileStorageNames.Validate(name);
        ArgumentException.ThrowIfNullOrEmpty(uploadId);
        await _client.AbortMultipartUploadAsync(
            new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = GetKey(name), UploadId = uploadId },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Disposes the S3 client if the storage created it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    /// <summary>Gets or sets the page size of listings (S3's default is 1000); smaller in tests to exercise paging.</summary>
    internal int? ListPageSize { get; set; }

    internal string GetKey(string name) => _prefix + name;

    /// <summary>Gets or sets the size above which a copy is multipart: S3's 5 GiB limit for one <c>CopyObject</c>; lower in tests.</summary>
    internal long MultipartCopyThreshold { get; set; } = 5L * 1024 * 1024 * 1024;

    private static S3StorageOptions ValidOptions(S3StorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        S3StorageFactory.Validate("S3", "Options", options);
        return options;
    }

    private static void CheckExpiry(TimeSpan expiresIn)
    {
        if (expiresIn <= TimeSpan.Zero || expiresIn > TimeSpan.FromDays(7))
        {
            throw new ArgumentOutOfRangeException(nameof(expiresIn), expiresIn, "A presigned URL must expire within seven days.");
        }
    }

    private static void AddChecksum(Dictionary<string, string> checksums, string algorithm, string? base64)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return;
        }

        try
        {
            checksums[algorithm] = Convert.ToHexStringLower(Convert.FromBase64String(base64.Split('-')[0]));
        }
        catch (FormatException)
        {
        }
    }

    private static string EscapeKey(string key) => string.Join('/', key.Split('/').Select(Uri.EscapeDataString));

    private static bool IsConditionalConflict(AmazonS3Exception ex) =>
        ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict;

    private async Task<bool> KeyExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _client.GetObjectMetadataAsync(
                new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <inheritdoc />
    protected override void OnNameTaken(string name, string alternateName) => _logger.NameTaken(StorageName, name, alternateName);

    private void ApplyObjectParameters(
        HeadersCollection headers,
        MetadataCollection metadata,
        string contentType,
        string? contentDisposition,
        IDictionary<string, string>? userMetadata)
    {
        var parameters = _options.ObjectParameters;
        headers.ContentType = contentType;
        if (_options.CacheControl is { } cacheControl)
        {
            headers.CacheControl = cacheControl;
        }

        if (contentDisposition is not null)
        {
            headers.ContentDisposition = contentDisposition;
        }

        if (parameters.ContentEncoding is { } encoding)
        {
            headers.ContentEncoding = encoding;
        }

        if (parameters.ContentLanguage is { } language)
        {
            headers["Content-Language"] = language;
        }

        foreach (var (key, value) in userMetadata ?? new Dictionary<string, string>())
        {
            metadata.Add(key, value);
        }
    }

    private InitiateMultipartUploadRequest CreateInitiateRequest(
        string key, string contentType, string? contentDisposition, IDictionary<string, string>? userMetadata)
    {
        var request = new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = key };
        ApplyObjectParameters(request.Headers, request.Metadata, contentType, contentDisposition, userMetadata);
        request.ContentType = contentType;
        request.CannedACL = _cannedAcl;
        request.ServerSideEncryptionMethod = _serverSideEncryption;
        request.ServerSideEncryptionKeyManagementServiceKeyId = _options.ObjectParameters.SseKmsKeyId;
        request.StorageClass = _storageClass;

        return request;
    }

    private async Task<string> PutSingleAsync(
        StorageSave save, List<PartBuffer> buffered, long total, bool conditional, CancellationToken cancellationToken)
    {
        MemoryStream body;
        if (buffered.Count == 1)
        {
            body = buffered[0].OpenRead();
        }
        else
        {
            body = new MemoryStream(checked((int)total));
            foreach (var part in buffered)
            {
                body.Write(part.Span);
            }
        }

        using (body)
        {
            while (true)
            {
                body.Position = 0;
                var name = save.Name;
                var request = new PutObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = GetKey(name),
                    InputStream = body,
                    AutoCloseStream = false,
                    AutoResetStreamPosition = false,
                    UseChunkEncoding = !_options.DisableChunkedEncoding,
                };
                ApplyObjectParameters(request.Headers, request.Metadata, save.ContentType, save.ContentDisposition, save.Metadata);
                request.ContentType = save.ContentType;
                if (conditional)
                {
                    request.IfNoneMatch = "*";
                }

                request.CannedACL = _cannedAcl;
                request.ServerSideEncryptionMethod = _serverSideEncryption;
                request.ServerSideEncryptionKeyManagementServiceKeyId = _options.ObjectParameters.SseKmsKeyId;
                request.StorageClass = _storageClass;

                if (save.Checksums.TryGetValue("sha256", out var sha256))
                {
                    // The store verifies the bytes against the caller's checksum and refuses a mismatch.
                    request.ChecksumSHA256 = Convert.ToBase64String(Convert.FromHexString(sha256));
                }

                try
                {
                    await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
                    _logger.Saved(StorageName, name, total, 1);
                    return name;
                }
                catch (AmazonS3Exception ex) when (conditional && IsConditionalConflict(ex))
                {
                    _logger.ConditionalWriteConflict(StorageName, name);
                    await save.NextFreeNameAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<string> PutMultipartAsync(
        StorageSave save, List<PartBuffer> buffered, bool ended, Stream content, bool conditional, CancellationToken cancellationToken)
    {
        var name = save.Name;
        var key = GetKey(name);
        string uploadId;
        try
        {
            var initiate = CreateInitiateRequest(key, save.ContentType, save.ContentDisposition, save.Metadata);
            uploadId = (await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
        }
        catch
        {
            buffered.ForEach(p => p.Dispose());
            throw;
        }

        var uploads = new List<Task<PartETag>>();
        using var slots = new SemaphoreSlim(_options.MaxConcurrency);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        long total = 0;
        try
        {
            var partNumber = 0;
            var queue = new Queue<PartBuffer>(buffered);
            while (true)
            {
                await slots.WaitAsync(failed.Token).ConfigureAwait(false);
                PartBuffer? part;
                try
                {
                    if (!queue.TryDequeue(out part))
                    {
                        part = ended ? null : await _parts.ReadAsync(content, failed.Token).ConfigureAwait(false);
                        ended |= part is not null && part.Length < _parts.PartSize;
                    }
                }
                catch
                {
                    slots.Release();
                    throw;
                }

                if (part is null || (part.Length == 0 && partNumber > 0))
                {
                    part?.Dispose();
                    slots.Release();
                    break;
                }

                total += part.Length;
                uploads.Add(UploadPartAsync(key, uploadId, ++partNumber, part, slots, failed));
                if (uploads.Find(t => t.IsFaulted || t.IsCanceled) is { } broken)
                {
                    await broken.ConfigureAwait(false);
                }
            }

            var etags = await Task.WhenAll(uploads).ConfigureAwait(false);
            var complete = new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = [.. etags],
            };
            if (conditional)
            {
                complete.IfNoneMatch = "*";
            }

            try
            {
                await _client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (conditional && IsConditionalConflict(ex))
            {
                throw new IOException(
                    $"Storage '{StorageName}': '{name}' was created by another writer while this save was uploading; nothing was saved.", ex);
            }

            _logger.Saved(StorageName, name, total, etags.Length);
            return name;
        }
        catch (Exception ex)
        {
            await failed.CancelAsync().ConfigureAwait(false);
            foreach (var part in buffered)
            {
                part.Dispose();
            }

            try
            {
                await Task.WhenAll(uploads).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The first failure is the one reported; the others are consequences of the cancellation.
            }

            // A part's failure cancels the others; report that failure rather than the cancellation it caused.
            var cause = ex is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? uploads.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException).FirstOrDefault(e => e is not OperationCanceledException)
                : null;

            await AbortMultipartAsync(name, key, uploadId, ex).ConfigureAwait(false);
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    private async Task CopyMultipartAsync(
        string sourceName, string destinationName, StoredFileInfo source, string? etag, CancellationToken cancellationToken)
    {
        var key = GetKey(destinationName);
        var head = await _client.GetObjectMetadataAsync(
            new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = GetKey(sourceName), EtagToMatch = etag },
            cancellationToken).ConfigureAwait(false);
        var initiate = new InitiateMultipartUploadRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            ContentType = head.Headers.ContentType,
            CannedACL = _cannedAcl,
            ServerSideEncryptionMethod = _serverSideEncryption,
            ServerSideEncryptionKeyManagementServiceKeyId = _options.ObjectParameters.SseKmsKeyId,
            StorageClass = _storageClass,
        };
        initiate.Headers.CacheControl = head.Headers.CacheControl;
        initiate.Headers.ContentDisposition = head.Headers.ContentDisposition;
        initiate.Headers.ContentEncoding = head.Headers.ContentEncoding;
        foreach (var name in head.Metadata.Keys)
        {
            initiate.Metadata.Add(name, head.Metadata[name]);
        }

        var uploadId = (await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
        try
        {
            // At most 10,000 parts, each at least the configured chunk size.
            var partSize = Math.Max(_options.ChunkSize, (source.Length + 9_999) / 10_000);
            var count = (int)((source.Length + partSize - 1) / partSize);
            var etags = new PartETag[count];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, count),
                new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                async (index, token) =>
                {
                    var first = index * partSize;
                    var part = await _client.CopyPartAsync(
                        new CopyPartRequest
                        {
                            SourceBucket = _options.Bucket,
                            SourceKey = GetKey(sourceName),
                            DestinationBucket = _options.Bucket,
                            DestinationKey = key,
                            UploadId = uploadId,
                            PartNumber = index + 1,
                            FirstByte = first,
                            LastByte = Math.Min(first + partSize, source.Length) - 1,
                            ETagToMatch = etag is null ? null : [etag],
                        },
                        token).ConfigureAwait(false);
                    etags[index] = new PartETag(index + 1, part.ETag);
                }).ConfigureAwait(false);
            await _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = uploadId, PartETags = [.. etags] },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await AbortMultipartAsync(destinationName, key, uploadId, ex).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Aborts a failed multipart upload, so the bucket keeps none of its parts; a failed abort is logged.</summary>
    private async Task AbortMultipartAsync(string name, string key, string uploadId, Exception cause)
    {
        try
        {
            await _client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = uploadId },
                CancellationToken.None).ConfigureAwait(false);
            _logger.MultipartAborted(StorageName, name, cause);
        }
        catch (Exception abortFailure) when (abortFailure is AmazonServiceException or HttpRequestException or IOException)
        {
            _logger.AbortFailed(StorageName, name, abortFailure);
        }
    }

    private async Task<PartETag> UploadPartAsync(
        string key, string uploadId, int partNumber, PartBuffer part, SemaphoreSlim slots, CancellationTokenSource failed)
    {
        try
        {
            using var body = part.OpenRead();
            return new PartETag(partNumber, await SendPartAsync(key, uploadId, partNumber, body, failed.Token).ConfigureAwait(false));
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            part.Dispose();
            slots.Release();
        }
    }

    /// <summary>Uploads one part of a multipart upload.</summary>
    /// <returns>The part's ETag.</returns>
    private async Task<string> SendPartAsync(string key, string uploadId, int partNumber, Stream body, CancellationToken cancellationToken)
    {
        var response = await _client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            UploadId = uploadId,
            PartNumber = partNumber,
            InputStream = body,
            UseChunkEncoding = !_options.DisableChunkedEncoding,
        }, cancellationToken).ConfigureAwait(false);
        return response.ETag;
    }

    private async Task<string> PresignAsync(string key, HttpVerb verb, TimeSpan expiresIn, Action<GetPreSignedUrlRequest>? configure)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket,
            Key = key,
            Verb = verb,
            // The storage's clock, which also gives the expiry it reports; the SDK signs with its own (X-Amz-Date).
            Expires = _time.GetUtcNow().UtcDateTime + expiresIn,
            Protocol = _options.Endpoint is { Scheme: "http" } ? Protocol.HTTP : Protocol.HTTPS,
        };
        configure?.Invoke(request);
        return await _client.GetPreSignedURLAsync(request).ConfigureAwait(false);
    }

    private async Task<PresignedUrl> CreatePutAsync(PresignedUploadRequest request)
    {
        var expiresOn = _time.GetUtcNow() + request.ExpiresIn;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var url = await PresignAsync(GetKey(request.Name), HttpVerb.PUT, request.ExpiresIn, r =>
        {
            if (request.ContentType is { } type)
            {
                r.ContentType = type;
                headers["Content-Type"] = type;
            }

            if (request.ContentLength is { } length)
            {
                r.Headers.ContentLength = length;
                headers["Content-Length"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (request.ChecksumSha256 is { } sha256)
            {
                r.Headers["x-amz-checksum-sha256"] = sha256;
                headers["x-amz-checksum-sha256"] = sha256;
            }

            if (request.ContentMd5 is { } md5)
            {
                r.Headers.ContentMD5 = md5;
                headers["Content-MD5"] = md5;
            }

            if (_options.DefaultAcl is { } acl)
            {
                r.Headers["x-amz-acl"] = acl;
                headers["x-amz-acl"] = acl;
            }

            if (!_options.Overwrite && _options.ConditionalWrites)
            {
                // Signed, so the client must send it: the store refuses the PUT (412) once the object exists, and
                // the URL cannot replace an upload after it was completed and verified.
                r.Headers["If-None-Match"] = "*";
                headers["If-None-Match"] = "*";
            }
        }).ConfigureAwait(false);
        return new PresignedUrl("PUT", new Uri(url), expiresOn) { Headers = headers };
    }

    private async Task<PresignedUrl> CreatePostAsync(PresignedUploadRequest request, CancellationToken cancellationToken)
    {
        if (request.MaxLength is null && request.ContentLength is null)
        {
            throw new ArgumentException(
                "A presigned POST needs MaxLength (or ContentLength) so the store can refuse an oversize file.", nameof(request));
        }

        if (request.ChecksumSha256 is not null || request.ContentMd5 is not null)
        {
            throw new NotSupportedException("An S3 POST policy cannot bind a checksum; use a presigned PUT.");
        }

        var credentials = await ResolveCredentialsAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var region = _options.Region ?? _client.Config.RegionEndpoint?.SystemName ?? _client.Config.AuthenticationRegion ?? "us-east-1";
        var key = GetKey(request.Name);
        var fields = new List<KeyValuePair<string, string>> { new("key", key) };
        if (request.ContentType is { } contentType)
        {
            fields.Add(new("Content-Type", contentType));
        }

        if (_options.DefaultAcl is { } acl)
        {
            fields.Add(new("acl", acl));
        }

        if (_options.CacheControl is { } cacheControl)
        {
            fields.Add(new("Cache-Control", cacheControl));
        }

        if (_options.ContentDisposition is { } disposition)
        {
            fields.Add(new("Content-Disposition", disposition));
        }

        if (_options.ObjectParameters.ServerSideEncryption is { } sse)
        {
            fields.Add(new("x-amz-server-side-encryption", sse));
        }

        fields.Add(new("x-amz-algorithm", S3PostPolicy.Algorithm));
        fields.Add(new("x-amz-credential", S3PostPolicy.Credential(credentials.AccessKey, now, region)));
        fields.Add(new("x-amz-date", S3PostPolicy.AmzDate(now)));
        if (!string.IsNullOrEmpty(credentials.Token))
        {
            fields.Add(new("x-amz-security-token", credentials.Token));
        }

        var min = request.ContentLength ?? 1;
        var max = request.ContentLength ?? request.MaxLength!.Value;
        var conditions = new List<KeyValuePair<string, string>> { new("bucket", _options.Bucket) };
        conditions.AddRange(fields);
        var policy = S3PostPolicy.Encode(now + request.ExpiresIn, conditions, (min, max));
        fields.Add(new("policy", policy));
        fields.Add(new("x-amz-signature", S3PostPolicy.Sign(policy, credentials.SecretKey, S3PostPolicy.DateStamp(now), region)));
        return new PresignedUrl("POST", GetBucketUri(region), now + request.ExpiresIn)
        {
            FormFields = fields,
            FileFieldName = "file",
        };
    }

    private async Task<ImmutableCredentials> ResolveCredentialsAsync(CancellationToken cancellationToken)
    {
        var credentials = _credentials ?? await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync(_client.Config).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return await credentials.GetCredentialsAsync().ConfigureAwait(false);
    }

    private Uri GetBucketUri(string region)
    {
        if (_options.Endpoint is { } service)
        {
            return _options.ForcePathStyle
                ? new Uri($"{service.GetLeftPart(UriPartial.Authority)}{service.AbsolutePath.TrimEnd('/')}/{_options.Bucket}/")
                : new Uri($"{service.Scheme}://{_options.Bucket}.{service.Authority}{service.AbsolutePath.TrimEnd('/')}/");
        }

        return _options.ForcePathStyle
            ? new Uri($"https://s3.{region}.amazonaws.com/{_options.Bucket}/")
            : new Uri($"https://{_options.Bucket}.s3.{region}.amazonaws.com/");
    }
}
