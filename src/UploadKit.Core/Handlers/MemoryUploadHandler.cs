using System.Buffers;

namespace UploadKit;

/// <summary>
/// Keeps a file in pooled memory while it stays within <see cref="UploadOptions.MemoryBufferThreshold"/>:
/// Django's <c>MemoryFileUploadHandler</c>. A file that outgrows the threshold is handed on to the next
/// handler (by default <see cref="TemporaryFileUploadHandler"/>), bytes held so far included, whatever
/// length the client declared. No file holds more than the threshold plus one chunk in memory.
/// </summary>
public sealed class MemoryUploadHandler : UploadHandler
{
    private const int InitialCapacity = 16 * 1024;

    private UploadFileHeader? _file;
    private byte[]? _buffer;
    private int _length;
    private bool _active;

    /// <inheritdoc />
    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        Release();
        _file = file;
        _length = 0;
        // A declared length over the threshold is believed only in the direction that costs nothing.
        _active = !(file.DeclaredLength > Context.Options.MemoryBufferThreshold);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (!_active)
        {
            // Bytes handed on at the spill are released once the next handlers are done with them.
            Release();
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
        }

        var total = _length + chunk.Length;
        EnsureCapacity(total);
        chunk.Span.CopyTo(_buffer.AsSpan(_length));
        _length = total;
        if (total <= Context.Options.MemoryBufferThreshold)
        {
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);
        }

        // Spill: hand everything held so far to the next handler as one block ending where the chunk ends.
        _active = false;
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(_buffer.AsMemory(0, total));
    }

    /// <inheritdoc />
    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        if (!_active || _file is null)
        {
            Release();
            return ValueTask.FromResult<UploadedFile?>(null);
        }

        if (_buffer is not null && _length > 0 && _buffer.Length > 2 * Math.Max(_length, InitialCapacity))
        {
            // The first buffer was sized for a large request; a small file keeps only what it needs until the request ends.
            var fitted = UploadBufferPool.Shared.Rent(_length);
            _buffer.AsSpan(0, _length).CopyTo(fitted);
            UploadBufferPool.Shared.Return(_buffer);
            _buffer = fitted;
        }

        UploadedFile file = _buffer is null
            ? new InMemoryUploadedFile(_file, [])
            : new InMemoryUploadedFile(_file, _buffer, _length);
        _buffer = null;
        _file = null;
        _active = false;
        return ValueTask.FromResult<UploadedFile?>(file);
    }

    /// <inheritdoc />
    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        Release();
        _active = false;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    /// <inheritdoc />
    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    private void EnsureCapacity(int needed)
    {
        if (_buffer is not null && _buffer.Length >= needed)
        {
            return;
        }

        // The first buffer is sized by what the request can still hold (its Content-Length, capped at the threshold),
        // so a large file does not grow through every power of two, copying as it goes.
        var first = _buffer is null
            ? (int)Math.Clamp(Context.ContentLength ?? InitialCapacity, InitialCapacity, Math.Max(InitialCapacity, Context.Options.MemoryBufferThreshold))
            : 0;
        var capacity = Math.Max(needed, Math.Max(first, (_buffer?.Length ?? 0) * 2));
        var grown = UploadBufferPool.Shared.Rent(capacity);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _length).CopyTo(grown);
            UploadBufferPool.Shared.Return(_buffer);
        }

        _buffer = grown;
    }

    private void Release()
    {
        if (_buffer is not null)
        {
            UploadBufferPool.Shared.Return(_buffer);
            _buffer = null;
        }

        _length = 0;
    }
}
