using System.Security.Cryptography;

namespace UploadKit.Storage.Azure.Tests;

/// <summary>Deterministic test content of any length, produced on the fly so large uploads need no large buffers.</summary>
internal sealed class PatternStream : Stream
{
    private readonly long _length;
    private readonly bool _canSeek;
    private readonly Func<Task>? _atEnd;
    private readonly long? _failAt;
    private ulong _state;
    private long _position;
    private bool _endReached;

    /// <param name="length">How many bytes the stream yields.</param>
    /// <param name="seed">Selects the byte pattern.</param>
    /// <param name="canSeek">Whether the stream may be rewound (to its start only).</param>
    /// <param name="failAt">Throws an <see cref="IOException"/> once this many bytes were read.</param>
    /// <param name="atEnd">Runs once, when the end is first reached.</param>
    public PatternStream(long length, int seed, bool canSeek = false, long? failAt = null, Func<Task>? atEnd = null)
    {
        _length = length;
        _canSeek = canSeek;
        _failAt = failAt;
        _atEnd = atEnd;
        Seed = seed;
        _state = InitialState(seed);
    }

    public int Seed { get; }

    public override bool CanRead => true;

    public override bool CanSeek => _canSeek;

    public override bool CanWrite => false;

    public override long Length => _canSeek ? _length : throw new NotSupportedException();

    public override long Position
    {
        get => _canSeek ? _position : throw new NotSupportedException();
        set
        {
            if (!_canSeek || value != 0)
            {
                throw new NotSupportedException("This stream rewinds to its start only.");
            }

            _position = 0;
            _state = InitialState(Seed);
        }
    }

    public static byte[] Sha256(long length, int seed)
    {
        using var stream = new PatternStream(length, seed);
        return SHA256.HashData(stream);
    }

    public static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        using var stream = new PatternStream(length, seed);
        stream.ReadExactly(bytes);
        return bytes;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_failAt is { } failAt && _position >= failAt)
        {
            throw new IOException("The source failed.");
        }

        var count = (int)Math.Min(buffer.Length, _length - _position);
        if (_failAt is { } limit)
        {
            count = (int)Math.Min(count, limit - _position);
        }

        for (var i = 0; i < count; i++)
        {
            _state ^= _state << 13;
            _state ^= _state >> 7;
            _state ^= _state << 17;
            buffer[i] = (byte)_state;
        }

        _position += count;
        return count;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var read = Read(buffer.Span);
        if (read == 0 && buffer.Length > 0 && !_endReached)
        {
            _endReached = true;
            if (_atEnd is not null)
            {
                await _atEnd();
            }
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private static ulong InitialState(int seed) => 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed * 0xBF58476D1CE4E5B9UL | 1;
}
