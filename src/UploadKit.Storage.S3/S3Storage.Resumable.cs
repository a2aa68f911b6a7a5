using System.Net;
using System.Runtime.ExceptionServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using UploadKit.Storage.S3.Internal;

namespace UploadKit.Storage.S3;

/// <content>
/// Resumable writes. Each append stores its bytes as pieces: ordinary objects in the write's own folder under the
/// storage's reserved <c>.uploadkit/resumable/</c> prefix, each written once under a fresh name. Completion assembles the
/// pieces, server-side, into a multipart upload of the name that is free then (<c>UploadPartCopy</c>), and deletes them.
/// </content>
public sealed partial class S3Storage
{
    /// <summary>The storage's own names: its first segment starts with this, so no file name of the storage can reach them.</summary>
    internal const string ReservedPrefix = ".uploadkit";

    /// <summary>S3's limit of parts in one multipart upload, which bounds the pieces of one write.</summary>
    internal const int MaxParts = 10_000;

    /// <summary>How many short pieces a write keeps at its end before an append merges them into one.</summary>
    internal const int MaxShortPieces = 8;

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
    /// The bytes are read in part-sized buffers (<see cref="S3StorageOptions.ChunkSize"/>) and each is <c>PUT</c> as a
    /// piece, up to <see cref="S3StorageOptions.MaxConcurrency"/> at once. Pieces shorter than S3's 5 MiB part minimum
    /// may only end the file, so an append that follows short pieces reads them back (less than 5 MiB) and writes them
    /// again at the front of its first piece, once the two together reach the minimum or the short pieces number
    /// <see cref="MaxShortPieces"/>; until then it adds one more short piece.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The write's pieces are gone: it was completed or aborted, or a later write replaced it.</exception>
    /// <exception cref="IOException">The write would need more than S3's 10,000 parts.</exception>
    public async Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var (state, pieces) = S3ResumableState.Parse(write);
        ValidateName(write.Name);
        var folder = GetKey(ResumableFolder + state.Id + "/");

        // The write given is the one recorded, so what its predecessor held and it merged away is garbage now.
        if (state.Replaced is { Count: > 0 } replaced)
        {
            await DeletePiecesAsync(write.Name, replaced.Select(name => folder + name), cancellationToken).ConfigureAwait(false);
        }

        var shortStart = ShortRunStart(pieces);
        var shortPieces = pieces[shortStart..];
        var shortLength = shortPieces.Sum(p => p.Length);
        var written = new List<S3Piece>();
        var uploads = new List<Task>();
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
                return new ResumableWrite(write.Name, write.Length, state.With(pieces, []).Serialize());
            }

            var ended = part.Length < _parts.PartSize;
            var merge = !ended || part.Length >= S3StorageOptions.MinimumPartSize || shortPieces.Count >= MaxShortPieces;
            var kept = merge ? pieces[..shortStart] : pieces;
            S3Piece piece;
            int start;
            if (merge && shortLength > 0)
            {
                try
                {
                    await ReadPiecesAsync(folder, shortPieces, part.Memory[..shortLength], failed.Token).ConfigureAwait(false);
                }
                catch
                {
                    part.Dispose();
                    throw;
                }

                (piece, start) = (S3Piece.New(write.Length - shortLength, part.Length), 0);
            }
            else
            {
                (piece, start) = (S3Piece.New(write.Length, part.Length - shortLength), shortLength);
            }

            var appended = (long)part.Length - shortLength;
            while (true)
            {
                if (kept.Count + written.Count + 1 > MaxParts)
                {
                    part.Dispose();
                    throw new IOException(
                        $"The write would need more than S3's {MaxParts} parts; send larger appends, or raise the storage's ChunkSize.");
                }

                written.Add(piece);
                uploads.Add(PutPieceAsync(folder + piece.ObjectName, part, start, slots, failed));
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

                piece = S3Piece.New(write.Length + appended, part.Length);
                start = 0;
                appended += part.Length;
            }

            await Task.WhenAll(uploads).ConfigureAwait(false);
            var next = state.With([.. kept, .. written], merge ? shortPieces : []);
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

            // The append is not recorded: what it wrote would only wait for the write's completion or abort to go.
            await DeletePiecesAsync(write.Name, written.Select(p => folder + p.ObjectName), CancellationToken.None).ConfigureAwait(false);
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
    /// The file is written once, under the name that is free at completion (the save policy of
    /// <see cref="FileStorage.SaveAsync"/>): a file shorter than 5 MiB in one <c>PUT</c> of its pieces' bytes; a longer one
    /// as a multipart upload whose parts are copied from the pieces inside the bucket (<c>UploadPartCopy</c>, up to
    /// <see cref="S3StorageOptions.MaxConcurrency"/> at once), its short pieces read back and sent as the last part.
    /// The write is create-only (<c>If-None-Match: *</c>) unless the storage overwrites; a name taken meanwhile moves the
    /// file to the next free name. The pieces are deleted once the file is stored; a failed completion leaves them,
    /// so the write can be completed again or aborted.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The write's pieces are gone.</exception>
    public async Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var (state, pieces) = S3ResumableState.Parse(write);
        var name = ValidateName(write.Name);
        var folder = GetKey(ResumableFolder + state.Id + "/");
        var save = CreateSave(name, state.ToSaveOptions(write.Length));
        var conditional = !save.Overwrite && _options.ConditionalWrites;
        if (!save.Overwrite)
        {
            while (await ExistsAsync(save.Name, cancellationToken).ConfigureAwait(false))
            {
                save.NextName();
            }
        }

        var shortStart = ShortRunStart(pieces);
        var shortPieces = pieces[shortStart..];

        // The short pieces are read back into one buffer: the whole file when it is short, else its last part.
        using (var last = await _parts.ReadAsync(Stream.Null, shortPieces.Sum(p => p.Length), cancellationToken).ConfigureAwait(false))
        {
            await ReadPiecesAsync(folder, shortPieces, last.Memory, cancellationToken).ConfigureAwait(false);
            if (shortStart == 0)
            {
                await PutSingleAsync(save, [last], last.Length, conditional, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AssemblePiecesAsync(save, folder, pieces[..shortStart], last, conditional, cancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            await DeleteFolderAsync(folder, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
        {
            // The file is stored; the pieces are garbage the bucket's lifecycle rule or an abort of the write removes.
            _logger.PiecesLeft(StorageName, save.Name, ex);
        }

        return await GetMetadataAsync(save.Name, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"Storage '{StorageName}': '{save.Name}' disappeared as soon as it was stored.");
    }

    /// <inheritdoc />
    /// <remarks>Deletes every object of the write's folder, the pieces of appends that were never recorded included.</remarks>
    public async Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var (state, _) = S3ResumableState.Parse(write);
        await DeleteFolderAsync(GetKey(ResumableFolder + state.Id + "/"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Refuses names in the storage's reserved folder (<c>.uploadkit…</c> as the first segment), which holds resumable writes' pieces.</summary>
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
        while (start > 0 && pieces[start - 1].Length < S3StorageOptions.MinimumPartSize)
        {
            start--;
        }

        return start;
    }

    private async Task PutPieceAsync(string key, PartBuffer part, int start, SemaphoreSlim slots, CancellationTokenSource failed)
    {
        try
        {
            using var body = part.OpenRead(start);
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _options.Bucket,
                Key = key,
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = !_options.DisableChunkedEncoding,
                ServerSideEncryptionMethod = _serverSideEncryption,
                ServerSideEncryptionKeyManagementServiceKeyId = _options.ObjectParameters.SseKmsKeyId,
            }, failed.Token).ConfigureAwait(false);
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

    /// <summary>Reads <paramref name="pieces"/>, in order, into <paramref name="destination"/>.</summary>
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
    /// Stores the file as a multipart upload of the name the save holds: the full pieces copied in the bucket, then the
    /// short ones' bytes; create-only when <paramref name="conditional"/>, moving to the next free name on a conflict.
    /// </summary>
    private async Task AssemblePiecesAsync(
        StorageSave save, string folder, List<S3Piece> pieces, PartBuffer last, bool conditional, CancellationToken cancellationToken)
    {
        while (true)
        {
            var name = save.Name;
            var key = GetKey(name);
            var initiate = CreateInitiateRequest(key, save.ContentType, save.ContentDisposition, save.Metadata);
            var uploadId = (await _client.InitiateMultipartUploadAsync(initiate, cancellationToken).ConfigureAwait(false)).UploadId;
            try
            {
                var etags = new PartETag[pieces.Count + (last.Length > 0 ? 1 : 0)];
                await Parallel.ForEachAsync(
                    Enumerable.Range(0, pieces.Count),
                    new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken },
                    async (index, token) =>
                    {
                        var part = await _client.CopyPartAsync(
                            new CopyPartRequest
                            {
                                SourceBucket = _options.Bucket,
                                SourceKey = folder + pieces[index].ObjectName,
                                DestinationBucket = _options.Bucket,
                                DestinationKey = key,
                                UploadId = uploadId,
                                PartNumber = index + 1,
                            },
                            token).ConfigureAwait(false);
                        etags[index] = new PartETag(index + 1, part.ETag);
                    }).ConfigureAwait(false);
                if (last.Length > 0)
                {
                    using var body = last.OpenRead();
                    var response = await _client.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = _options.Bucket,
                        Key = key,
                        UploadId = uploadId,
                        PartNumber = etags.Length,
                        InputStream = body,
                        UseChunkEncoding = !_options.DisableChunkedEncoding,
                    }, cancellationToken).ConfigureAwait(false);
                    etags[^1] = new PartETag(etags.Length, response.ETag);
                }

                var complete = new CompleteMultipartUploadRequest { BucketName = _options.Bucket, Key = key, UploadId = uploadId, PartETags = [.. etags] };
                if (conditional)
                {
                    complete.IfNoneMatch = "*";
                }

                await _client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
                _logger.Saved(StorageName, name, pieces.Sum(p => (long)p.Length) + last.Length, etags.Length);
                return;
            }
            catch (AmazonS3Exception ex) when (conditional && IsConditionalConflict(ex))
            {
                // Another writer took the name after it was checked: the pieces are still there, so the copy is made again
                // under the next free name.
                await AbortMultipartAsync(name, key, uploadId, ex).ConfigureAwait(false);
                _logger.ConditionalWriteConflict(StorageName, name);
                await save.NextFreeNameAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await AbortMultipartAsync(name, key, uploadId, ex).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Deletes pieces a recorded write no longer holds, or an unrecorded append wrote; a failure is logged, not thrown.</summary>
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

    /// <summary>Deletes every object whose key starts with <paramref name="folder"/>.</summary>
    private async Task DeleteFolderAsync(string folder, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = folder, MaxKeys = ListPageSize };
        do
        {
            var response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            await DeleteKeysAsync([.. (response.S3Objects ?? []).Select(o => o.Key)], cancellationToken).ConfigureAwait(false);
            request.ContinuationToken = response.IsTruncated == true ? response.NextContinuationToken : null;
        }
        while (request.ContinuationToken is not null);
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
