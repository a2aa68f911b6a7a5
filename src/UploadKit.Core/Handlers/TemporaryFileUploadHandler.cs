using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;

namespace UploadKit;

/// <summary>
/// Streams a file to a temporary file in <see cref="UploadOptions.TempFileDirectory"/>: Django's
/// <c>TemporaryFileUploadHandler</c>. Writes are asynchronous and batched in 1 MiB buffers, the next buffer filling
/// while the previous one is written; the buffers come from the pool in-memory files use, which gives them back to the
/// system after a burst. The temporary file is created at the first byte and
/// deleted when the request ends, unless the file was moved into storage first.
/// </summary>
/// <remarks>
/// Derive from it to build a handler of your own on it, as Django's handlers are subclassed: override a hook, call the
/// base method, and use <see cref="TemporaryFilePath"/> while the file is written (to feed a scanner or a preview) or
/// the <see cref="TemporaryUploadedFile"/> that <see cref="FileCompleteAsync"/> returns. An override of
/// <see cref="ReceiveChunkAsync"/> must return what the base method returned.
/// </remarks>
public class TemporaryFileUploadHandler : UploadHandler
{
    private UploadFileHeader? _file;
    private FileStream? _stream;
    private SafeFileHandle? _handle;
    private string? _path;
    private byte[]? _filling;
    private int _filled;
    private byte[]? _writingBuffer;
    private ValueTask _writing;
    private bool _isWriting;
    private long _written;
    private int _writingCount;

    /// <summary>
    /// Gets the path of the current file's temporary file, from <see cref="NewFileAsync"/> on until the file completes
    /// (its path then is <see cref="UploadedFile.TemporaryFilePath"/> of the returned file) or is discarded; otherwise
    /// <see langword="null"/>. The file itself is created when its first byte reaches this handler, and holds the
    /// bytes up to <see cref="BytesWritten"/>; nothing is created for a file an earlier handler keeps.
    /// </summary>
    /// <remarks>The path is chosen when first asked for or at the first byte, so files kept in memory cost nothing here.</remarks>
    public string? TemporaryFilePath => _handle is not null ? _path : _file is null ? null : _path ??= TemporaryFiles.NewPath(Context.Options);

    /// <summary>Gets how many bytes of the current file are written to <see cref="TemporaryFilePath"/> so far.</summary>
    public long BytesWritten => _handle is null ? 0 : _written - (_isWriting ? _writingCount : 0);

    /// <inheritdoc />
    public override async ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        await DiscardAsync().ConfigureAwait(false);
        _file = file;
    }

    /// <inheritdoc />
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
        ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (_handle is null)
        {
            Open();
        }

        while (!chunk.IsEmpty)
        {
            _filling ??= UploadMemoryPool.Shared.RentWriteBuffer();
            var count = Math.Min(chunk.Length, _filling.Length - _filled);
            chunk.Span[..count].CopyTo(_filling.AsSpan(_filled));
            _filled += count;
            chunk = chunk[count..];
            if (_filled == _filling.Length)
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override async ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        var file = _file;
        if (file is null)
        {
            return null;
        }

        if (_handle is null)
        {
            // No bytes reached this handler: an empty file, or one another handler kept.
            if (size != 0)
            {
                _file = null;
                _path = null;
                return null;
            }

            Open();
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await WaitForWriteAsync().ConfigureAwait(false);
        var path = _path!;
        var written = _written;
        await CloseAsync().ConfigureAwait(false);
        _path = null;
        _file = null;
        return new TemporaryUploadedFile(file, path, written);
    }

    /// <inheritdoc />
    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken) => DiscardAsync();

    /// <inheritdoc />
    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => DiscardAsync();

    /// <inheritdoc />
    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => DiscardAsync();

    private void Open()
    {
        _path ??= TemporaryFiles.NewPath(Context.Options);
        _stream = TemporaryFiles.Create(_path, Context.Options);
        _handle = _stream.SafeFileHandle;
        _written = 0;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_filled == 0)
        {
            return;
        }

        await WaitForWriteAsync().ConfigureAwait(false);
        var buffer = _filling!;
        var count = _filled;
        var position = _written;
        _written += count;
        _filling = _writingBuffer;
        _filled = 0;
        _writingBuffer = buffer;
        _writingCount = count;
        _writing = RandomAccess.WriteAsync(_handle!, buffer.AsMemory(0, count), position, cancellationToken);
        _isWriting = true;
    }

    /// <summary>Awaits the write in flight, once: the buffer it writes may then be filled again.</summary>
    private ValueTask WaitForWriteAsync()
    {
        if (!_isWriting)
        {
            return ValueTask.CompletedTask;
        }

        _isWriting = false;
        var writing = _writing;
        _writing = default;
        return writing;
    }

    private async ValueTask CloseAsync()
    {
        try
        {
            await WaitForWriteAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_stream is not null)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }

            _stream = null;
            _handle = null;
            ReturnBuffers();
        }
    }

    private async ValueTask DiscardAsync()
    {
        // A path is only reserved until the first byte: there is a file to delete once the handler opened one.
        var path = _handle is null ? null : _path;
        _path = null;
        _file = null;
        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        catch (Exception) when (path is not null)
        {
            // The write that failed is why we are discarding; the file goes either way.
        }
        finally
        {
            if (path is not null)
            {
                TemporaryFiles.TryDelete(path);
            }
        }
    }

    private void ReturnBuffers()
    {
        if (_filling is not null)
        {
            UploadMemoryPool.Shared.Return(_filling);
            _filling = null;
        }

        if (_writingBuffer is not null)
        {
            UploadMemoryPool.Shared.Return(_writingBuffer);
            _writingBuffer = null;
        }

        _filled = 0;
    }
}
