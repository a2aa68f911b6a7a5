using System.Net;
using System.Runtime.CompilerServices;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UploadKit.Storage.Gcs.Internal;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace UploadKit.Storage.Gcs;

/// <summary>
/// A storage in a Google Cloud Storage bucket: streaming resumable saves with bounded memory, create-only writes
/// (<c>ifGenerationMatch=0</c>), V4 signed URLs for reading, signed <c>PUT</c> URLs, resumable-upload starts and
/// POST policies for direct uploads, and resumable writes composed from one object per append.
/// </summary>
public sealed partial class GcsStorage : FileStorage, IPresignedUrlProvider, IDisposable
{
    private const string Sha256MetadataKey = "uploadkit-sha256";

    private readonly GcsStorageOptions _options;
    private readonly string _bucket;
    private readonly string _keyPrefix;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private StorageClient? _client;
    private GcsSigningKey? _signingKey;

    /// <summary>Creates a storage from <paramref name="options"/>.</summary>
    /// <param name="options">The bucket, credentials and behaviour.</param>
    /// <exception cref="OptionsValidationException">The options are not valid.</exception>
    public GcsStorage(GcsStorageOptions options)
        : this("(unnamed)", options, NullLogger.Instance, TimeProvider.System)
    {
    }

    internal GcsStorage(string storageName, GcsStorageOptions options, ILogger logger, TimeProvider timeProvider)
        : base(storageName, (options ?? throw new ArgumentNullException(nameof(options))).Overwrite, options.ContentDisposition)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var failures = GcsStorageOptionsValidation.Validate(storageName, options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(storageName, typeof(GcsStorageOptions), failures);
        }

        _options = options;
        _bucket = options.Bucket!;
        _keyPrefix = string.IsNullOrEmpty(options.KeyPrefix) ? string.Empty : options.KeyPrefix.TrimEnd('/') + "/";
        _logger = logger;
        _timeProvider = timeProvider;
    }

    /// <inheritdoc />
    protected override async Task<string> SaveCoreAsync(Stream content, StorageSave save, CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        var tracked = new ReadTrackingStream(content);
        var start = content.CanSeek ? content.Position : 0;
        while (true)
        {
            var target = CreateObject(save);
            var uploadOptions = new UploadObjectOptions
            {
                ChunkSize = _options.ChunkSize,
                IfGenerationMatch = save.Overwrite ? null : 0,
                PredefinedAcl = PredefinedAcl(),
            };
            try
            {
                var result = await client.UploadObjectAsync(target, tracked, uploadOptions, cancellationToken).ConfigureAwait(false);
                _logger.ObjectSaved(target.Name, (long)(result.Size ?? 0), _bucket);
                return save.Name;
            }
            catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.PreconditionFailed && !save.Overwrite)
            {
                // Another writer created the name after the existence check. Nothing was overwritten.
                if (tracked.HasRead && !content.CanSeek)
                {
                    throw new IOException(
                        $"Another writer created '{save.Name}' while it was being saved; nothing was overwritten and no object was created.", ex);
                }

                if (content.CanSeek)
                {
                    content.Position = start;
                }

                tracked.Reset();
                await save.NextFreeNameAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.SaveFailed(ex, target.Name, _bucket);
                throw;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The object's media is streamed as it arrives (a JSON API <c>alt=media</c> download); nothing is kept on disk.</remarks>
    protected override async Task<Stream> OpenReadCoreAsync(string name, CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        var uri = new Uri($"{client.Service.BaseUri}b/{Uri.EscapeDataString(_bucket)}/o/{Uri.EscapeDataString(ObjectName(name))}?alt=media");
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        var response = await client.Service.HttpClient.SendAsync(
            request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new FileNotFoundException($"No file named '{name}' in the storage.", name);
            }

            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new IOException($"Reading '{name}' from bucket '{_bucket}' failed with {(int)response.StatusCode}: {error}");
            }

            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new MediaStream(response, body);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override async Task<bool> DeleteCoreAsync(string name, CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await client.DeleteObjectAsync(_bucket, ObjectName(name), cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <inheritdoc />
    protected override async Task<bool> ExistsCoreAsync(string name, CancellationToken cancellationToken) =>
        await GetObjectAsync(name, cancellationToken).ConfigureAwait(false) is not null;

    /// <inheritdoc />
    protected override async Task<StoredFileInfo?> GetMetadataCoreAsync(string name, CancellationToken cancellationToken)
    {
        var obj = await GetObjectAsync(name, cancellationToken).ConfigureAwait(false);
        return obj is null ? null : ToInfo(name, obj);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A rewrite inside the bucket (repeated until done, for large objects), conditional on the generation of the source
    /// whose ETag was given (<c>ifSourceGenerationMatch</c>); content type, checksums and metadata are copied with it.
    /// </remarks>
    protected override async Task<StoredFileInfo> CopyCoreAsync(
        string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken)
    {
        var source = await GetObjectAsync(sourceName, cancellationToken).ConfigureAwait(false);
        if (source is null || (sourceETag is not null && !string.Equals(source.ETag, sourceETag, StringComparison.Ordinal)))
        {
            throw new FileNotFoundException($"Bucket '{_bucket}' has no file named '{sourceName}' with the expected content.", sourceName);
        }

        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        GcsObject copy;
        try
        {
            copy = await client.CopyObjectAsync(
                _bucket,
                ObjectName(sourceName),
                _bucket,
                ObjectName(destinationName),
                new CopyObjectOptions { IfSourceGenerationMatch = source.Generation, DestinationPredefinedAcl = PredefinedAcl() },
                cancellationToken).ConfigureAwait(false);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
        {
            throw new FileNotFoundException($"Bucket '{_bucket}': '{sourceName}' changed or went away during the copy.", sourceName, ex);
        }

        _logger.Copied(sourceName, destinationName, _bucket);
        return ToInfo(destinationName, copy);
    }

    /// <inheritdoc />
    protected override async IAsyncEnumerable<StoredFileInfo> ListCoreAsync(
        string prefix, string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        var objects = client.ListObjectsAsync(_bucket, _keyPrefix + prefix, new ListObjectsOptions { PageSize = 1000 });
        await foreach (var obj in objects.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            // The reserved folder holds the objects of unfinished resumable writes: no file is named there.
            if (obj.Name.Length > _keyPrefix.Length && !obj.Name.AsSpan(_keyPrefix.Length).StartsWith(ResumableFolder, StringComparison.Ordinal))
            {
                yield return ToInfo(obj.Name[_keyPrefix.Length..], obj);
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// With <see cref="GcsStorageOptions.SignedUrls"/> on, a V4 signed <c>GET</c> valid for
    /// <see cref="GcsStorageOptions.UrlExpiry"/>; otherwise the object's plain URL, for public buckets.
    /// </remarks>
    protected override async Task<string?> GetUrlCoreAsync(string name, CancellationToken cancellationToken)
    {
        if (_options.SignedUrls)
        {
            var url = await CreateDownloadUrlAsync(
                new PresignedDownloadRequest(name) { ExpiresIn = _options.UrlExpiry }, cancellationToken).ConfigureAwait(false);
            return url.Url.AbsoluteUri;
        }

        var target = UrlTarget();
        var path = V4Signer.Encode(ObjectName(name), keepSlash: true);
        return target.Style switch
        {
            GcsUrlStyle.PathStyle => $"{target.Scheme}://{target.Authority}/{_bucket}/{path}",
            GcsUrlStyle.VirtualHostedStyle => $"{target.Scheme}://{_bucket}.{target.Authority}/{path}",
            _ => $"{target.Scheme}://{target.Authority}/{path}",
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para><see cref="PresignedUploadMethod.Put"/>: a V4 signed <c>PUT</c> whose headers bind the content type,
    /// <c>x-goog-content-length-range</c> (from <see cref="PresignedUploadRequest.MaxLength"/> and
    /// <see cref="PresignedUploadRequest.ContentLength"/>, so GCS itself refuses an oversize body), <c>Content-MD5</c>,
    /// the SHA-256 as a signed payload, and <c>x-goog-if-generation-match: 0</c> unless overwriting is on.</para>
    /// <para><see cref="PresignedUploadMethod.Post"/>: a V4 POST policy with <c>content-length-range</c>; checksums cannot be bound there.</para>
    /// </remarks>
    public async Task<PresignedUrl> CreateUploadUrlAsync(PresignedUploadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = await GetSigningKeyAsync(cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        var expiresIn = WholeSeconds(request.ExpiresIn);
        var objectName = ObjectName(request.Name);
        var range = LengthRange(request);

        if (request.Method == PresignedUploadMethod.Post)
        {
            if (request.ContentMd5 is not null || request.ChecksumSha256 is not null)
            {
                throw new NotSupportedException("A GCS POST policy cannot bind a checksum; use a signed PUT.");
            }

            var fields = new List<KeyValuePair<string, string>>();
            AddCommonFields(fields, request.ContentType, headerNames: false);
            var conditions = range is { } r ? new[] { V4Signer.ContentLengthRangeCondition(r.Min, r.Max) } : [];
            var (url, formFields) = V4Signer.SignPostPolicy(key, UrlTarget(), _bucket, objectName, fields, conditions, now, expiresIn);
            _logger.UrlSigned("POST", objectName, _bucket, now + expiresIn);
            return new PresignedUrl("POST", new Uri(url), now + expiresIn) { FormFields = formFields, FileFieldName = "file" };
        }

        var headers = new List<KeyValuePair<string, string>>();
        AddCommonFields(headers, request.ContentType, headerNames: true);
        if (range is { } lengths)
        {
            headers.Add(new("x-goog-content-length-range", $"{lengths.Min},{lengths.Max}"));
        }

        if (request.ContentMd5 is not null)
        {
            headers.Add(new("Content-MD5", request.ContentMd5));
        }

        if (request.ChecksumSha256 is not null)
        {
            headers.Add(new(
                "x-goog-content-sha256", Convert.ToHexStringLower(DecodeBase64(request.ChecksumSha256, nameof(request.ChecksumSha256), 32))));
        }

        if (!_options.Overwrite)
        {
            headers.Add(new("x-goog-if-generation-match", "0"));
        }

        return Sign(key, "PUT", objectName, headers, [], now, expiresIn);
    }

    /// <summary>
    /// Creates a V4 signed <c>POST</c> that starts a resumable upload (<c>x-goog-resumable: start</c>), for large
    /// browser uploads: the client sends the returned headers with an empty body, reads the session address from the
    /// <c>Location</c> response header, and <c>PUT</c>s the content there in one request or in chunks with
    /// <c>Content-Range</c>. The content type, <c>x-goog-content-length-range</c> (from
    /// <see cref="PresignedUploadRequest.MaxLength"/>) and, unless overwriting is on, <c>x-goog-if-generation-match: 0</c>
    /// are bound into the signature.
    /// </summary>
    /// <param name="request">What may be uploaded, and for how long; its <see cref="PresignedUploadRequest.Method"/> must be
    /// <see cref="PresignedUploadMethod.Put"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The signed <c>POST</c> and the headers it must carry.</returns>
    /// <exception cref="NotSupportedException">The request asks for a checksum, which a session start cannot bind.</exception>
    public async Task<PresignedUrl> CreateResumableUploadUrlAsync(PresignedUploadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Method != PresignedUploadMethod.Put)
        {
            throw new ArgumentException(
                "A resumable upload is started with a signed POST and continued with PUTs; leave Method as Put.", nameof(request));
        }

        if (request.ContentMd5 is not null || request.ChecksumSha256 is not null)
        {
            throw new NotSupportedException("A resumable-upload start cannot bind a checksum; use a signed PUT.");
        }

        var key = await GetSigningKeyAsync(cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        var headers = new List<KeyValuePair<string, string>> { new("x-goog-resumable", "start") };
        AddCommonFields(headers, request.ContentType, headerNames: true);
        if (LengthRange(request) is { } lengths)
        {
            headers.Add(new("x-goog-content-length-range", $"{lengths.Min},{lengths.Max}"));
        }

        if (!_options.Overwrite)
        {
            headers.Add(new("x-goog-if-generation-match", "0"));
        }

        return Sign(key, "POST", ObjectName(request.Name), headers, [], now, WholeSeconds(request.ExpiresIn));
    }

    /// <inheritdoc />
    /// <remarks>A V4 signed <c>GET</c>; <c>response-content-disposition</c> and <c>response-content-type</c> are signed query parameters.</remarks>
    public async Task<PresignedUrl> CreateDownloadUrlAsync(PresignedDownloadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = await GetSigningKeyAsync(cancellationToken).ConfigureAwait(false);
        var query = new List<KeyValuePair<string, string>>();
        if (request.ResponseContentDisposition is not null)
        {
            query.Add(new("response-content-disposition", request.ResponseContentDisposition));
        }

        if (request.ResponseContentType is not null)
        {
            query.Add(new("response-content-type", request.ResponseContentType));
        }

        return Sign(key, "GET", ObjectName(request.Name), [], query, _timeProvider.GetUtcNow(), WholeSeconds(request.ExpiresIn));
    }

    /// <summary>Releases the client and the signing key.</summary>
    public void Dispose()
    {
        _client?.Dispose();
        _signingKey?.Dispose();
        _initLock.Dispose();
    }

    internal string ObjectName(string name) => _keyPrefix + FileStorageNames.Validate(name);

    internal GcsUrlTarget UrlTarget()
    {
        if (_options.BucketBoundHostname is { } bound)
        {
            return new GcsUrlTarget(bound.Scheme, bound.Authority, GcsUrlStyle.BucketBoundHostname);
        }

        var style = _options.VirtualHostedStyle ? GcsUrlStyle.VirtualHostedStyle : GcsUrlStyle.PathStyle;
        return _options.Endpoint is { } endpoint
            ? new GcsUrlTarget(endpoint.Scheme, endpoint.Authority, style)
            : GcsUrlTarget.Default with { Style = style };
    }

    private PresignedUrl Sign(
        GcsSigningKey key,
        string method,
        string objectName,
        List<KeyValuePair<string, string>> headers,
        List<KeyValuePair<string, string>> query,
        DateTimeOffset now,
        TimeSpan expiresIn)
    {
        var url = V4Signer.SignUrl(key, method, UrlTarget(), _bucket, objectName, headers, query, now, expiresIn);
        _logger.UrlSigned(method, objectName, _bucket, now + expiresIn);
        return new PresignedUrl(method, new Uri(url), now + expiresIn)
        {
            Headers = headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase),
        };
    }

    private void AddCommonFields(List<KeyValuePair<string, string>> fields, string? contentType, bool headerNames)
    {
        if (contentType is not null)
        {
            fields.Add(new("Content-Type", contentType));
        }

        if (_options.DefaultAcl is { Length: > 0 } acl)
        {
            fields.Add(new(headerNames ? "x-goog-acl" : "acl", GcsStorageOptionsValidation.Acls[acl]));
        }

        if (_options.CacheControl is not null)
        {
            fields.Add(new(headerNames ? "Cache-Control" : "cache-control", _options.CacheControl));
        }

        if (_options.ContentDisposition is not null)
        {
            fields.Add(new(headerNames ? "Content-Disposition" : "content-disposition", _options.ContentDisposition));
        }
    }

    private static (long Min, long Max)? LengthRange(PresignedUploadRequest request)
    {
        if (request.ContentLength is < 0 || request.MaxLength is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "ContentLength and MaxLength must not be negative.");
        }

        if (request.ContentLength is { } exact)
        {
            if (request.MaxLength is { } max && exact > max)
            {
                throw new ArgumentException("ContentLength is larger than MaxLength.", nameof(request));
            }

            return (exact, exact);
        }

        return request.MaxLength is { } limit ? (0, limit) : null;
    }

    private static TimeSpan WholeSeconds(TimeSpan expiresIn)
    {
        var whole = TimeSpan.FromSeconds(Math.Floor(expiresIn.TotalSeconds));
        if (whole < TimeSpan.FromSeconds(1) || whole > V4Signer.MaxExpiry)
        {
            throw new ArgumentOutOfRangeException(nameof(expiresIn), expiresIn, "A V4 signed URL is valid for 1 second to 7 days.");
        }

        return whole;
    }

    private static byte[] DecodeBase64(string value, string what, int length)
    {
        var bytes = new byte[length];
        if (!Convert.TryFromBase64String(value, bytes, out var written) || written != length)
        {
            throw new ArgumentException($"{what} must be the base64 of {length} bytes.", nameof(value));
        }

        return bytes;
    }

    private GcsObject CreateObject(StorageSave save)
    {
        var obj = new GcsObject
        {
            Bucket = _bucket,
            Name = ObjectName(save.Name),
            ContentType = save.ContentType,
            CacheControl = _options.CacheControl,
            ContentDisposition = save.ContentDisposition,
        };
        if (save.Options is not { } options)
        {
            return obj;
        }

        if (options.Metadata.Count > 0 || options.Checksums.ContainsKey("sha256"))
        {
            obj.Metadata = new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal);
        }

        foreach (var (algorithm, hex) in options.Checksums)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(hex);
            }
            catch (FormatException ex)
            {
                throw new ArgumentException($"The '{algorithm}' checksum must be hexadecimal.", nameof(options), ex);
            }

            switch (algorithm.ToLowerInvariant())
            {
                case "md5":
                    obj.Md5Hash = Convert.ToBase64String(bytes);
                    break;
                case "crc32c":
                    obj.Crc32c = Convert.ToBase64String(bytes);
                    break;
                case "sha256":
                    obj.Metadata![Sha256MetadataKey] = hex.ToLowerInvariant();
                    break;
            }
        }

        return obj;
    }

    private static StoredFileInfo ToInfo(string name, GcsObject obj)
    {
        var checksums = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (obj.Md5Hash is { Length: > 0 } md5)
        {
            checksums["md5"] = Convert.ToHexStringLower(Convert.FromBase64String(md5));
        }

        if (obj.Crc32c is { Length: > 0 } crc)
        {
            checksums["crc32c"] = Convert.ToHexStringLower(Convert.FromBase64String(crc));
        }

        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in obj.Metadata ?? new Dictionary<string, string>())
        {
            if (string.Equals(key, Sha256MetadataKey, StringComparison.OrdinalIgnoreCase))
            {
                checksums["sha256"] = value;
            }
            else
            {
                metadata[key] = value;
            }
        }

        return new StoredFileInfo(name, (long)(obj.Size ?? 0))
        {
            ContentType = obj.ContentType,
            ContentDisposition = obj.ContentDisposition,
            LastModified = obj.UpdatedDateTimeOffset,
            ETag = obj.ETag,
            Checksums = checksums,
            Metadata = metadata,
        };
    }

    private PredefinedObjectAcl? PredefinedAcl() => _options.DefaultAcl?.ToLowerInvariant() switch
    {
        null or "" => null,
        "authenticatedread" => PredefinedObjectAcl.AuthenticatedRead,
        "bucketownerfullcontrol" => PredefinedObjectAcl.BucketOwnerFullControl,
        "bucketownerread" => PredefinedObjectAcl.BucketOwnerRead,
        "private" => PredefinedObjectAcl.Private,
        "projectprivate" => PredefinedObjectAcl.ProjectPrivate,
        _ => PredefinedObjectAcl.PublicRead,
    };

    private async Task<GcsObject?> GetObjectAsync(string name, CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await client.GetObjectAsync(_bucket, ObjectName(name), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<StorageClient> GetClientAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } existing)
        {
            return existing;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is not null)
            {
                return _client;
            }

            // Service-account keys sign their own access tokens (self-signed JWTs), with no token endpoint round trip.
            var builder = new StorageClientBuilder { UseJwtAccessWithScopes = true };
            if (_options.Endpoint is { } endpoint)
            {
                builder.BaseUri = new Uri(endpoint, "storage/v1/").AbsoluteUri;
            }

            if (!string.IsNullOrEmpty(_options.CredentialsJson))
            {
                builder.GoogleCredential = CredentialFactory.FromJson<ServiceAccountCredential>(_options.CredentialsJson).ToGoogleCredential();
            }
            else if (!string.IsNullOrEmpty(_options.CredentialsFile))
            {
                var credential = await CredentialFactory.FromFileAsync<ServiceAccountCredential>(
                    _options.CredentialsFile, cancellationToken).ConfigureAwait(false);
                builder.GoogleCredential = credential.ToGoogleCredential();
            }

            var client = await builder.BuildAsync(cancellationToken).ConfigureAwait(false);
            if (_options.CreateBucket)
            {
                await EnsureBucketAsync(client, cancellationToken).ConfigureAwait(false);
            }

            Volatile.Write(ref _client, client);
            return client;
        }
        finally
        {
            _initLock.Release();
        }
    }

    private async Task EnsureBucketAsync(StorageClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetBucketAsync(_bucket, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound)
        {
            try
            {
                await client.CreateBucketAsync(_options.ProjectId, _bucket, cancellationToken: cancellationToken).ConfigureAwait(false);
                _logger.BucketCreated(_bucket, _options.ProjectId!);
            }
            catch (GoogleApiException conflict) when (conflict.HttpStatusCode == HttpStatusCode.Conflict)
            {
                // Created meanwhile by another instance.
            }
        }
    }

    /// <inheritdoc />
    protected override void OnNameTaken(string name, string alternateName) => _logger.NameTaken(name, _bucket);

    private async Task<GcsSigningKey> GetSigningKeyAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _signingKey) is { } existing)
        {
            return existing;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_signingKey is not null)
            {
                return _signingKey;
            }

            GcsSigningKey key;
            if (!string.IsNullOrEmpty(_options.CredentialsJson))
            {
                key = GcsSigningKey.FromServiceAccountJson(_options.CredentialsJson);
            }
            else if (!string.IsNullOrEmpty(_options.CredentialsFile))
            {
                key = GcsSigningKey.FromServiceAccountJson(await File.ReadAllTextAsync(
                    _options.CredentialsFile, cancellationToken).ConfigureAwait(false));
            }
            else
            {
                var credential = await GoogleCredential.GetApplicationDefaultAsync(cancellationToken).ConfigureAwait(false);
                if (credential.UnderlyingCredential is not ServiceAccountCredential serviceAccount)
                {
                    throw new NotSupportedException(
                        "Signing URLs needs a service-account key: the application default credentials are not one. " +
                        "Set CredentialsFile or CredentialsJson, or turn SignedUrls off for a public bucket.");
                }

                key = new GcsSigningKey(serviceAccount.Id, serviceAccount.Key);
            }

            Volatile.Write(ref _signingKey, key);
            return key;
        }
        finally
        {
            _initLock.Release();
        }
    }
}
