using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Google;
using Google.Apis.Storage.v1;
using Google.Apis.Upload;
using Google.Cloud.Storage.V1;
using UploadKit.Storage.Gcs.Internal;
using ComposeBody = Google.Apis.Storage.v1.Data.ComposeRequest;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace UploadKit.Storage.Gcs;

/// <summary>Resumable writes: each append is one piece object, and the file is composed from them at completion.</summary>
public sealed partial class GcsStorage : IResumableFileStorage
{
    /// <summary>The most source objects one compose request takes (GCS's limit).</summary>
    internal const int MaxComposeSources = 32;

    /// <summary>The most components a composite object may have, as the GCS composite-object documentation gives it.</summary>
    internal const int DefaultComponentLimit = 1024;

    private const string ResumableFolder = ".uploadkit/resumable/";
    private const string PiecePrefix = "p-";
    private const string FoldPrefix = "f-";
    private const string PieceContentType = "application/octet-stream";

    /// <summary>Gets or sets the component count a write's objects are kept under; lowered by tests to reach it quickly.</summary>
    internal int ComponentLimit { get; set; } = DefaultComponentLimit;

    /// <inheritdoc />
    /// <remarks>
    /// Nothing is written yet: each append becomes one object of the write's own folder below the reserved
    /// <c>.uploadkit/resumable/</c> prefix, and completion composes them into the file (see the package README).
    /// </remarks>
    public Task<ResumableWrite> BeginWriteAsync(string name, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        name = ValidateName(name);
        ObjectName(name);
        return Task.FromResult(new ResumableWrite(name, 0, GcsResumableState.Create(options).Serialize()));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The content is streamed into a new object named after its offset and a random token (a resumable upload holding
    /// at most <see cref="GcsStorageOptions.ChunkSize"/> in memory), created with <c>ifGenerationMatch=0</c>, so no
    /// append ever replaces an object another one wrote; the returned state names it with its generation. When the
    /// write already holds 32 objects they are first composed into one (a metadata operation on GCS: no bytes move), which
    /// removes them.
    /// A failed append cancels its upload session and leaves the recorded write as it was.
    /// </remarks>
    public async Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var state = GcsResumableState.Parse(write);
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        var pieces = state.Pieces;
        if (pieces.Count >= MaxComposeSources || state.Components >= ComponentLimit)
        {
            pieces = [await FoldAsync(client, state, cancellationToken).ConfigureAwait(false)];
        }

        var piece = await UploadPieceAsync(client, state, NewPieceName(write.Length), content, cancellationToken)
            .ConfigureAwait(false);
        // An empty append adds no object, but a fold it made is the write's now: the folded pieces are gone.
        var next = state.With(piece is null ? pieces : [.. pieces, piece]);
        return new ResumableWrite(write.Name, next.Length, next.Serialize());
    }

    /// <inheritdoc />
    /// <remarks>
    /// One compose request of the write's objects (at most 32) into the file's name, with the content type, disposition,
    /// cache control, metadata and ACL a save stores and, unless overwriting, <c>ifGenerationMatch=0</c>; a taken name
    /// moves to the next free one, as a save does. The sources are deleted by the same request
    /// (<c>deleteSourceObjects</c>), and anything else left in the write's folder afterwards. No byte is copied:
    /// the file is a composite object, which GCS gives a CRC32C but no MD5.
    /// </remarks>
    public async Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var state = GcsResumableState.Parse(write);
        var name = ValidateName(write.Name);
        var options = state.ToSaveOptions(write.Length);
        if (state.Pieces.Count == 0)
        {
            var saved = await SaveAsync(name, Stream.Null, options, cancellationToken).ConfigureAwait(false);
            await DeleteFolderAsync(state, cancellationToken).ConfigureAwait(false);
            return await GetMetadataCoreAsync(saved, cancellationToken).ConfigureAwait(false)
                ?? throw new IOException($"Bucket '{_bucket}' lost '{saved}' right after it was saved.");
        }

        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        var save = CreateSave(name, options);
        var sources = state.Pieces;
        while (true)
        {
            var destination = CreateObject(save);
            destination.Name = null;
            destination.Bucket = null;
            var compose = client.Service.Objects.Compose(ComposeOf(state, sources, destination, deleteSources: true), _bucket, ObjectName(save.Name));
            compose.IfGenerationMatch = save.Overwrite ? null : 0;
            compose.DestinationPredefinedAcl = ComposeAcl();
            try
            {
                var stored = await compose.ExecuteAsync(cancellationToken).ConfigureAwait(false);
                _logger.ResumableCompleted(stored.Name, (long)(stored.Size ?? 0), sources.Count, _bucket);
                await DeleteFolderAsync(state, cancellationToken).ConfigureAwait(false);
                return ToInfo(save.Name, stored);
            }
            catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.PreconditionFailed && !save.Overwrite)
            {
                // The name is taken (the only precondition on the destination); the sources are untouched by a refused compose.
                await save.NextFreeNameAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound && sources == state.Pieces)
            {
                // An append that was never recorded folded the recorded pieces (and removed them) before it failed.
                sources = [await FindFoldAsync(client, state, FoldName(state), cancellationToken).ConfigureAwait(false)
                    ?? throw new IOException($"Bucket '{_bucket}' no longer holds the pieces of the resumable write of '{name}'.", ex)];
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Deletes every object of the write's folder: recorded pieces, unrecorded ones, and folds.</remarks>
    public Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default) =>
        DeleteFolderAsync(GcsResumableState.Parse(write), cancellationToken);

    private string FolderName(GcsResumableState state) => _keyPrefix + ResumableFolder + state.Id + "/";

    private static string NewPieceName(long offset) =>
        PiecePrefix + offset.ToString("x16", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private async Task<GcsPiece?> UploadPieceAsync(
        StorageClient client, GcsResumableState state, string name, Stream content, CancellationToken cancellationToken)
    {
        var target = new GcsObject { Bucket = _bucket, Name = FolderName(state) + name, ContentType = PieceContentType };
        var uploader = new SessionTrackingUpload(client.Service, target, _bucket, content, PieceContentType)
        {
            ChunkSize = _options.ChunkSize,
            IfGenerationMatch = 0,
        };
        IUploadProgress progress;
        try
        {
            progress = await uploader.UploadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await CancelSessionAsync(client, uploader.Session).ConfigureAwait(false);
            throw;
        }

        if (progress.Status != UploadStatus.Completed || uploader.ResponseBody is not { } stored)
        {
            await CancelSessionAsync(client, uploader.Session).ConfigureAwait(false);
            _logger.AppendFailed(progress.Exception, target.Name, _bucket);
            if (progress.Exception is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
            }

            throw new IOException($"Appending to '{target.Name}' in bucket '{_bucket}' did not complete.");
        }

        var length = (long)(stored.Size ?? 0);
        if (length == 0)
        {
            // An empty append adds nothing; its object is not worth a place among the write's 32 sources.
            await DeleteQuietlyAsync(client, stored.Name, stored.Generation, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return new GcsPiece(name, stored.Generation!.Value, length, 1);
    }

    /// <summary>Cancels an upload session that will not be finished (a DELETE on its URI), so that nothing of it stays open.</summary>
    private async Task CancelSessionAsync(StorageClient client, Uri? session)
    {
        if (session is null)
        {
            return;
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, session);
            using var response = await client.Service.HttpClient.SendAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            // GCS drops an unfinished session after a week; it holds no object meanwhile.
            _logger.SessionNotCancelled(ex, _bucket);
        }
    }

    /// <summary>
    /// Makes one object of the write's pieces, and removes them: a compose that hard-deletes its sources
    /// (<c>deleteSourceObjects</c>), or a copy when the component limit is reached. The fold's name is derived from the
    /// recorded pieces, so an append that folded but was never recorded left the very fold a retry from the same write
    /// would make: the retry finds it (its sources gone, or its name taken) and goes on from it.
    /// </summary>
    private async Task<GcsPiece> FoldAsync(StorageClient client, GcsResumableState state, CancellationToken cancellationToken)
    {
        var name = FoldName(state);
        if (state.Components >= ComponentLimit)
        {
            return await FindFoldAsync(client, state, name, cancellationToken).ConfigureAwait(false)
                ?? await CopyFoldAsync(client, state, name, cancellationToken).ConfigureAwait(false);
        }

        var destination = new GcsObject { ContentType = PieceContentType };
        var compose = client.Service.Objects.Compose(
            ComposeOf(state, state.Pieces, destination, deleteSources: true), _bucket, FolderName(state) + name);
        compose.IfGenerationMatch = 0;
        try
        {
            var folded = await compose.ExecuteAsync(cancellationToken).ConfigureAwait(false);
            _logger.ResumableFolded(state.Pieces.Count, state.Length, _bucket);
            return new GcsPiece(name, folded.Generation!.Value, state.Length, folded.ComponentCount ?? state.Components);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
        {
            return await FindFoldAsync(client, state, name, cancellationToken).ConfigureAwait(false)
                ?? throw new IOException($"Bucket '{_bucket}' no longer holds the recorded pieces of a resumable write, nor their fold.", ex);
        }
    }

    /// <summary>The name of the fold of the write's recorded pieces: their end offset and a digest of their names and generations.</summary>
    private static string FoldName(GcsResumableState state)
    {
        var pieces = string.Join('\n', state.Pieces.Select(p => p.Name + " " + p.Generation.ToString(CultureInfo.InvariantCulture)));
        var digest = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(state.Id + "\n" + pieces)).AsSpan(0, 8));
        return FoldPrefix + state.Length.ToString("x16", CultureInfo.InvariantCulture) + "-" + digest;
    }

    private async Task<GcsPiece?> FindFoldAsync(StorageClient client, GcsResumableState state, string name, CancellationToken cancellationToken)
    {
        GcsObject fold;
        try
        {
            fold = await client.GetObjectAsync(_bucket, FolderName(state) + name, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        return (long)(fold.Size ?? 0) == state.Length
            ? new GcsPiece(name, fold.Generation!.Value, state.Length, fold.ComponentCount ?? 1)
            : throw new IOException($"Bucket '{_bucket}': the fold of a resumable write has {fold.Size} bytes, not {state.Length}.");
    }

    /// <summary>
    /// Streams the write's bytes into one plain object (component count 1): what GCS documents for a composite at its
    /// component limit. Memory stays within the pipe's pause threshold and one upload chunk.
    /// </summary>
    private async Task<GcsPiece> CopyFoldAsync(StorageClient client, GcsResumableState state, string name, CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: _options.ChunkSize, resumeWriterThreshold: _options.ChunkSize / 2));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var download = DownloadPiecesAsync(client, state, pipe.Writer, cancel.Token);
        GcsPiece? piece;
        try
        {
            var reader = pipe.Reader.AsStream();
            await using (reader.ConfigureAwait(false))
            {
                piece = await UploadPieceAsync(client, state, name, reader, cancel.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            await cancel.CancelAsync().ConfigureAwait(false);
            await download.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        await download.ConfigureAwait(false);
        if (piece is not { } copied || copied.Length != state.Length)
        {
            throw new IOException($"Bucket '{_bucket}': copying a write's pieces gave {piece?.Length ?? 0} bytes, not {state.Length}.");
        }

        _logger.ResumableCopied(state.Pieces.Count, state.Length, _bucket);
        List<GcsObject> sources = [.. state.Pieces.Select(p => new GcsObject { Name = FolderName(state) + p.Name, Generation = p.Generation })];
        await DeleteAllAsync(client, sources, cancellationToken).ConfigureAwait(false);
        return copied;
    }

    private async Task DownloadPiecesAsync(StorageClient client, GcsResumableState state, PipeWriter writer, CancellationToken cancellationToken)
    {
        try
        {
            var target = writer.AsStream(leaveOpen: true);
            await using (target.ConfigureAwait(false))
            {
                foreach (var piece in state.Pieces)
                {
                    await client.DownloadObjectAsync(
                        _bucket,
                        FolderName(state) + piece.Name,
                        target,
                        new DownloadObjectOptions { Generation = piece.Generation },
                        cancellationToken).ConfigureAwait(false);
                }
            }

            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await writer.CompleteAsync(ex).ConfigureAwait(false);
            throw;
        }
    }

    private ComposeBody ComposeOf(GcsResumableState state, List<GcsPiece> pieces, GcsObject destination, bool deleteSources) => new()
    {
        Destination = destination,
        DeleteSourceObjects = deleteSources ? true : null,
        SourceObjects = [.. pieces.Select(p => new ComposeBody.SourceObjectsData
        {
            Name = FolderName(state) + p.Name,
            Generation = p.Generation,
            ObjectPreconditions = new ComposeBody.SourceObjectsData.ObjectPreconditionsData { IfGenerationMatch = p.Generation },
        })],
    };

    private ObjectsResource.ComposeRequest.DestinationPredefinedAclEnum? ComposeAcl() => _options.DefaultAcl?.ToLowerInvariant() switch
    {
        null or "" => null,
        "authenticatedread" => ObjectsResource.ComposeRequest.DestinationPredefinedAclEnum.AuthenticatedRead,
        "bucketownerfullcontrol" => ObjectsResource.ComposeRequest.DestinationPredefinedAclEnum.BucketOwnerFullControl,
        "bucketownerread" => ObjectsResource.ComposeRequest.DestinationPredefinedAclEnum.BucketOwnerRead,
        "private" => ObjectsResource.ComposeRequest.DestinationPredefinedAclEnum.Private__,
        "projectprivate" => ObjectsResource.ComposeRequest.DestinationPredefinedAclEnum.ProjectPrivate,
        _ => ObjectsResource.ComposeRequest.DestinationPredefinedAclEnum.PublicRead,
    };

    private async Task DeleteFolderAsync(GcsResumableState state, CancellationToken cancellationToken)
    {
        var client = await GetClientAsync(cancellationToken).ConfigureAwait(false);
        var objects = new List<GcsObject>();
        await foreach (var obj in client.ListObjectsAsync(_bucket, FolderName(state)).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            objects.Add(obj);
        }

        await DeleteAllAsync(client, objects, cancellationToken).ConfigureAwait(false);
    }

    private Task DeleteAllAsync(StorageClient client, List<GcsObject> objects, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            objects,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (obj, ct) => await DeleteQuietlyAsync(client, obj.Name, obj.Generation, ct).ConfigureAwait(false));

    private async Task DeleteQuietlyAsync(StorageClient client, string objectName, long? generation, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteObjectAsync(
                _bucket, objectName, new DeleteObjectOptions { IfGenerationMatch = generation }, cancellationToken).ConfigureAwait(false);
        }
        catch (GoogleApiException ex) when (ex.HttpStatusCode is HttpStatusCode.NotFound or HttpStatusCode.PreconditionFailed)
        {
            // Already gone (deleted by a completion or another pruning), which is what was wanted.
            _logger.ObjectAlreadyGone(objectName, _bucket);
        }
    }

    /// <summary>A media upload that remembers its session address, so that a failed upload can be cancelled.</summary>
    private sealed class SessionTrackingUpload(StorageService service, GcsObject body, string bucket, Stream content, string contentType)
        : ObjectsResource.InsertMediaUpload(service, body, bucket, content, contentType)
    {
        public Uri? Session { get; private set; }

        public override async Task<Uri> InitiateSessionAsync(CancellationToken cancellationToken = default)
        {
            Session = await base.InitiateSessionAsync(cancellationToken).ConfigureAwait(false);
            return Session;
        }
    }
}
