using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UploadKit.Diagnostics;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>One resumable-upload route: its options and the validators its files must pass.</summary>
internal sealed record ResumableEndpoint(ResumableUploadOptions Options, IReadOnlyList<IFileValidator> Validators);

/// <summary>What a client asked for when it created an upload.</summary>
internal sealed record ResumableCreation(long? Length, string? FileName, string? ContentType, string? Metadata, string Protocol);

/// <summary>What a client sent with an append.</summary>
internal sealed record ResumableAppend(long Offset)
{
    /// <summary>Gets the upload's whole length, declared with this append (tus <c>Upload-Length</c> on a deferred upload).</summary>
    public long? DeclaredLength { get; init; }

    /// <summary>Gets whether these are the upload's last bytes (the draft's <c>Upload-Complete: ?1</c>).</summary>
    public bool IsLast { get; init; }

    /// <summary>Gets the checksum algorithm (<c>sha1</c>, <c>sha256</c>, <c>md5</c>) of <see cref="ExpectedChecksum"/>.</summary>
    public string? ChecksumAlgorithm { get; init; }

    /// <summary>Gets the digest the append's bytes must have.</summary>
    public byte[]? ExpectedChecksum { get; init; }
}

/// <summary>An append's outcome: the upload as recorded, and its stored file once it completed.</summary>
internal sealed record ResumableAppendResult(ResumableUpload Upload, StoredFileInfo? Completed, Exception? BodyFailure);

/// <summary>
/// Resumable uploads, whatever the protocol: creation, appends through the route's checks into a resumable write,
/// completion, termination and the sweep of expired uploads. Every append runs under a lease on the upload in the
/// <see cref="IResumableUploadStore"/>, so two servers never append to one upload at once.
/// </summary>
internal sealed partial class ResumableUploadService(
    IStorageRegistry storages,
    IResumableUploadStore store,
    IServiceProvider services,
    TimeProvider time,
    ILogger<ResumableUploadService> logger)
{
    public static readonly string[] ChecksumAlgorithms = ["sha1", "sha256", "md5"];

    public async Task<ResumableUpload> CreateAsync(
        ResumableEndpoint endpoint, ResumableCreation creation, UploadRequestContext request, CancellationToken cancellationToken)
    {
        var options = endpoint.Options;
        if (creation.Length > options.MaxSize)
        {
            throw UploadRejectedException.TooLarge(
                $"The upload is larger than the largest allowed, {options.MaxSize} bytes.", nameof(ResumableUploadOptions.MaxSize));
        }

        var fileName = FileNameSanitizer.Sanitize(creation.FileName) ?? "upload";
        var contentType = string.IsNullOrWhiteSpace(creation.ContentType) ? StoredContentTypes.GetContentType(fileName, null) : creation.ContentType;
        var header = Header(endpoint, fileName, contentType, creation.Length);
        var errors = endpoint.Validators.Select(v => v.ValidateFile(header)).OfType<string>().ToList();
        if (errors.Count > 0)
        {
            throw FileValidation.Reject(header, errors);
        }

        var storage = GetStorage(options.StorageName);
        var name = string.IsNullOrEmpty(options.Folder) ? fileName : options.Folder.TrimEnd('/') + "/" + fileName;
        var write = await storage.BeginWriteAsync(name, new FileSaveOptions { ContentType = contentType }, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var upload = new ResumableUpload(UnguessableIds.Create(), options.StorageName)
        {
            OwnerId = request.OwnerId,
            Length = creation.Length,
            FileName = fileName,
            ContentType = contentType,
            Metadata = creation.Metadata,
            Protocol = creation.Protocol,
            CreatedOn = now,
            ExpiresOn = now + options.Expiration,
            StorageState = write.State,
            TargetName = write.Name,
            HeadChecked = FileValidation.GetHeadLength(endpoint.Validators) == 0,
            QuotaKey = options.Quota is { } quota ? quota.KeySelector is { } select ? select(request) : request.OwnerId : null,
        };
        await store.CreateAsync(upload, cancellationToken).ConfigureAwait(false);
        Log.Created(logger, upload.Id, upload.StorageName, upload.Length ?? -1);
        UploadKitTelemetry.UploadsStarted.Add(1);
        return upload;
    }

    /// <summary>Reads an upload of <paramref name="ownerId"/>; another owner's upload is not found.</summary>
    public async Task<ResumableUpload> GetAsync(string id, string? ownerId, CancellationToken cancellationToken)
    {
        var upload = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (upload is null || !string.Equals(upload.OwnerId, ownerId, StringComparison.Ordinal))
        {
            throw new ResumableUploadException(ResumableFailure.NotFound, "No upload has this address.");
        }

        if (upload.State is ResumableUploadState.Receiving && upload.ExpiresOn <= time.GetUtcNow())
        {
            throw new ResumableUploadException(ResumableFailure.Gone, "The upload expired before it was finished.", upload);
        }

        if (upload.State is ResumableUploadState.Terminated or ResumableUploadState.Expired or ResumableUploadState.Rejected)
        {
            throw new ResumableUploadException(ResumableFailure.Gone, Describe(upload.State), upload);
        }

        return upload;
    }

    public async Task<ResumableAppendResult> AppendAsync(
        ResumableEndpoint endpoint, string id, ResumableAppend append, UploadRequestContext request, CancellationToken stopping)
    {
        var options = endpoint.Options;
        // The store is asked with the server's token, not the request's: bytes that arrived before a client went away
        // are recorded all the same.
        var upload = await GetAsync(id, request.OwnerId, stopping).ConfigureAwait(false);
        CheckAppend(upload, append);
        var lease = await store.TryAcquireLeaseAsync(id, options.LeaseDuration, stopping).ConfigureAwait(false)
            ?? throw Busy(upload);
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var renewal = RenewAsync(id, lease, options.LeaseDuration, leaseLost);
        try
        {
            // Read again under the lease: another server may have appended since.
            upload = await GetAsync(id, request.OwnerId, stopping).ConfigureAwait(false);
            CheckAppend(upload, append);
            if (append.DeclaredLength is { } declared && upload.Length is null)
            {
                upload.Length = declared <= options.MaxSize
                    ? declared
                    : throw UploadRejectedException.TooLarge(
                        $"The upload is larger than the largest allowed, {options.MaxSize} bytes.", nameof(ResumableUploadOptions.MaxSize));
            }

            var storage = GetStorage(upload.StorageName);
            var write = new ResumableWrite(upload.TargetName!, upload.Offset, upload.StorageState!);
            using var source = new ResumableAppendSource(this, endpoint, upload, append, request, leaseLost.Token);
            try
            {
                return await AppendCoreAsync(endpoint, upload, append, request, lease, storage, write, source, leaseLost, stopping)
                    .ConfigureAwait(false);
            }
            catch when (!source.Settled)
            {
                // An append that was not recorded holds no quota beyond what the record says.
                await source.RevertAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            await leaseLost.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            await store.ReleaseLeaseAsync(id, lease, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<ResumableAppendResult> AppendCoreAsync(
        ResumableEndpoint endpoint,
        ResumableUpload upload,
        ResumableAppend append,
        UploadRequestContext request,
        string lease,
        IResumableFileStorage storage,
        ResumableWrite write,
        ResumableAppendSource source,
        CancellationTokenSource leaseLost,
        CancellationToken stopping)
    {
        var options = endpoint.Options;
        ResumableWrite next;
        try
        {
            next = await storage.AppendAsync(write, source, leaseLost.Token).ConfigureAwait(false);
            await source.FinishAsync().ConfigureAwait(false);
        }
        catch (UploadRejectedException rejection) when (source.RejectsUpload)
        {
            source.Settled = true;
            await EndAsync(upload, lease, ResumableUploadState.Rejected, rejection.Message, options.Retention).ConfigureAwait(false);
            throw;
        }

        if (leaseLost.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            throw new ResumableUploadException(
                ResumableFailure.Locked, "The upload's lease ran out during the append; it was not recorded.", upload);
        }

        if (append.ExpectedChecksum is { } expected)
        {
            if (source.BodyFailure is not null)
            {
                // A checksum covers the whole append: a broken one cannot be verified, so none of it is kept.
                await source.RevertAsync().ConfigureAwait(false);
                return new ResumableAppendResult(upload, null, source.BodyFailure);
            }

            if (!CryptographicOperations.FixedTimeEquals(source.GetChecksum()!, expected))
            {
                throw new ResumableUploadException(
                    ResumableFailure.ChecksumMismatch,
                    $"The appended bytes do not match the {append.ChecksumAlgorithm} checksum sent with them.",
                    upload);
            }
        }

        upload.Offset = next.Length;
        upload.StorageState = next.State;
        source.ApplyTo(upload);
        if (append.IsLast && source.BodyFailure is null)
        {
            if (upload.Length is { } length && length != upload.Offset)
            {
                throw new ResumableUploadException(
                    ResumableFailure.InconsistentLength, $"The upload was declared as {length} bytes but ended at {upload.Offset}.", upload);
            }

            upload.Length = upload.Offset;
        }

        if (!await store.TryUpdateAsync(upload, lease, CancellationToken.None).ConfigureAwait(false))
        {
            throw new ResumableUploadException(ResumableFailure.Locked, "The upload changed during the append; it was not recorded.", upload);
        }

        source.Settled = true;
        UploadKitTelemetry.BytesReceived.Add(source.BytesRead);
        if (upload.Length == upload.Offset && source.BodyFailure is null)
        {
            var file = await CompleteAsync(endpoint, upload, lease, storage, next, request).ConfigureAwait(false);
            return new ResumableAppendResult(upload, file, null);
        }

        return new ResumableAppendResult(upload, null, source.BodyFailure);
    }

    /// <summary>Ends an upload at its owner's request: everything it wrote and reserved is released.</summary>
    public async Task TerminateAsync(string id, string? ownerId, ResumableUploadOptions options, CancellationToken cancellationToken)
    {
        var upload = await GetAsync(id, ownerId, cancellationToken).ConfigureAwait(false);
        if (upload.State is ResumableUploadState.Completed)
        {
            throw new ResumableUploadException(ResumableFailure.AlreadyComplete, "The upload is complete; delete its file instead.", upload);
        }

        var lease = await store.TryAcquireLeaseAsync(id, options.LeaseDuration, cancellationToken).ConfigureAwait(false)
            ?? throw Busy(upload);
        try
        {
            upload = await GetAsync(id, ownerId, cancellationToken).ConfigureAwait(false);
            await EndAsync(upload, lease, ResumableUploadState.Terminated, null, options.Retention).ConfigureAwait(false);
            Log.Terminated(logger, id);
        }
        finally
        {
            await store.ReleaseLeaseAsync(id, lease, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sweeps once: every upload past its expiry is ended and what it wrote removed; ended records past their retention are forgotten.
    /// </summary>
    /// <returns>The number of uploads this sweep expired.</returns>
    public async Task<int> SweepAsync(TimeSpan leaseDuration, TimeSpan retention, CancellationToken cancellationToken)
    {
        var swept = 0;
        await foreach (var upload in store.ListExpiredAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            var lease = await store.TryAcquireLeaseAsync(upload.Id, leaseDuration, cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                continue;
            }

            try
            {
                var current = await store.GetAsync(upload.Id, cancellationToken).ConfigureAwait(false);
                if (current is { State: ResumableUploadState.Receiving })
                {
                    await EndAsync(current, lease, ResumableUploadState.Expired, null, retention).ConfigureAwait(false);
                    Log.Expired(logger, upload.Id, current.Offset);
                    swept++;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.SweepFailed(logger, upload.Id, ex);
            }
            finally
            {
                await store.ReleaseLeaseAsync(upload.Id, lease, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return swept;
    }

    internal IQuotaStore Quotas => services.GetService(typeof(IQuotaStore)) as IQuotaStore
        ?? throw new InvalidOperationException("A quota is set on the resumable route, but no IQuotaStore is registered.");

    internal IUploadProgressStore? Progress => services.GetService(typeof(IUploadProgressStore)) as IUploadProgressStore;

    internal TimeProvider Time => time;

    private static void CheckAppend(ResumableUpload upload, ResumableAppend append)
    {
        if (upload.State is ResumableUploadState.Completed)
        {
            throw new ResumableUploadException(ResumableFailure.AlreadyComplete, "The upload is complete already.", upload);
        }

        if (append.Offset != upload.Offset)
        {
            throw new ResumableUploadException(
                ResumableFailure.OffsetMismatch, $"The append starts at {append.Offset}, but the upload has {upload.Offset} bytes.", upload);
        }

        if (append.DeclaredLength is { } declared && ((upload.Length is { } length && length != declared) || declared < upload.Offset))
        {
            throw new ResumableUploadException(ResumableFailure.InconsistentLength, "The declared length differs from the upload's length.", upload);
        }
    }

    private async Task<StoredFileInfo> CompleteAsync(
        ResumableEndpoint endpoint,
        ResumableUpload upload,
        string lease,
        IResumableFileStorage storage,
        ResumableWrite write,
        UploadRequestContext request)
    {
        var options = endpoint.Options;
        var header = Header(endpoint, upload.FileName!, upload.ContentType!, upload.Length);
        var errors = new List<string>();
        if (!upload.HeadChecked)
        {
            // A file shorter than the longest head check: every check sees the whole file.
            var head = upload.Head ?? [];
            errors.AddRange(endpoint.Validators.Where(v => v.HeadLength > 0)
                .Select(v => v.ValidateHead(header, head.AsSpan(0, Math.Min(head.Length, v.HeadLength))))
                .OfType<string>());
        }

        errors.AddRange(endpoint.Validators.Select(v => v.ValidateLength(header, upload.Offset, isComplete: true)).OfType<string>());
        if (errors.Count > 0)
        {
            var rejection = FileValidation.Reject(header, errors);
            await EndAsync(upload, lease, ResumableUploadState.Rejected, rejection.Message, options.Retention).ConfigureAwait(false);
            throw rejection;
        }

        var file = await storage.CompleteWriteAsync(write, CancellationToken.None).ConfigureAwait(false);
        file = new StoredFileInfo(file.Name, file.Length)
        {
            StorageName = upload.StorageName,
            ContentType = file.ContentType,
            ContentDisposition = file.ContentDisposition,
            LastModified = file.LastModified,
            ETag = file.ETag,
            Checksums = file.Checksums,
            Metadata = file.Metadata,
        };
        if (services.GetService(typeof(UploadScanning)) is UploadScanning scanning)
        {
            // Appends may each reach another server, so the scan reads the committed file once, as a direct upload's is.
            var scan = await scanning.ScanStoredFileAsync(
                storages[upload.StorageName], upload.StorageName, file.Name, upload.OwnerId, options.FieldName, upload.FileName!,
                scanning.Options.FailOpen, CancellationToken.None).ConfigureAwait(false);
            if (scan.Refusal is { } refusal)
            {
                // Infected, too large to scan, or not scanned (503): the file is not kept, and the upload ends refused.
                await StorageHelpers.TryDeleteAsync(storages[upload.StorageName], file.Name, logger).ConfigureAwait(false);
                await EndAsync(upload, lease, ResumableUploadState.Rejected, refusal.Message, options.Retention, written: false)
                    .ConfigureAwait(false);
                throw refusal;
            }

            upload.ScanVerdict = scan.Verdict.ToString();
        }

        try
        {
            var checksums = await ComputeChecksumsAsync(options, upload.StorageName, file.Name, request.RequestAborted).ConfigureAwait(false);
            if (options.OnCompleted is { } onCompleted)
            {
                await onCompleted(new ResumableUploadCompletedContext(upload, file, checksums, request)).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // Verify, then bind: a file the app did not take is not kept.
            await storages[upload.StorageName].DeleteAsync(file.Name, CancellationToken.None).ConfigureAwait(false);
            await EndAsync(upload, lease, ResumableUploadState.Rejected, ex.Message, options.Retention, written: false).ConfigureAwait(false);
            throw;
        }

        upload.State = ResumableUploadState.Completed;
        upload.StoredName = file.Name;
        upload.Head = null;
        upload.ExpiresOn = time.GetUtcNow() + options.Retention;
        if (options.Quota is not null && upload.QuotaKey is { } key)
        {
            await Quotas.EndReservationAsync(key, upload.Id, upload.Offset, CancellationToken.None).ConfigureAwait(false);
            upload.QuotaReserved = 0;
        }

        if (!await store.TryUpdateAsync(upload, lease, CancellationToken.None).ConfigureAwait(false))
        {
            Log.CompletionNotRecorded(logger, upload.Id);
        }

        await PublishProgressAsync(upload, UploadProgressState.Complete).ConfigureAwait(false);
        Log.Completed(logger, upload.Id, upload.StorageName, file.Name, file.Length);
        UploadKitTelemetry.UploadsCompleted.Add(1);
        return file;
    }

    private async Task<IReadOnlyDictionary<string, string>> ComputeChecksumsAsync(
        ResumableUploadOptions options, string storageName, string name, CancellationToken cancellationToken)
    {
        if (options.Checksums.Count == 0)
        {
            return UploadFileHeader.EmptyParameters;
        }

        var hashes = options.Checksums.Select(a => (Algorithm: a.ToLowerInvariant(), Hash: IncrementalHash.CreateHash(ToHashName(a)))).ToList();
        try
        {
            var stream = await storages[storageName].OpenReadAsync(name, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[1024 * 1024];
                int read;
                while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    foreach (var (_, hash) in hashes)
                    {
                        hash.AppendData(buffer, 0, read);
                    }
                }
            }

            return hashes.ToDictionary(h => h.Algorithm, h => Convert.ToHexStringLower(h.Hash.GetHashAndReset()), StringComparer.OrdinalIgnoreCase);
        }
        finally
        {
            foreach (var (_, hash) in hashes)
            {
                hash.Dispose();
            }
        }
    }

    internal static HashAlgorithmName ToHashName(string algorithm) => algorithm.ToLowerInvariant() switch
    {
        "sha1" => HashAlgorithmName.SHA1,
        "sha256" => HashAlgorithmName.SHA256,
        "md5" => HashAlgorithmName.MD5,
        _ => throw new ResumableUploadException(ResumableFailure.UnsupportedChecksum, $"The checksum algorithm '{algorithm}' is not supported."),
    };

    /// <summary>Ends an upload that did not complete: removes what it wrote, gives its quota back and records why.</summary>
    private async Task EndAsync(
        ResumableUpload upload, string lease, ResumableUploadState state, string? reason, TimeSpan retention, bool written = true)
    {
        if (written && upload.StorageState is { } storageState && upload.TargetName is { } target)
        {
            await GetStorage(upload.StorageName).AbortWriteAsync(new ResumableWrite(target, upload.Offset, storageState), CancellationToken.None)
                .ConfigureAwait(false);
        }

        if (upload.QuotaKey is { } key)
        {
            await Quotas.EndReservationAsync(key, upload.Id, 0, CancellationToken.None).ConfigureAwait(false);
            upload.QuotaReserved = 0;
        }

        upload.State = state;
        upload.RejectionReason = reason;
        upload.Head = null;
        upload.ExpiresOn = time.GetUtcNow() + retention;
        await store.TryUpdateAsync(upload, lease, CancellationToken.None).ConfigureAwait(false);
        await PublishProgressAsync(upload, state == ResumableUploadState.Rejected ? UploadProgressState.Rejected : UploadProgressState.Failed)
            .ConfigureAwait(false);
        if (state == ResumableUploadState.Rejected)
        {
            UploadKitTelemetry.UploadsRejected.Add(1);
        }
    }

    internal async Task PublishProgressAsync(ResumableUpload upload, UploadProgressState state)
    {
        if (Progress is not { } progress)
        {
            return;
        }

        try
        {
            await progress.SetAsync(
                new UploadProgress(upload.Id)
                {
                    OwnerId = upload.OwnerId,
                    BytesReceived = upload.Offset,
                    BytesExpected = upload.Length,
                    State = state,
                    FileName = upload.FileName,
                    UpdatedOn = time.GetUtcNow(),
                },
                TimeSpan.FromHours(1),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ProgressFailed(logger, upload.Id, ex);
        }
    }

    internal static UploadFileHeader Header(ResumableEndpoint endpoint, string fileName, string contentType, long? length) =>
        new(endpoint.Options.FieldName, fileName, contentType) { DeclaredLength = length };

    private IResumableFileStorage GetStorage(string name) =>
        storages[name] as IResumableFileStorage
        ?? throw new InvalidOperationException($"The storage '{name}' cannot take resumable uploads: it does not implement IResumableFileStorage.");

    private async Task RenewAsync(string id, string lease, TimeSpan duration, CancellationTokenSource lost)
    {
        using var timer = new PeriodicTimer(duration / 3, time);
        try
        {
            while (await timer.WaitForNextTickAsync(lost.Token).ConfigureAwait(false))
            {
                if (!await store.TryRenewLeaseAsync(id, lease, duration, lost.Token).ConfigureAwait(false))
                {
                    Log.LeaseLost(logger, id);
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The append ended.
        }
        catch (Exception ex)
        {
            Log.LeaseRenewalFailed(logger, id, ex);
            await lost.CancelAsync().ConfigureAwait(false);
        }
    }

    private static ResumableUploadException Busy(ResumableUpload upload) =>
        new(ResumableFailure.Locked, "Another request is appending to this upload; try again when it ends.", upload);

    private static string Describe(ResumableUploadState state) => state switch
    {
        ResumableUploadState.Terminated => "The upload was cancelled.",
        ResumableUploadState.Expired => "The upload expired before it was finished.",
        ResumableUploadState.Rejected => "The upload was refused.",
        _ => "The upload ended.",
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "Resumable upload {Id} created for storage {Storage}, length {Length}.")]
        public static partial void Created(ILogger logger, string id, string storage, long length);

        [LoggerMessage(
            EventId = 601, Level = LogLevel.Information, Message = "Resumable upload {Id} completed as {Storage}:{Name} ({Length} bytes).")]
        public static partial void Completed(ILogger logger, string id, string storage, string name, long length);

        [LoggerMessage(EventId = 602, Level = LogLevel.Information, Message = "Resumable upload {Id} was terminated by its owner.")]
        public static partial void Terminated(ILogger logger, string id);

        [LoggerMessage(
            EventId = 603, Level = LogLevel.Information, Message = "Resumable upload {Id} expired at {Offset} bytes; its bytes were removed.")]
        public static partial void Expired(ILogger logger, string id, long offset);

        [LoggerMessage(EventId = 604, Level = LogLevel.Warning, Message = "Sweeping resumable upload {Id} failed; the next sweep tries again.")]
        public static partial void SweepFailed(ILogger logger, string id, Exception exception);

        [LoggerMessage(
            EventId = 605,
            Level = LogLevel.Warning,
            Message = "The lease on resumable upload {Id} was lost during an append; the append is discarded.")]
        public static partial void LeaseLost(ILogger logger, string id);

        [LoggerMessage(EventId = 606, Level = LogLevel.Warning, Message = "Resumable upload {Id} completed, but its record could not be updated.")]
        public static partial void CompletionNotRecorded(ILogger logger, string id);

        [LoggerMessage(EventId = 607, Level = LogLevel.Debug, Message = "Publishing the progress of resumable upload {Id} failed.")]
        public static partial void ProgressFailed(ILogger logger, string id, Exception exception);

        [LoggerMessage(
            EventId = 608,
            Level = LogLevel.Warning,
            Message = "Renewing the lease on resumable upload {Id} failed; the running append is discarded.")]
        public static partial void LeaseRenewalFailed(ILogger logger, string id, Exception exception);
    }
}
