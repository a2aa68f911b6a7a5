namespace UploadKit;

/// <summary>
/// Keeps a file in memory while it stays within <see cref="UploadOptions.MemoryBufferThreshold"/> and the memory
/// limits of the request (<see cref="UploadOptions.MaxRequestMemoryBufferSize"/>) and of the application
/// (<see cref="UploadOptions.MaxProcessMemoryBufferSize"/>): Django's <c>MemoryFileUploadHandler</c>. A file that would
/// cross any of them is handed on to the next handler (by default <see cref="TemporaryFileUploadHandler"/>), bytes held
/// so far included, whatever length the client declared.
/// </summary>
/// <remarks>
/// The bytes are held in pooled 64 KiB blocks, so a file holds what it received plus at most one partly used block,
/// and a file of 16 KiB or less is moved into an array of its own length when it completes. No file holds more
/// than the threshold in memory.
/// </remarks>
public sealed class MemoryUploadHandler : UploadHandler
{
    private UploadFileHeader? _file;
    private MemoryBlockBuffer? _buffer;
    private MemoryBlockBuffer? _spilled;
    private bool _active;

    /// <inheritdoc />
    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        Release();
        _file = file;
        // A declared length over the threshold is believed only in the direction that costs nothing.
        _active = !(file.DeclaredLength > Context.Options.MemoryBufferThreshold);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        ReleaseSpill();
        if (!_active)
        {
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
        }

        var buffer = _buffer ??= new MemoryBlockBuffer(Context.Memory, UploadMemoryPool.Shared);
        if ((long)buffer.Length + chunk.Length <= Context.Options.MemoryBufferThreshold && buffer.TryAppend(chunk.Span))
        {
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);
        }

        // Spill: the threshold or a memory limit would be crossed. What is held goes on to the next handler first.
        _active = false;
        _buffer = null;
        if (buffer.Length == 0)
        {
            buffer.Release();
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
        }

        if (Context.SegmentedSpill)
        {
            // The reader passes the held blocks on one by one before the chunk (see TakeSpill): nothing is copied.
            _spilled = buffer;
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
        }

        // Driven by hand: the held bytes go on with the chunk as one block ending where the chunk ends.
        var joined = GC.AllocateUninitializedArray<byte>(buffer.Length + chunk.Length);
        buffer.CopyTo(joined);
        chunk.Span.CopyTo(joined.AsSpan(buffer.Length));
        buffer.Release();
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(joined);
    }

    /// <inheritdoc />
    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        ReleaseSpill();
        if (!_active || _file is null)
        {
            Release();
            return ValueTask.FromResult<UploadedFile?>(null);
        }

        UploadedFile file = _buffer is null
            ? new InMemoryUploadedFile(_file, [])
            : new InMemoryUploadedFile(_file, _buffer);
        _buffer = null;
        _file = null;
        _active = false;
        return ValueTask.FromResult<UploadedFile?>(file);
    }

    /// <inheritdoc />
    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        Release();
        _active = false;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    /// <inheritdoc />
    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    /// <summary>
    /// Hands the bytes held at a spill to the reader, which passes them to the next handlers before the chunk that
    /// caused the spill, and releases them afterwards.
    /// </summary>
    internal MemoryBlockBuffer? TakeSpill()
    {
        var spilled = _spilled;
        _spilled = null;
        return spilled;
    }

    private void ReleaseSpill()
    {
        _spilled?.Release();
        _spilled = null;
    }

    private void Release()
    {
        ReleaseSpill();
        _buffer?.Release();
        _buffer = null;
    }
}
