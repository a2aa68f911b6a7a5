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
    public Task<PartBuffer> ReadAsync(Stream source, CancellationToken cancellationToken) => ReadAsync(source, 0, cancellationToken);

    /// <summary>
    /// Fills a part from <paramref name="source"/> after <paramref name="start"/> bytes left for the caller to fill
    /// (<see cref="PartBuffer.Memory"/>); a part shorter than <see cref="PartSize"/> means the stream ended.
    /// </summary>
    public async Task<PartBuffer> ReadAsync(Stream source, int start, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start, PartSize);
        var array = _arrays.TryTake(out var pooled) ? pooled : GC.AllocateUninitializedArray<byte>(PartSize);
        try
        {
            var length = await source.ReadAtLeastAsync(
                array.AsMemory(start, PartSize - start), PartSize - start, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            return new PartBuffer(this, array, start + length);
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

    /// <summary>Gets the part's bytes, for filling the room a read left at its start.</summary>
    public Memory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PartBuffer))).AsMemory(0, Length);

    /// <summary>A read-only stream over the part, for one request.</summary>
    public MemoryStream OpenRead() => OpenRead(0);

    /// <summary>A read-only stream over the part's bytes from <paramref name="start"/>, for one request.</summary>
    public MemoryStream OpenRead(int start) =>
        new(_array ?? throw new ObjectDisposedException(nameof(PartBuffer)), start, Length - start, writable: false);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            pool.Return(array);
        }
    }
}
