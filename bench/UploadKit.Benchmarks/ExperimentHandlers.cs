using System.Buffers;

namespace UploadKit.Benchmarks;

/// <summary>
/// An experiment, not a fix: <see cref="MemoryUploadHandler"/>'s buffering with its growing buffers rented from a
/// dedicated <see cref="ArrayPool{T}.Create(int, int)"/> pool instead of <see cref="ArrayPool{T}.Shared"/>. The shared
/// pool keeps one array per size per thread, so a buffer grown through nine sizes and returned on whichever thread the
/// request ends on is rarely found again by the next request. Used only for files that outgrow the threshold (every
/// benchmark file does): a file that stays in memory is not kept.
/// </summary>
internal sealed class DedicatedPoolMemoryHandler : UploadHandler
{
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 8 * 1024 * 1024, maxArraysPerBucket: 16);

    private byte[]? _buffer;
    private int _length;
    private bool _active;

    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        Release();
        _active = !(file.DeclaredLength > Context.Options.MemoryBufferThreshold);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (!_active)
        {
            Release();
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
        }

        var total = _length + chunk.Length;
        if (_buffer is null || _buffer.Length < total)
        {
            var grown = Pool.Rent(Math.Max(total, Math.Max(16 * 1024, (_buffer?.Length ?? 0) * 2)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(grown);
                Pool.Return(_buffer);
            }

            _buffer = grown;
        }

        chunk.Span.CopyTo(_buffer.AsSpan(_length));
        _length = total;
        if (total <= Context.Options.MemoryBufferThreshold)
        {
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);
        }

        _active = false;
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(_buffer.AsMemory(0, total));
    }

    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        Release();
        return ValueTask.FromResult<UploadedFile?>(null);
    }

    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        Release();
        return ValueTask.CompletedTask;
    }

    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    private void Release()
    {
        if (_buffer is not null)
        {
            Pool.Return(_buffer);
            _buffer = null;
        }

        _length = 0;
    }
}
