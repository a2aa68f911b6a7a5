using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace UploadKit;

/// <summary>
/// Streams a file to a temporary file in <see cref="UploadOptions.TempFileDirectory"/>: Django's
/// <c>TemporaryFileUploadHandler</c>. Writes are asynchronous and gathered in batches of 1 MiB made of the pooled
/// 64 KiB blocks that in-memory files use (one vectored write each), the next batch filling while the previous one is
/// written; the blocks go back to the pool, which gives them back to the system after a burst. The temporary file is created at the first byte and
/// deleted when the request ends, unless the file was moved into storage first.
/// </summary>
public sealed class TemporaryFileUploadHandler : UploadHandler
{
    private const int BlocksPerWrite = 16;

    private UploadFileHeader? _file;
    private FileStream? _stream;
    private SafeFileHandle? _handle;
    private string? _path;
    private WriteBatch? _filling;
    private WriteBatch? _writingBatch;
    private ValueTask _writing;
    private bool _isWriting;
    private long _written;

    /// <inheritdoc />
    public override async ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        await DiscardAsync().ConfigureAwait(false);
        _file = file;
    }

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (_handle is null)
        {
            _stream = TemporaryFiles.Create(Context.Options, out var path);
            _path = path;
            _handle = _stream.SafeFileHandle;
            _written = 0;
        }

        while (!chunk.IsEmpty)
        {
            _filling ??= new WriteBatch();
            chunk = chunk[_filling.Append(chunk.Span)..];
            if (_filling.IsFull)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override async ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        var file = _file;
        if (file is null)
        {
            return null;
        }

        if (_handle is null)
        {
            // No bytes reached this handler: an empty file, or one another handler kept.
            if (size != 0)
            {
                _file = null;
                return null;
            }

            _stream = TemporaryFiles.Create(Context.Options, out var emptyPath);
            _path = emptyPath;
            _handle = _stream.SafeFileHandle;
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await WaitForWriteAsync().ConfigureAwait(false);
        var path = _path!;
        var written = _written;
        await CloseAsync().ConfigureAwait(false);
        _path = null;
        _file = null;
        return new TemporaryUploadedFile(file, path, written);
    }

    /// <inheritdoc />
    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken) => DiscardAsync();

    /// <inheritdoc />
    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => DiscardAsync();

    /// <inheritdoc />
    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => DiscardAsync();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_filling is not { Length: > 0 } batch)
        {
            return;
        }

        await WaitForWriteAsync().ConfigureAwait(false);
        var position = _written;
        _written += batch.Length;
        _filling = _writingBatch;
        _filling?.Reset();
        _writingBatch = batch;
        _writing = RandomAccess.WriteAsync(_handle!, batch.Segments(), position, cancellationToken);
        _isWriting = true;
    }

    /// <summary>Awaits the write in flight, once: the buffer it writes may then be filled again.</summary>
    private ValueTask WaitForWriteAsync()
    {
        if (!_isWriting)
        {
            return ValueTask.CompletedTask;
        }

        _isWriting = false;
        var writing = _writing;
        _writing = default;
        return writing;
    }

    private async ValueTask CloseAsync()
    {
        try
        {
            await WaitForWriteAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }

            _stream = null;
            _handle = null;
            ReturnBuffers();
        }
    }

    private async ValueTask DiscardAsync()
    {
        var path = _path;
        _path = null;
        _file = null;
        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        catch (Exception) when (path is not null)
        {
            // The write that failed is why we are discarding; the file goes either way.
        }
        finally
        {
            if (path is not null)
            {
                TemporaryFiles.TryDelete(path);
            }
        }
    }

    private void ReturnBuffers()
    {
        _filling?.Return();
        _filling = null;
        _writingBatch?.Return();
        _writingBatch = null;
    }

    /// <summary>Up to 1 MiB of a file in pooled blocks, written with one vectored write.</summary>
    private sealed class WriteBatch
    {
        private readonly byte[]?[] _blocks = new byte[BlocksPerWrite][];
        private int _rented;

        public int Length { get; private set; }

        public bool IsFull => Length == BlocksPerWrite * UploadMemoryPool.BlockSize;

        /// <summary>Copies what fits of <paramref name="data"/> into the current block.</summary>
        /// <returns>The bytes copied.</returns>
        public int Append(ReadOnlySpan<byte> data)
        {
            var index = Length / UploadMemoryPool.BlockSize;
            if (index == _rented)
            {
                _blocks[_rented++] = UploadMemoryPool.Shared.Rent();
            }

            var at = Length % UploadMemoryPool.BlockSize;
            var count = Math.Min(data.Length, UploadMemoryPool.BlockSize - at);
            data[..count].CopyTo(_blocks[index].AsSpan(at));
            Length += count;
            return count;
        }

        public IReadOnlyList<ReadOnlyMemory<byte>> Segments()
        {
            var segments = new ReadOnlyMemory<byte>[(Length + UploadMemoryPool.BlockSize - 1) / UploadMemoryPool.BlockSize];
            for (var i = 0; i < segments.Length; i++)
            {
                segments[i] = _blocks[i].AsMemory(0, Math.Min(UploadMemoryPool.BlockSize, Length - (i * UploadMemoryPool.BlockSize)));
            }

            return segments;
        }

        /// <summary>Empties the batch and keeps its blocks for the next bytes.</summary>
        public void Reset() => Length = 0;

        /// <summary>Gives the blocks back to the pool.</summary>
        public void Return()
        {
            for (var i = 0; i < _rented; i++)
            {
                UploadMemoryPool.Shared.Return(_blocks[i]!);
                _blocks[i] = null;
            }

            _rented = 0;
            Length = 0;
        }
    }
}
