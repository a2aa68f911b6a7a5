namespace UploadKit;

/// <summary>
/// Hands whole blocks of a file from the handler that fills them to the storage that reads them as a stream, at most
/// a fixed number of blocks ahead of the reader. A storage that copies the stream (<see cref="CopyToAsync"/>) writes
/// each block as it came, one write per block with no copy; a storage that reads it gets the blocks' bytes. A block
/// goes back to <see cref="UploadMemoryPool"/> once the reader is past it.
/// </summary>
/// <remarks>
/// One writer (<see cref="WriteAsync(byte[], int, CancellationToken)"/>, <see cref="Complete"/>, <see cref="Abort"/>)
/// and one reader (the stream's members) may run at once. The reader ends with <see cref="Dispose(bool)"/>, which gives
/// back every block it did not take and stops the writer from waiting.
/// </remarks>
internal sealed class BlockHandOffStream : Stream, IWholeBlockSource
{
    private readonly Lock _lock = new();
    private readonly Queue<(byte[] Block, int Count)> _ready = new();
    private readonly int _maxPending;
    private int _pending;
    private bool _completed;
    private bool _readerDone;
    private long _unread;
    private Exception? _abort;
    private TaskCompletionSource? _readerWaiting;
    private TaskCompletionSource? _writerWaiting;
    private byte[]? _current;
    private int _currentCount;
    private int _currentOffset;

    /// <summary>Creates a hand-off that lets the writer get <paramref name="maxPending"/> blocks ahead of the reader.</summary>
    /// <param name="maxPending">How many blocks may be handed over and not yet read, the one being read included.</param>
    public BlockHandOffStream(int maxPending)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 1);
        _maxPending = maxPending;
    }

    /// <summary>Gets the bytes handed over that the reader never took, known once the reader ended.</summary>
    public long UnreadBytes
    {
        get
        {
            lock (_lock)
            {
                return _unread;
            }
        }
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Hands a filled block of the pool over to the reader, waiting while <c>maxPending</c> blocks are ahead of it. The
    /// block belongs to the hand-off from now on, whatever the outcome.
    /// </summary>
    /// <returns><see langword="false"/> if the reader has ended, so the block will never be read.</returns>
    public async ValueTask<bool> WriteAsync(byte[] block, int count, CancellationToken cancellationToken)
    {
        // An empty block would read as the end of the file.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        try
        {
            while (true)
            {
                Task room;
                lock (_lock)
                {
                    if (_readerDone)
                    {
                        break;
                    }

                    if (_pending < _maxPending)
                    {
                        _pending++;
                        _ready.Enqueue((block, count));
                        Wake(ref _readerWaiting);
                        return true;
                    }

                    room = (_writerWaiting ??= NewSignal()).Task;
                }

                await room.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            UploadMemoryPool.Shared.Return(block);
            throw;
        }

        UploadMemoryPool.Shared.Return(block);
        return false;
    }

    /// <summary>Tells the reader the file ended after the blocks handed over.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            Wake(ref _readerWaiting);
        }
    }

    /// <summary>Makes the reader's next read fail with <paramref name="reason"/>: the file will not be whole.</summary>
    public void Abort(Exception reason)
    {
        lock (_lock)
        {
            _abort = reason;
            Wake(ref _readerWaiting);
        }
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || (_current is null && !await NextBlockAsync(cancellationToken).ConfigureAwait(false)))
        {
            return 0;
        }

        var count = Math.Min(buffer.Length, _currentCount - _currentOffset);
        _current!.AsSpan(_currentOffset, count).CopyTo(buffer.Span);
        _currentOffset += count;
        if (_currentOffset == _currentCount)
        {
            ReleaseCurrent();
        }

        return count;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    /// <remarks>Writes every block with one write of its own bytes: no copy, and as few writes as blocks.</remarks>
    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        while (_current is not null || await NextBlockAsync(cancellationToken).ConfigureAwait(false))
        {
            await destination.WriteAsync(_current.AsMemory(_currentOffset, _currentCount - _currentOffset), cancellationToken).ConfigureAwait(false);
            ReleaseCurrent();
        }
    }

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Ends the reader: the blocks it did not take go back to the pool, and the writer stops waiting.</summary>
    protected override void Dispose(bool disposing)
    {
        lock (_lock)
        {
            if (!_readerDone)
            {
                _readerDone = true;
                if (_current is not null)
                {
                    _unread += _currentCount - _currentOffset;
                    UploadMemoryPool.Shared.Return(_current);
                    _current = null;
                }

                while (_ready.TryDequeue(out var ready))
                {
                    _unread += ready.Count;
                    UploadMemoryPool.Shared.Return(ready.Block);
                }

                _pending = 0;
                Wake(ref _writerWaiting);
            }
        }

        base.Dispose(disposing);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void Wake(ref TaskCompletionSource? waiting)
    {
        waiting?.SetResult();
        waiting = null;
    }

    /// <summary>Waits for the next block and makes it the current one.</summary>
    /// <returns><see langword="false"/> once the file ended.</returns>
    private async ValueTask<bool> NextBlockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task next;
            lock (_lock)
            {
                if (_abort is not null)
                {
                    throw new OperationCanceledException("The file was abandoned before it ended.", _abort);
                }

                ObjectDisposedException.ThrowIf(_readerDone, this);
                if (_ready.TryDequeue(out var ready))
                {
                    (_current, _currentCount) = ready;
                    _currentOffset = 0;
                    return true;
                }

                if (_completed)
                {
                    return false;
                }

                next = (_readerWaiting ??= NewSignal()).Task;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives the block read to its end back to the pool, making room for the writer's next one.</summary>
    private void ReleaseCurrent()
    {
        lock (_lock)
        {
            if (_current is null)
            {
                return;
            }

            UploadMemoryPool.Shared.Return(_current);
            _current = null;
            _pending--;
            Wake(ref _writerWaiting);
        }
    }
}
