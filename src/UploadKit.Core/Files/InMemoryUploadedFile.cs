using System.Buffers;

namespace UploadKit;

/// <summary>
/// An uploaded file held in memory: Django's <c>InMemoryUploadedFile</c>. Created by <see cref="MemoryUploadHandler"/>
/// for files that stay under the memory limits, in pooled blocks that hold the file and no more.
/// </summary>
/// <remarks>
/// The memory goes back to a shared pool when the request ends. <see cref="Content"/> is a view of it: use it during
/// the request and do not keep it (copy the bytes instead). A stream from <see cref="OpenReadStream"/> may outlive the
/// request: the memory is released only once the request has ended and every such stream is disposed.
/// </remarks>
public sealed class InMemoryUploadedFile : UploadedFile
{
    private readonly MemoryBlockBuffer? _pooled;
    private readonly ReadOnlySequence<byte> _content;
    private int _references = 1;
    private int _disposed;

    /// <summary>Creates an in-memory file over <paramref name="content"/>, which the file then owns.</summary>
    /// <param name="header">The file's header.</param>
    /// <param name="content">The file's bytes.</param>
    public InMemoryUploadedFile(UploadFileHeader header, byte[] content)
        : base(header, (content ?? throw new ArgumentNullException(nameof(content))).Length)
    {
        _content = new ReadOnlySequence<byte>(content);
    }

    internal InMemoryUploadedFile(UploadFileHeader header, MemoryBlockBuffer pooled)
        : base(header, pooled.Length)
    {
        pooled.Complete();
        _pooled = pooled;
        _content = pooled.AsSequence();
    }

    /// <summary>
    /// Gets the file's bytes: a view of memory that is reused once the request ends, so do not keep it. A file larger
    /// than one pooled block is a sequence of several segments.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The request that received the file has ended.</exception>
    public ReadOnlySequence<byte> Content => Volatile.Read(ref _disposed) == 0 ? _content : throw Disposed();

    /// <inheritdoc />
    /// <remarks>The stream stays readable after the request ends, until it is disposed.</remarks>
    /// <exception cref="ObjectDisposedException">The request that received the file has ended.</exception>
    public override Stream OpenReadStream()
    {
        // The count holds the memory for the file and each open stream: taking a reference fails once it reached zero.
        int current;
        do
        {
            current = Volatile.Read(ref _references);
            if (current == 0 || Volatile.Read(ref _disposed) != 0)
            {
                throw Disposed();
            }
        }
        while (Interlocked.CompareExchange(ref _references, current + 1, current) != current);

        return new ContentStream(this, _content);
    }

    /// <inheritdoc />
    private protected override bool TryReadHead(Span<byte> head, out int read)
    {
        // A file whose request has ended takes the stream path, which fails as reading it always did.
        read = 0;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        var slice = _content.Slice(0, Math.Min(_content.Length, head.Length));
        slice.CopyTo(head);
        read = (int)slice.Length;
        return true;
    }

    /// <inheritdoc />
    protected override ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
        }

        return ValueTask.CompletedTask;
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _pooled?.Release();
        }
    }

    private static ObjectDisposedException Disposed() =>
        new(nameof(InMemoryUploadedFile), "The upload's memory was released when its request ended.");

    /// <summary>A read-only, seekable stream over the file's memory that holds the memory until it is disposed.</summary>
    private sealed class ContentStream(InMemoryUploadedFile owner, ReadOnlySequence<byte> content) : Stream, IBufferedContent
    {
        private InMemoryUploadedFile? _owner = owner;
        private long _position;

        public ReadOnlySequence<byte> Unread => Open().Slice(Math.Min(_position, content.Length));

        public override bool CanRead => _owner is not null;

        public override bool CanSeek => _owner is not null;

        public override bool CanWrite => false;

        public override long Length => Open().Length;

        public override long Position
        {
            get => _position;
            set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var remaining = Open().Length - _position;
            if (remaining <= 0 || buffer.IsEmpty)
            {
                return 0;
            }

            var count = (int)Math.Min(buffer.Length, remaining);
            content.Slice(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int ReadByte()
        {
            Span<byte> one = stackalloc byte[1];
            return Read(one) == 1 ? one[0] : -1;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            cancellationToken.IsCancellationRequested ? Task.FromCanceled<int>(cancellationToken) : Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<int>(cancellationToken) : ValueTask.FromResult(Read(buffer.Span));

        public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(destination);
            foreach (var segment in Open().Slice(Math.Min(_position, content.Length)))
            {
                await destination.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
                _position += segment.Length;
            }
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            var target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                SeekOrigin.End => Open().Length + offset,
                _ => throw new ArgumentOutOfRangeException(nameof(origin)),
            };
            Position = target;
            return target;
        }

        public void MarkRead() => _position = Math.Max(_position, Open().Length);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            Interlocked.Exchange(ref _owner, null)?.Release();
            base.Dispose(disposing);
        }

        private ReadOnlySequence<byte> Open() =>
            _owner is not null ? content : throw new ObjectDisposedException(nameof(InMemoryUploadedFile), "The stream is closed.");
    }
}
