using System.Diagnostics;

namespace UploadKit;

/// <summary>
/// The pool of fixed-size blocks that files held in memory are made of, and of the temporary-file handler's 1 MiB write
/// buffers. Every block has the same size, so a file holds at most one partly used block and any returned block fits
/// the next file. Blocks are ordinary arrays under the large-object size, so the collector can compact around them:
/// pinned blocks left the heap fragmented after a burst. Write buffers come from here rather than
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>, which keeps an unused array for a minute.
/// </summary>
/// <remarks>
/// The pool keeps at most <see cref="MaxRetainedBytes"/> of free blocks; more are left to the collector at once.
/// After a burst, a pool that saw no rent for one to two <see cref="IdleTrimInterval"/>s drops every free block, and
/// when the blocks dropped since the last full collection add up to <see cref="CollectAfterDroppedBytes"/> or more,
/// it runs one aggressive full collection (<see cref="GCCollectionMode.Aggressive"/>), which compacts the heap and
/// decommits its free memory: an idle server runs no collection of its own, and the collector otherwise keeps the
/// memory of a burst committed for the next one. Measured with <c>bench/</c>'s <c>memory</c> mode.
/// </remarks>
internal sealed class UploadMemoryPool : IDisposable
{
    /// <summary>The size of every block: 64 KiB.</summary>
    public const int BlockSize = 64 * 1024;

    /// <summary>
    /// The most bytes of free blocks the shared pool keeps: 512 MiB, twice the default application budget. While uploads
    /// run, every block that comes back is reused rather than left to the collector, so back-to-back bursts do not pile
    /// up garbage; the pool never holds more than the most blocks in use at once, and drops them all when idle.
    /// </summary>
    public const long MaxRetainedBytes = 512L * 1024 * 1024;

    /// <summary>How many dropped bytes make an idle pool ask for a full collection: 16 MiB.</summary>
    public const long CollectAfterDroppedBytes = 16L * 1024 * 1024;

    /// <summary>How long the pool waits without a rent before it drops its free blocks.</summary>
    public static readonly TimeSpan IdleTrimInterval = TimeSpan.FromSeconds(5);

    /// <summary>The size of the temporary-file handler's write buffers: 1 MiB, one write each.</summary>
    public const int WriteBufferSize = 1024 * 1024;

    /// <summary>The most bytes of free write buffers the shared pool keeps: 64 MiB.</summary>
    public const long MaxRetainedWriteBufferBytes = 64L * 1024 * 1024;

    private readonly Bucket _blocks;
    private readonly Bucket _writeBuffers;
    private readonly Timer? _timer;
    private long _rents;
    private long _rentsAtLastTick;
    private long _dropped;
    private int _gen2Seen;

    public UploadMemoryPool(long maxRetainedBytes, TimeSpan? idleTrimInterval, long maxRetainedWriteBufferBytes = MaxRetainedWriteBufferBytes)
    {
        _blocks = new Bucket(BlockSize, maxRetainedBytes);
        _writeBuffers = new Bucket(WriteBufferSize, maxRetainedWriteBufferBytes);
        if (idleTrimInterval is { } interval)
        {
            _timer = new Timer(static state => ((UploadMemoryPool)state!).TrimIfIdle(), this, interval, interval);
        }
    }

    /// <summary>Gets the process's pool.</summary>
    public static UploadMemoryPool Shared { get; } = new(MaxRetainedBytes, IdleTrimInterval);

    /// <summary>Gets the bytes of free blocks and write buffers the pool holds now.</summary>
    public long RetainedBytes => _blocks.RetainedBytes + _writeBuffers.RetainedBytes;

    /// <summary>Gets a block of <see cref="BlockSize"/>, reused or new. Its content is whatever the last user left.</summary>
    public byte[] Rent()
    {
        Interlocked.Increment(ref _rents);
        return _blocks.Rent();
    }

    /// <summary>
    /// Gets a write buffer of <see cref="WriteBufferSize"/>, reused or new: a file is written in 1 MiB writes of one
    /// buffer each, which costs the runtime nothing per write, where a vectored write of blocks allocates.
    /// </summary>
    public byte[] RentWriteBuffer()
    {
        Interlocked.Increment(ref _rents);
        return _writeBuffers.Rent();
    }

    /// <summary>Gives a block or a write buffer back; it is kept for the next rent while the pool holds fewer than its limit.</summary>
    public void Return(byte[] array)
    {
        var bucket = array.Length == BlockSize ? _blocks : _writeBuffers;
        Debug.Assert(array.Length == bucket.Size, "Only the pool's own arrays come back.");
        if (!bucket.TryKeep(array))
        {
            Interlocked.Add(ref _dropped, array.Length);
        }
    }

    /// <summary>Drops every free block and write buffer; the collector reclaims them.</summary>
    /// <returns>The bytes dropped.</returns>
    public long Trim()
    {
        var bytes = _blocks.Clear() + _writeBuffers.Clear();
        Interlocked.Add(ref _dropped, bytes);
        return bytes;
    }

    /// <summary>
    /// Runs on the timer: drops the free blocks of a pool that saw no rent since the last tick, and asks for a full
    /// collection when enough was dropped since the last one.
    /// </summary>
    /// <returns><see langword="true"/> if a collection was asked for.</returns>
    internal bool TrimIfIdle()
    {
        var gen2 = GC.CollectionCount(GC.MaxGeneration);
        if (gen2 != Interlocked.Exchange(ref _gen2Seen, gen2))
        {
            // A full collection ran since the last tick: what was dropped before it is gone already.
            Interlocked.Exchange(ref _dropped, 0);
        }

        var rents = Interlocked.Read(ref _rents);
        if (rents != Interlocked.Exchange(ref _rentsAtLastTick, rents))
        {
            return false;
        }

        Trim();
        if (Interlocked.Read(ref _dropped) < CollectAfterDroppedBytes)
        {
            return false;
        }

        Interlocked.Exchange(ref _dropped, 0);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Exchange(ref _gen2Seen, GC.CollectionCount(GC.MaxGeneration));
        return true;
    }

    public void Dispose() => _timer?.Dispose();

    /// <summary>Free arrays of one size.</summary>
    private sealed class Bucket(int size, long maxRetainedBytes)
    {
        private readonly Stack<byte[]> _free = new();
        private readonly int _maxFree = (int)Math.Clamp(maxRetainedBytes / size, 0, int.MaxValue);

        public int Size => size;

        public long RetainedBytes
        {
            get
            {
                lock (_free)
                {
                    return (long)_free.Count * size;
                }
            }
        }

        public byte[] Rent()
        {
            lock (_free)
            {
                if (_free.TryPop(out var array))
                {
                    return array;
                }
            }

            return GC.AllocateUninitializedArray<byte>(size);
        }

        public bool TryKeep(byte[] array)
        {
            lock (_free)
            {
                if (_free.Count < _maxFree)
                {
                    _free.Push(array);
                    return true;
                }
            }

            return false;
        }

        public long Clear()
        {
            lock (_free)
            {
                var bytes = (long)_free.Count * size;
                _free.Clear();
                return bytes;
            }
        }
    }
}
