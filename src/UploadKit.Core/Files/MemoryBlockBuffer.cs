using System.Buffers;

namespace UploadKit;

/// <summary>
/// A file's bytes in memory, as a list of pooled blocks of <see cref="UploadMemoryPool.BlockSize"/>: it holds what
/// it was given plus at most one partly used block, and grows without copying. Every block is reserved from the
/// request's <see cref="RequestMemoryAccount"/> before it is taken, so a buffer that would cross the request's or the
/// application's limit refuses to grow instead. <see cref="Release"/> gives the blocks and the reservation back.
/// </summary>
internal sealed class MemoryBlockBuffer
{
    /// <summary>A file this small is copied into an array of its own size when it completes.</summary>
    public const int CompactLength = UploadMemoryPool.BlockSize / 4;

    private readonly RequestMemoryAccount _account;
    private readonly UploadMemoryPool _pool;
    private readonly List<byte[]> _blocks = [];
    private byte[]? _compacted;
    private long _reserved;
    private int _length;
    private ReadOnlySequence<byte>? _sequence;

    public MemoryBlockBuffer(RequestMemoryAccount account, UploadMemoryPool pool)
    {
        _account = account;
        _pool = pool;
    }

    /// <summary>Gets the bytes held.</summary>
    public int Length => _length;

    /// <summary>Gets the bytes of memory reserved for them.</summary>
    public long Reserved => _reserved;

    /// <summary>Appends <paramref name="data"/>, taking the blocks it needs, or nothing if they cannot be reserved.</summary>
    /// <returns><see langword="false"/> if the request's or the application's limit would be crossed; nothing was appended.</returns>
    public bool TryAppend(ReadOnlySpan<byte> data)
    {
        if (_compacted is not null || _sequence is not null)
        {
            throw new InvalidOperationException("The buffer is complete.");
        }

        var capacity = (long)_blocks.Count * UploadMemoryPool.BlockSize;
        var missing = _length + (long)data.Length - capacity;
        if (missing > 0)
        {
            var blocks = (int)((missing + UploadMemoryPool.BlockSize - 1) / UploadMemoryPool.BlockSize);
            var bytes = (long)blocks * UploadMemoryPool.BlockSize;
            if (_length + (long)data.Length > int.MaxValue || !_account.TryReserve(bytes))
            {
                return false;
            }

            _reserved += bytes;
            for (var i = 0; i < blocks; i++)
            {
                _blocks.Add(_pool.Rent());
            }
        }

        while (!data.IsEmpty)
        {
            var block = _blocks[_length / UploadMemoryPool.BlockSize];
            var at = _length % UploadMemoryPool.BlockSize;
            var count = Math.Min(data.Length, UploadMemoryPool.BlockSize - at);
            data[..count].CopyTo(block.AsSpan(at));
            data = data[count..];
            _length += count;
        }

        return true;
    }

    /// <summary>Copies the bytes held into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination)
    {
        if (_compacted is not null)
        {
            _compacted.CopyTo(destination);
            return;
        }

        for (int i = 0, copied = 0; copied < _length; i++)
        {
            var count = Math.Min(UploadMemoryPool.BlockSize, _length - copied);
            _blocks[i].AsSpan(0, count).CopyTo(destination[copied..]);
            copied += count;
        }
    }

    /// <summary>
    /// Ends the buffer: a small file moves into an array of its own length, giving its block back, so a form of many
    /// small files does not hold a block each.
    /// </summary>
    public void Complete()
    {
        if (_sequence is not null || _compacted is not null)
        {
            return;
        }

        if (_length <= CompactLength && _blocks.Count > 0)
        {
            var compacted = GC.AllocateUninitializedArray<byte>(_length);
            CopyTo(compacted);
            ReturnBlocks();
            _account.Release(_reserved - _length);
            _reserved = _length;
            _compacted = compacted;
        }

        _sequence = Build();
    }

    /// <summary>Gets how many blocks hold the bytes (before <see cref="Complete"/>).</summary>
    public int BlockCount => _blocks.Count;

    /// <summary>Gets the bytes block <paramref name="index"/> holds, without building a sequence.</summary>
    public ReadOnlyMemory<byte> Block(int index) =>
        _blocks[index].AsMemory(0, Math.Min(UploadMemoryPool.BlockSize, _length - (index * UploadMemoryPool.BlockSize)));

    /// <summary>Gets the bytes held as a sequence of the blocks; valid until <see cref="Release"/>.</summary>
    public ReadOnlySequence<byte> AsSequence() => _sequence ?? Build();

    /// <summary>Gives every block back to the pool and the reservation back to the request and the application.</summary>
    public void Release()
    {
        ReturnBlocks();
        _compacted = null;
        _sequence = ReadOnlySequence<byte>.Empty;
        _length = 0;
        if (_reserved != 0)
        {
            _account.Release(_reserved);
            _reserved = 0;
        }
    }

    private void ReturnBlocks()
    {
        foreach (var block in _blocks)
        {
            _pool.Return(block);
        }

        _blocks.Clear();
    }

    private ReadOnlySequence<byte> Build()
    {
        if (_compacted is not null)
        {
            return new ReadOnlySequence<byte>(_compacted);
        }

        if (_length <= UploadMemoryPool.BlockSize)
        {
            return _length == 0 ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_blocks[0], 0, _length);
        }

        var first = new BufferSegment(_blocks[0].AsMemory(0, UploadMemoryPool.BlockSize), 0);
        var last = first;
        for (int i = 1, start = UploadMemoryPool.BlockSize; start < _length; i++, start += UploadMemoryPool.BlockSize)
        {
            last = last.Append(_blocks[i].AsMemory(0, Math.Min(UploadMemoryPool.BlockSize, _length - start)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
