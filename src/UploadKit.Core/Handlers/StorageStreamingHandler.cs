using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UploadKit;

/// <summary>
/// Streams each file straight into an <see cref="IFileStorage"/>, with no temporary file: the handler Django's
/// documentation mentions for "sending data to another storage location directly". The bytes reach the storage in
/// blocks of up to 1 MiB, which a storage copying the stream writes with one write each, and memory stays bounded: the
/// request is read no faster than the storage takes the blocks (with the default buffer, a file holds at most three:
/// one the storage takes, one waiting for it, one filling). The file completes as a
/// <see cref="StoredUploadedFile"/>. A skipped file, a failed save or an interrupted upload removes what was stored,
/// and so does the end of the request for a file the endpoint did not keep (see <see cref="StoredUploadedFile"/>).
/// </summary>
/// <remarks>
/// <para>
/// The handler keeps every file it sees, so later handlers receive none of its bytes. Put it first in an endpoint's
/// chain (after validators and checksums, which run before the chain).
/// </para>
/// <para>
/// The save starts with the file's first bytes, before its checksums are known, so the stored object gets the content
/// type but not the checksums: they are on <see cref="UploadedFile.Checksums"/> of the returned file. Saving that file
/// into another storage or under another name (<see cref="UploadedFile.SaveAsync"/>) stores them with the copy.
/// </para>
/// </remarks>
public sealed class StorageStreamingHandler : UploadHandler
{
    /// <summary>How many bytes may wait for the storage before reading the request pauses: 1 MiB.</summary>
    public const long DefaultBufferSize = 1024 * 1024;

    /// <summary>The largest block handed to the storage: one write buffer of <see cref="UploadMemoryPool"/>.</summary>
    private const int MaxBlockSize = UploadMemoryPool.WriteBufferSize;

    private readonly IFileStorage _storage;
    private readonly Func<UploadFileHeader, string> _nameSelector;
    private readonly int _blockSize;
    private readonly int _maxPendingBlocks;
    private readonly ILogger? _logger;
    private readonly List<StoredUploadedFile> _saved = [];
    private BlockHandOffStream? _blocks;
    private byte[]? _filling;
    private int _filled;
    private Task<string>? _save;
    private CancellationTokenSource? _cancel;
    private UploadFileHeader? _file;

    /// <summary>Creates a handler that stores each file under its own name made safe.</summary>
    /// <param name="storage">Where files go.</param>
    public StorageStreamingHandler(IFileStorage storage)
        : this(storage, nameSelector: null)
    {
    }

    /// <summary>Creates a handler that stores each file under a name of the app's choosing.</summary>
    /// <param name="storage">Where files go.</param>
    /// <param name="nameSelector">Chooses the wanted name of a file; <see langword="null"/> for <see cref="FileStorageNames.GetValidName"/> of its
    /// file name.</param>
    /// <param name="bufferSize">How many bytes may wait for the storage before reading pauses, besides the block the storage is taking and
    /// the block being filled.</param>
    /// <param name="logger">Where a stored object that could not be removed after a failure is reported.</param>
    [ActivatorUtilitiesConstructor]
    public StorageStreamingHandler(
        IFileStorage storage,
        Func<UploadFileHeader, string>? nameSelector = null,
        long bufferSize = DefaultBufferSize,
        ILogger<StorageStreamingHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 4096);
        _storage = storage;
        _nameSelector = nameSelector ?? (f => FileStorageNames.GetValidName(f.FileName));
        _logger = logger;

        // Blocks of the buffer's size up to 1 MiB; a larger buffer lets more of them wait. A block wakes the storage once,
        // and a storage writing a file writes it in one system call. One block more than the buffer holds is the one the
        // storage is taking: the next one waits ready for it, so the storage never waits for the handler to be woken.
        _blockSize = (int)Math.Min(bufferSize, MaxBlockSize);
        _maxPendingBlocks = (int)Math.Min(bufferSize / _blockSize, 1024) + 1;
    }

    /// <summary>
    /// Gets the options every file is saved with, instead of those derived from its header and the upload's options:
    /// a local direct upload saves with the media type and overwrite rule its session signed.
    /// </summary>
    internal FileSaveOptions? SaveOptions { get; init; }

    /// <inheritdoc />
    public override async ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        await AbandonAsync().ConfigureAwait(false);
        string name;
        try
        {
            name = FileStorageNames.Validate(_nameSelector(file));
        }
        catch (SuspiciousFileNameException ex)
        {
            throw FileValidation.Reject(file, [ex.Message]);
        }

        _file = file;

        // The storage reads the options while the bytes stream in: they are complete now and never change afterwards.
        var options = SaveOptions ?? new FileSaveOptions
        {
            // The client's declared type only where the endpoint trusts it: otherwise the storage takes the stored name's.
            ContentType = Context.Options.StoreClientContentType && file.ContentType.Length > 0 ? file.ContentType : null,
            Length = file.DeclaredLength,
        };
        _blocks = new BlockHandOffStream(_maxPendingBlocks);
        _cancel = new CancellationTokenSource();
        _save = SaveAsync(name, _blocks, options, _cancel.Token);
    }

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
        ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (_blocks is null)
        {
            return chunk;
        }

        // The bytes are copied into the handler's own blocks: the chunk is only valid during this call.
        while (!chunk.IsEmpty)
        {
            _filling ??= _blockSize <= UploadMemoryPool.BlockSize ? UploadMemoryPool.Shared.Rent() : UploadMemoryPool.Shared.RentWriteBuffer();
            var count = Math.Min(chunk.Length, _blockSize - _filled);
            chunk.Span[..count].CopyTo(_filling.AsSpan(_filled));
            _filled += count;
            chunk = chunk[count..];
            if (_filled == _blockSize)
            {
                await HandOverAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    /// <summary>Hands the block being filled to the storage, waiting while the blocks before it wait for the storage.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask HandOverAsync(CancellationToken cancellationToken)
    {
        if (_filled == 0)
        {
            return;
        }

        var block = _filling!;
        var count = _filled;
        _filling = null;
        _filled = 0;
        if (!await _blocks!.WriteAsync(block, count, cancellationToken).ConfigureAwait(false))
        {
            // The storage stopped reading: it failed, and awaiting the save raises why.
            await _save!.ConfigureAwait(false);
            throw new InvalidOperationException("The storage stopped reading the file before it ended.");
        }
    }

    /// <inheritdoc />
    public override async ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        var file = _file;
        if (file is null || _blocks is null || _save is null)
        {
            return null;
        }

        await HandOverAsync(cancellationToken).ConfigureAwait(false);
        _blocks.Complete();
        var name = await _save.ConfigureAwait(false);
        if (_blocks.UnreadBytes > 0)
        {
            // A storage that returned without reading every byte stored part of the file; the abandon removes it.
            throw new InvalidOperationException("The storage stopped reading the file before it ended.");
        }
        var stored = new StoredUploadedFile(file, _storage, name, size, _logger);
        _saved.Add(stored);
        _cancel?.Dispose();
        Reset();
        return stored;
    }

    /// <inheritdoc />
    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken) => AbandonAsync();

    /// <inheritdoc />
    public override async ValueTask UploadInterruptedAsync(CancellationToken cancellationToken)
    {
        await AbandonAsync().ConfigureAwait(false);
        foreach (var file in _saved)
        {
            // Removes the object once, whoever disposes the file first.
            await file.DisposeAsync().ConfigureAwait(false);
        }

        _saved.Clear();
    }

    /// <inheritdoc />
    public override async ValueTask UploadCompleteAsync(CancellationToken cancellationToken)
    {
        await AbandonAsync().ConfigureAwait(false);
        _saved.Clear();
    }

    private async Task<string> SaveAsync(string name, BlockHandOffStream blocks, FileSaveOptions options, CancellationToken cancellationToken)
    {
        // Run the storage off the request's thread so that filling a block and saving the previous one proceed together.
        await Task.Yield();
        try
        {
            return await _storage.SaveAsync(name, blocks, options, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Gives back the blocks the storage did not take, and unblocks a handler waiting for room when the storage failed.
            await blocks.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask AbandonAsync()
    {
        var save = _save;
        var cancel = _cancel;
        var blocks = _blocks;
        Reset();
        if (save is null)
        {
            return;
        }

        try
        {
            await cancel!.CancelAsync().ConfigureAwait(false);
            blocks!.Abort(new OperationCanceledException("The file was abandoned."));

            // A storage that finished despite the cancellation has an object to remove.
            var name = await save.ConfigureAwait(false);
            await TryDeleteAsync(name).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Cleanup must not fail: the save was meant to end, and its own failure path removed what it wrote.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            cancel?.Dispose();
        }
    }

    private Task<bool> TryDeleteAsync(string name) =>
        StorageHelpers.TryDeleteAsync(_storage, name, _logger);

    private void Reset()
    {
        if (_filling is not null)
        {
            UploadMemoryPool.Shared.Return(_filling);
            _filling = null;
        }

        _filled = 0;
        _cancel = null;
        _blocks = null;
        _save = null;
        _file = null;
    }
}
