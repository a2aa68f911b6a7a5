using System.Buffers;

namespace UploadKit.Benchmarks;

/// <summary>
/// The raw ceiling's writer: bytes are gathered in pooled 1 MiB buffers and written with asynchronous
/// <see cref="FileStream"/> writes (<see cref="FileOptions.Asynchronous"/> | <see cref="FileOptions.SequentialScan"/>,
/// no stream buffer), one write in flight while the next buffer fills.
/// </summary>
internal sealed class FileSink : IAsyncDisposable
{
    public const int BufferSize = 1024 * 1024;

    private readonly FileStream _stream;
    private readonly bool _randomAccess;
    private long _position;
    private byte[] _filling;
    private byte[] _spare;
    private int _filled;
    private Task? _writing;

    public FileSink(string path, bool randomAccess = false)
    {
        _randomAccess = randomAccess;
        _stream = CreateFile(path);
        _filling = ArrayPool<byte>.Shared.Rent(BufferSize);
        _spare = ArrayPool<byte>.Shared.Rent(BufferSize);
    }

    public long Length { get; private set; }

    /// <summary>
    /// Creates a new file for asynchronous writes with no stream buffer, as every storing variant of the benchmark
    /// writes its files.
    /// </summary>
    public static FileStream CreateFile(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.Read | FileShare.Delete,
        Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        BufferSize = 0,
    });

    /// <summary>Copies <paramref name="data"/> into the filling buffer, writing each buffer that fills.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var count = Math.Min(data.Length, BufferSize - _filled);
            data.Span[..count].CopyTo(_filling.AsSpan(_filled));
            _filled += count;
            Length += count;
            data = data[count..];
            if (_filled == BufferSize)
            {
                await FlushAsync(cancellationToken);
            }
        }
    }

    /// <summary>Reads <paramref name="source"/> to its end straight into the filling buffers.</summary>
    public async ValueTask ReadFromAsync(Stream source, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await source.ReadAsync(_filling.AsMemory(_filled, BufferSize - _filled), cancellationToken);
            if (read == 0)
            {
                return;
            }

            _filled += read;
            Length += read;
            if (_filled == BufferSize)
            {
                await FlushAsync(cancellationToken);
            }
        }
    }

    /// <summary>Writes what is left and waits for every write.</summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken);
        await WaitAsync();
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_filled == 0)
        {
            return;
        }

        await WaitAsync();
        var full = _filling;
        var count = _filled;
        _filling = _spare;
        _spare = full;
        _filled = 0;
        if (_randomAccess)
        {
            _writing = RandomAccess.WriteAsync(_stream.SafeFileHandle, full.AsMemory(0, count), _position, cancellationToken).AsTask();
            _position += count;
        }
        else
        {
            _writing = _stream.WriteAsync(full.AsMemory(0, count), cancellationToken).AsTask();
        }
    }

    private async ValueTask WaitAsync()
    {
        var writing = _writing;
        if (writing is not null)
        {
            _writing = null;
            await writing;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await WaitAsync();
        }
        finally
        {
            await _stream.DisposeAsync();
            ArrayPool<byte>.Shared.Return(_filling);
            ArrayPool<byte>.Shared.Return(_spare);
        }
    }
}
