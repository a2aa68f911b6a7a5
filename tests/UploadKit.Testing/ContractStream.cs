namespace UploadKit.Testing;

/// <summary>A non-seekable stream of known bytes that can fail or pause at a position, as a client's body does.</summary>
internal sealed class ContractStream(byte[] content, int failAt = -1, Task? pauseAt = null, int pausePosition = -1) : Stream
{
    private int _position;

    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (pauseAt is not null && _position >= pausePosition)
        {
            Reached.TrySetResult();
            await pauseAt.WaitAsync(cancellationToken);
        }

        if (failAt >= 0 && _position >= failAt)
        {
            throw new IOException("The client went away.");
        }

        var limit = failAt >= 0 ? Math.Min(content.Length, failAt) : content.Length;
        if (pauseAt is not null && _position < pausePosition)
        {
            limit = Math.Min(limit, pausePosition);
        }

        var count = Math.Min(Math.Min(buffer.Length, 65536), limit - _position);
        content.AsSpan(_position, count).CopyTo(buffer.Span);
        _position += count;
        return count;
    }
}
