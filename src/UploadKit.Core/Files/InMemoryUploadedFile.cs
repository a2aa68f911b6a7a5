using System.Buffers;

namespace UploadKit;

/// <summary>
/// An uploaded file held in pooled memory: Django's <c>InMemoryUploadedFile</c>. Created by
/// <see cref="MemoryUploadHandler"/> for files that stay under the memory threshold.
/// </summary>
/// <remarks>
/// The memory goes back to a shared pool when the request ends. <see cref="Content"/> is a view of it: use it during
/// the request and do not keep it (copy the bytes instead). A stream from <see cref="OpenReadStream"/> may outlive the
/// request: the memory is released only once the request has ended and every such stream is disposed.
/// </remarks>
public sealed class InMemoryUploadedFile : UploadedFile
{
    private readonly bool _pooled;
    private byte[]? _buffer;
    private int _references = 1;
    private int _disposed;

    /// <summary>Creates an in-memory file over <paramref name="content"/>, which the file then owns.</summary>
    /// <param name="header">The file's header.</param>
    /// <param name="content">The file's bytes.</param>
    public InMemoryUploadedFile(UploadFileHeader header, byte[] content)
        : base(header, (content ?? throw new ArgumentNullException(nameof(content))).Length)
    {
        _buffer = content;
    }

    internal InMemoryUploadedFile(UploadFileHeader header, byte[] pooledBuffer, int length)
        : base(header, length)
    {
        _buffer = pooledBuffer;
        _pooled = true;
    }

    /// <summary>Gets the file's bytes: a view of memory that is reused once the request ends, so do not keep it.</summary>
    /// <exception cref="ObjectDisposedException">The request that received the file has ended.</exception>
    public ReadOnlyMemory<byte> Content =>
        Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _buffer) is { } buffer ? buffer.AsMemory(0, (int)Length) : throw Disposed();

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

        return new ContentStream(this, _buffer!, (int)Length);
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
            var buffer = Interlocked.Exchange(ref _buffer, null);
            if (buffer is not null && _pooled)
            {
                UploadBufferPool.Shared.Return(buffer);
            }
        }
    }

    private static ObjectDisposedException Disposed() =>
        new(nameof(InMemoryUploadedFile), "The upload's memory was released when its request ended.");

    /// <summary>A read-only stream over the file's memory that holds the memory until it is disposed.</summary>
    private sealed class ContentStream(InMemoryUploadedFile owner, byte[] buffer, int length) : MemoryStream(buffer, 0, length, writable: false)
    {
        private InMemoryUploadedFile? _owner = owner;

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            Interlocked.Exchange(ref _owner, null)?.Release();
        }
    }
}
