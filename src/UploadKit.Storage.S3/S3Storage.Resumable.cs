using System.Net;
using System.Runtime.ExceptionServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using UploadKit.Storage.S3.Internal;

namespace UploadKit.Storage.S3;

/// <content>
/// Resumable writes. Full parts go straight into a multipart upload of the file's name, created with the write's first
/// part; bytes short of S3's 5 MiB part minimum wait as short pieces, small objects of the write's own folder under the
/// storage's reserved <c>.uploadkit/resumable/</c> prefix, each written once under a fresh name. Completion sends the
/// short pieces as the last part and completes the upload: nothing is copied inside the bucket.
/// </content>
public sealed partial class S3Storage
{
    /// <summary>The storage's own names: its first segment starts with this, so no file name of the storage can reach them.</summary>
    internal const string ReservedPrefix = ".uploadkit";

    /// <summary>S3's limit of parts in one multipart upload, which bounds the pieces of one write.</summary>
    internal const int MaxParts = 10_000;

    /// <summary>How many short pieces a write keeps at its end before an append merges them into one.</summary>
    internal const int MaxShortPieces = 8;

    /// <summary>The start of the name of an object in a write's folder that records a multipart upload the write created.</summary>
    internal const string UploadMarker = "upload-";

    private const string ResumableFolder = ReservedPrefix + "/resumable/";

    /// <inheritdoc />
    /// <remarks>Nothing is written until the first append; the write's state holds no more than an id and the save options.</remarks>
    public Task<ResumableWrite> BeginWriteAsync(string name, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        name = ValidateName(name);
        return Task.FromResult(new ResumableWrite(name, 0, S3ResumableState.Create(options).Serialize()));
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// The bytes are read in part-sized buffers (<see cref="S3StorageOptions.ChunkSize"/>) and each full one is sent as the
    /// next part of the write's multipart upload, up to <see cref="S3StorageOptions.MaxConcurrency"/> at once. The first
    /// part creates the upload, under the name free at that moment (the check <see cref="FileStorage.SaveAsync"/> makes
    /// before a multipart save). An append that was never recorded is replaced by the next one: it sends the same part
    /// numbers again, and completion lists only the recorded parts.
    /// </para>
    /// <para>
    /// Bytes short of the 5 MiB part minimum at the end of an append become a short piece; the next append reads the
    /// short pieces back (less than 5 MiB) and sends them at the front of its first part once the two together reach the
    /// minimum, or merges them when they number eight; until then it adds one more short piece.
    /// </para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The write's short pieces are gone: it was completed or aborted, or a later
    /// write replaced it.</exception>
    /// <exception cref="IOException">The write would need more than S3's 10,000 parts.</exception>
    public async Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var (state, pieces) = S3ResumableState.Parse(write);
        ValidateName(write.Name);
        var folder = GetResumableFolder(state);
        var upload = state.UploadId is { } recordedId ? (ValidateName(state.Name!), recordedId) : ((string Name, string UploadId)?)null;

        // The write given is the one recorded, so what its predecessor held and it merged away is garbage now.
        if (state.Replaced is { Count: > 0 } replaced)
        {
            await DeletePiecesAsync(write.Name, replaced.Select(name => folder + name), cancellationToken).ConfigureAwait(false);
        }

        var shortStart = ShortRunStart(pieces);
        var shortPieces = pieces[shortStart..];
        var shortLength = shortPieces.Sum(p => p.Length);
        var uploads = new List<Task<S3Piece>>();
        var created = false;
        using var slots = new SemaphoreSlim(_options.MaxConcurrency);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // The first buffer leaves room at its front for the short pieces, in case they are merged.
            await slots.WaitAsync(failed.Token).ConfigureAwait(false);
            PartBuffer part;
            try
            {
                part = await _parts.ReadAsync(content, shortLength, failed.Token).ConfigureAwait(false);
            }
            catch
            {
                slots.Release();
                throw;
            }

            if (part.Length == shortLength)
            {
                part.Dispose();
                slots.Release();
                return new ResumableWrite(write.Name, write.Length, state.With(pieces, [], upload).Serialize());
            }

            var ended = part.Length < _parts.PartSize;
            var merge = !ended || part.Length >= S3StorageOptions.MinimumPartSize || shortPieces.Count >= MaxShortPieces;
            var kept = merge ? pieces[..shortStart] : pieces;
            int start;
            long offset;
            try
            {
                if (merge && shortLength > 0)
                {
                    await ReadPiecesAsync(folder, shortPieces, part.Memory[..shortLength], failed.Token).ConfigureAwait(false);
                    (start, offset) = (0, write.Length - shortLength);
                }
                else
                {
                    (start, offset) = (shortLength, write.Length);
                }
            }
            catch
            {
                part.Dispose();
                slots.Release();
                throw;
            }

            var appended = (long)part.Length - shortLength;
            while (true)
            {
                var partNumber = kept.Count + uploads.Count + 1;
                if (part.Length - start >= S3StorageOptions.MinimumPartSize && upload is null)
                {
                    try
                    {
                        upload = await CreateResumableUploadAsync(write.Name, state, folder, failed.Token).ConfigureAwait(false);
                        created = true;
                    }
                    catch
                    {
                        part.Dispose();
                        slots.Release();
                        throw;
                    }
                }

                if (partNumber > MaxParts)
                {
                    part.Dispose();
                    slots.Release();
                    throw new IOException(
                        $"The write would need more than S3's {MaxParts} parts; send larger appends, or raise the storage's ChunkSize.");
                }

                uploads.Add(WritePieceAsync(folder, upload, partNumber, offset, part, start, slots, failed));
                if (uploads.Find(t => t.IsFaulted || t.IsCanceled) is { } broken)
                {
                    await broken.ConfigureAwait(false);
                }

                if (ended)
                {
                    break;
                }

                await slots.WaitAsync(failed.Token).ConfigureAwait(false);
                try
                {
                    part = await _parts.ReadAsync(content, failed.Token).ConfigureAwait(false);
                }
                catch
                {
                    slots.Release();
                    throw;
                }

                ended = part.Length < _parts.PartSize;
                if (part.Length == 0)
                {
                    part.Dispose();
                    slots.Release();
                    break;
                }

                (start, offset) = (0, write.Length + appended);
                appended += part.Length;
            }

            var written = await Task.WhenAll(uploads).ConfigureAwait(false);
            var next = state.With([.. kept, .. written], merge ? shortPieces : [], upload);
            return new ResumableWrite(write.Name, write.Length + appended, next.Serialize());
        }
        catch (Exception ex)
        {
            await failed.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(uploads).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The first failure is the one reported; the others are consequences of the cancellation.
            }

            // The append is not recorded. The parts it sent are replaced by the next append or left out at completion;
            // a short piece or an upload it created would only wait for the write's completion or abort to go.
            await DeletePiecesAsync(
                write.Name,
                uploads.Where(t => t.IsCompletedSuccessfully && !t.Result.IsPart).Select(t => folder + t.Result.ObjectName),
                CancellationToken.None).ConfigureAwait(false);
            if (created && upload is var (name, uploadId))
            {
                await AbortMultipartAsync(name, GetKey(name), uploadId, ex).ConfigureAwait(false);
                await DeletePiecesAsync(write.Name, [folder + UploadMarker + uploadId], CancellationToken.None).ConfigureAwait(false);
            }

            var cause = ex is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? uploads.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException).FirstOrDefault(e => e is not OperationCanceledException)
                : null;
            if (cause is not null)
            {
                ExceptionDispatchInfo.Throw(cause);
            }

            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>
    /// A file shorter than the part minimum never had a multipart upload: its short pieces are read back and stored in one
    /// <c>PUT</c> under the name free now, create-only unless the storage overwrites, moving to the next free name when
    /// another writer takes it first. A longer file's short pieces are sent as the last part and the upload is completed,
    /// with no copy inside the bucket.
    /// </para>
    /// <para>
    /// A multipart upload writes the name it was created for, chosen with the write's first part; this is the policy of
    /// a multipart <see cref="FileStorage.SaveAsync"/>. When another writer created that name since, the completion is
    /// create-only (<c>If-None-Match: *</c>, or a check when <see cref="S3StorageOptions.ConditionalWrites"/> is off) and
    /// fails with an <see cref="IOException"/>: the other file is kept and the write is removed, since S3 can neither
    /// rename nor read an unfinished upload. Any other failure leaves the write to be completed again or aborted.
    /// </para>
    /// </remarks>
    /// <exception cref="InvalidOperationException">The write's short pieces are gone.</exception>
    /// <exception cref="IOException">Another writer created the file's name after the write's first part was sent; nothing was stored.</exception>
    public async Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var (state, pieces) = S3ResumableState.Parse(write);
        var name = ValidateName(write.Name);
        var folder = GetResumableFolder(state);
        var shortStart = ShortRunStart(pieces);
        var shortPieces = pieces[shortStart..];

        // The short pieces are read back into one buffer: the whole file when it is short, else its last part.
        string stored;
        using (var last = await _parts.ReadAsync(Stream.Null, shortPieces.Sum(p => p.Length), cancellationToken).ConfigureAwait(false))
        {
            await ReadPiecesAsync(folder, shortPieces, last.Memory, cancellationToken).ConfigureAwait(false);
            if (state.UploadId is null)
            {
                var save = CreateSave(name, state.ToSaveOptions(write.Length));
                if (!save.Overwrite)
                {
                    while (await ExistsAsync(save.Name, cancellationToken).ConfigureAwait(false))
                    {
                        save.NextName();
                    }
                }

                stored = await PutSingleAsync(save, [last], last.Length, !save.Overwrite && _options.ConditionalWrites, cancellationToken)
                    .ConfigureAwait(false);
            }
            else
            {
                stored = ValidateName(state.Name!);
                await CompleteResumableUploadAsync(state, folder, pieces[..shortStart], last, cancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            await DeleteResumableFolderAsync(folder, keepUploadId: state.UploadId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
        {
            // The file is stored; what is left is garbage an abort of the write or the bucket's lifecycle rule removes.
            _logger.PiecesLeft(StorageName, stored, ex);
        }

        return await GetMetadataAsync(stored, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"Storage '{StorageName}': '{stored}' disappeared as soon as it was stored.");
    }

    /// <inheritdoc />
    /// <remarks>
    /// Aborts every multipart upload the write created, those of appends that were never recorded included (each is
    /// recorded by a marker object in the write's folder), then deletes the folder.
    /// </remarks>
    public async Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var (state, _) = S3ResumableState.Parse(write);
        await DeleteResumableFolderAsync(GetResumableFolder(state), keepUploadId: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses names in the storage's reserved folder (<c>.uploadkit…</c> as the first segment), which holds resumable
    /// writes' pieces.
    /// </summary>
    /// <inheritdoc />
    protected override string ValidateName(string name)
    {
        name = base.ValidateName(name);
        if (IsReserved(name))
        {
            throw new SuspiciousFileNameException($"Names starting with '{ReservedPrefix}' are reserved by the storage.");
        }

        return name;
    }

    private static bool IsReserved(string name) => name.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Where the trailing run of pieces shorter than the part minimum starts; the count when there is none.</summary>
    private static int ShortRunStart(List<S3Piece> pieces)
    {
        var start = pieces.Count;
        while (start > 0 && !pieces[start - 1].IsPart)
        {
            start--;
        }

        return start;
    }

    private string GetResumableFolder(S3ResumableState state) => GetKey(ResumableFolder + state.Id + "/");

    /// <summary>
    /// Creates the write's multipart upload under the name free now, with the write's media type, disposition and
    /// metadata, and records it by a marker object in the write's folder, so that an abort finds it even when the append
    /// that created it is never recorded.
    /// </summary>
    private async Task<(string Name, string UploadId)> CreateResumableUploadAsync(
        string name, S3ResumableState state, string folder, CancellationToken cancellationToken)
    {
        var save = CreateSave(name, state.ToSaveOptions(0));
        if (!save.Overwrite)
        {
            while (await ExistsAsync(save.Name, cancellationToken).ConfigureAwait(false))
            {
                save.NextName();
            }
        }

        var key = GetKey(save.Name);
        var initiate = CreateInitiateRequest(key, save.ContentType, save.ContentDisposition, save.Metadata);
        var uploadId = (await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
        try
        {
            await _client.PutObjectAsync(
                new PutObjectRequest
                {
                    BucketName = _options.Bucket,
                    Key = folder + UploadMarker + uploadId,
                    ContentBody = key,
                    ServerSideEncryptionMethod = _serverSideEncryption,
                    ServerSideEncryptionKeyManagementServiceKeyId = _options.ObjectParameters.SseKmsKeyId,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await AbortMultipartAsync(save.Name, key, uploadId, ex).ConfigureAwait(false);
            throw;
        }

        return (save.Name, uploadId);
    }

    /// <summary>Sends one piece: the next part of the multipart upload, or a short piece of the write's folder.</summary>
    private async Task<S3Piece> WritePieceAsync(
        string folder,
        (string Name, string UploadId)? upload,
        int partNumber,
        long offset,
        PartBuffer part,
        int start,
        SemaphoreSlim slots,
        CancellationTokenSource failed)
    {
        try
        {
            using var body = part.OpenRead(start);
            var length = part.Length - start;
            if (length >= S3StorageOptions.MinimumPartSize)
            {
                // A part, once sent, is waited for to its end, never cancelled: the next append reuses its number, and a
                // cancelled request the server had already received would otherwise land after that append's part and
                // replace it.
                var (name, uploadId) = upload!.Value;
                var etag = await SendPartAsync(GetKey(name), uploadId, partNumber, body, CancellationToken.None).ConfigureAwait(false);
                return new S3Piece(etag.Trim('"'), offset, length);
            }

            var piece = S3Piece.New(offset, length);
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _options.Bucket,
                Key = folder + piece.ObjectName,
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = !_options.DisableChunkedEncoding,
                ServerSideEncryptionMethod = _serverSideEncryption,
                ServerSideEncryptionKeyManagementServiceKeyId = _options.ObjectParameters.SseKmsKeyId,
            }, failed.Token).ConfigureAwait(false);
            return piece;
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

    /// <summary>Reads short <paramref name="pieces"/>, in order, into <paramref name="destination"/>.</summary>
    private async Task ReadPiecesAsync(string folder, List<S3Piece> pieces, Memory<byte> destination, CancellationToken cancellationToken)
    {
        foreach (var piece in pieces)
        {
            try
            {
                using var response = await _client.GetObjectAsync(
                    new GetObjectRequest { BucketName = _options.Bucket, Key = folder + piece.ObjectName }, cancellationToken).ConfigureAwait(false);
                using var body = response.ResponseStream;
                var read = await body.ReadAtLeastAsync(destination[..piece.Length], piece.Length, throwOnEndOfStream: false, cancellationToken)
                    .ConfigureAwait(false);
                if (read != piece.Length || response.ContentLength != piece.Length)
                {
                    throw new InvalidOperationException("A piece of the write does not hold the bytes its state records.");
                }
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
            {
                throw new InvalidOperationException(
                    "The write's pieces are gone: it was completed or aborted, or a later write replaced it.", ex);
            }

            destination = destination[piece.Length..];
        }
    }

    /// <summary>
    /// Sends the short pieces' bytes as the last part and completes the write's multipart upload with the recorded parts;
    /// create-only unless the storage overwrites.
    /// </summary>
    private async Task CompleteResumableUploadAsync(
        S3ResumableState state, string folder, List<S3Piece> parts, PartBuffer last, CancellationToken cancellationToken)
    {
        var name = state.Name!;
        var key = GetKey(name);
        var overwrite = state.Overwrite ?? _options.Overwrite;
        var etags = parts.Select((p, index) => new PartETag(index + 1, p.Tag)).ToList();
        if (last.Length > 0)
        {
            using var body = last.OpenRead();
            var etag = await SendPartAsync(key, state.UploadId!, etags.Count + 1, body, cancellationToken).ConfigureAwait(false);
            etags.Add(new PartETag(etags.Count + 1, etag));
        }

        var complete = new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = state.UploadId, PartETags = etags };
        try
        {
            if (!overwrite && !_options.ConditionalWrites && await KeyExistsAsync(key, cancellationToken).ConfigureAwait(false))
            {
                throw new AmazonS3Exception("The name is taken.", ErrorType.Sender, "PreconditionFailed", null, HttpStatusCode.PreconditionFailed);
            }

            if (!overwrite && _options.ConditionalWrites)
            {
                complete.IfNoneMatch = "*";
            }

            await _client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (!overwrite && IsConditionalConflict(ex))
        {
            try
            {
                await DeleteResumableFolderAsync(folder, keepUploadId: null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception cleanup) when (cleanup is AmazonServiceException or HttpRequestException or IOException)
            {
                _logger.PiecesLeft(StorageName, name, cleanup);
            }

            throw new IOException(
                $"Storage '{StorageName}': '{name}' was created by another writer while this write was uploading; nothing was stored.", ex);
        }

        _logger.Saved(StorageName, name, parts.Sum(p => (long)p.Length) + last.Length, etags.Count);
    }

    /// <summary>Deletes short pieces a recorded write no longer holds, or an unrecorded append wrote; a failure is logged, not thrown.</summary>
    private async Task DeletePiecesAsync(string name, IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        try
        {
            await DeleteKeysAsync([.. keys], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
        {
            _logger.PiecesLeft(StorageName, name, ex);
        }
    }

    /// <summary>
    /// Aborts the multipart uploads the write's folder records (all but <paramref name="keepUploadId"/>, the one just
    /// completed), then deletes every object of the folder.
    /// </summary>
    private async Task DeleteResumableFolderAsync(string folder, string? keepUploadId, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = folder, MaxKeys = ListPageSize };
        do
        {
            var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            var keys = (response.S3Objects ?? []).Select(o => o.Key).ToList();
            foreach (var marker in keys.Where(k => k.AsSpan(folder.Length).StartsWith(UploadMarker, StringComparison.Ordinal)))
            {
                var uploadId = marker[(folder.Length + UploadMarker.Length)..];
                if (uploadId != keepUploadId)
                {
                    await AbortRecordedUploadAsync(marker, uploadId, cancellationToken).ConfigureAwait(false);
                }
            }

            await DeleteKeysAsync(keys, cancellationToken).ConfigureAwait(false);
            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
    }

    private async Task AbortRecordedUploadAsync(string marker, string uploadId, CancellationToken cancellationToken)
    {
        string key;
        try
        {
            using var response = await _client.GetObjectAsync(
                new GetObjectRequest { BucketName = _options.Bucket, Key = marker }, cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(response.ResponseStream);
            key = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        try
        {
            await _client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = uploadId },
                cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            // Aborted or completed before.
        }
    }

    private async Task DeleteKeysAsync(List<string> keys, CancellationToken cancellationToken)
    {
        foreach (var batch in keys.Chunk(1000))
        {
            var response = await _client.DeleteObjectsAsync(
                new DeleteObjectsRequest
                {
                    BucketName = _options.Bucket,
                    Objects = [.. batch.Select(key => new KeyVersion { Key = key })],
                    Quiet = true,
                },
                cancellationToken).ConfigureAwait(false);
            if (response.DeleteErrors is { Count: > 0 } errors)
            {
                throw new IOException($"Storage '{StorageName}' could not delete '{errors[0].Key}': {errors[0].Code} {errors[0].Message}");
            }
        }
    }
}
