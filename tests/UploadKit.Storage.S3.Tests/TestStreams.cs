using System.Security.Cryptography;

namespace UploadKit.Storage.S3.Tests;

/// <summary>
/// A non-seekable stream of <c>length</c> deterministic pseudo-random bytes, of unknown length to its reader,
/// that hashes what it hands out, can fail after <c>failAfter</c> bytes, and can sample live managed memory.
/// </summary>
internal sealed class GeneratedStream(long length, int seed = 1, long? failAfter = null, long sampleEvery = 0) : Stream
{
    private readonly Random _random = new(seed);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;
    private long _nextSample;

    public long PeakLiveBytes { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public string Sha256 => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (failAfter is { } limit && _position >= limit)
        {
            throw new IOException("The client went away.");
        }

        var n = (int)Math.Min(buffer.Length, length - _position);
        if (failAfter is { } stop)
        {
            n = (int)Math.Min(n, Math.Max(stop - _position, 0));
        }

        _random.NextBytes(buffer[..n]);
        _hash.AppendData(buffer[..n]);
        _position += n;
        if (sampleEvery > 0 && _position >= _nextSample + sampleEvery)
        {
            _nextSample += sampleEvery;
            PeakLiveBytes = Math.Max(PeakLiveBytes, GC.GetTotalMemory(forceFullCollection: true));
        }

        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}
