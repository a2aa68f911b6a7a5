using System.Collections.Concurrent;

namespace UploadKit.Storage.S3.Internal;

/// <summary>
/// Keeps at most <c>capacity</c> part-sized arrays for reuse, so a storage holds a bounded amount of memory
/// between saves and never allocates a part per upload once warm.
/// </summary>
internal sealed class PartBufferPool(int partSize, int capacity)
{
    private readonly ConcurrentBag<byte[]> _arrays = [];

    public int PartSize { get; } = partSize;

    /// <summary>Fills a part from <paramref name="source"/>; a part shorter than <see cref="PartSize"/> means the stream ended.</summary>
    public async Task<PartBuffer> ReadAsync(Stream source, CancellationToken cancellationToken)
    {
        var array = _arrays.TryTake(out var pooled) ? pooled : GC.AllocateUninitializedArray<byte>(PartSize);
        try
        {
            var length = await source.ReadAtLeastAsync(
                array.AsMemory(0, PartSize), PartSize, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return new PartBuffer(this, array, length);
        }
        catch
        {
            Return(array);
            throw;
        }
    }

    internal void Return(byte[] array)
    {
        if (_arrays.Count < capacity)
        {
            _arrays.Add(array);
        }
    }
}

/// <summary>One part's bytes, returned to its pool on dispose.</summary>
internal sealed class PartBuffer(PartBufferPool pool, byte[] array, int length) : IDisposable
{
    private byte[]? _array = array;

    public int Length { get; } = length;

    public ReadOnlySpan<byte> Span => (_array ?? throw new ObjectDisposedException(nameof(PartBuffer))).AsSpan(0, Length);

    /// <summary>A read-only stream over the part, for one request.</summary>
    public MemoryStream OpenRead() => new(_array ?? throw new ObjectDisposedException(nameof(PartBuffer)), 0, Length, writable: false);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            pool.Return(array);
        }
    }
}
