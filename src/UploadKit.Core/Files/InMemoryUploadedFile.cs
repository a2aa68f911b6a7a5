using System.Buffers;

namespace UploadKit;

/// <summary>
/// An uploaded file held in pooled memory: Django's <c>InMemoryUploadedFile</c>. Created by
/// <see cref="MemoryUploadHandler"/> for files that stay under the memory threshold.
/// </summary>
public sealed class InMemoryUploadedFile : UploadedFile
{
    private byte[]? _buffer;
    private readonly bool _pooled;

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

    /// <summary>Gets the file's bytes.</summary>
    /// <exception cref="ObjectDisposedException">The request that received the file has ended.</exception>
    public ReadOnlyMemory<byte> Content => Buffer.AsMemory(0, (int)Length);

    private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(InMemoryUploadedFile), "The upload's memory was released when its request ended.");

    /// <inheritdoc />
    public override Stream OpenReadStream() => new MemoryStream(Buffer, 0, (int)Length, writable: false);

    /// <inheritdoc />
    protected override ValueTask DisposeAsyncCore()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && _pooled)
        {
            UploadBufferPool.Shared.Return(buffer);
        }

        return ValueTask.CompletedTask;
    }
}
