namespace UploadKit;

/// <summary>
/// Keeps a file in memory while it stays within <see cref="UploadOptions.MemoryBufferThreshold"/> (in a request declared
/// longer than that, <see cref="UploadOptions.LargeRequestMemoryBufferThreshold"/>) and the memory
/// limits of the request (<see cref="UploadOptions.MaxRequestMemoryBufferSize"/>) and of the application
/// (<see cref="UploadOptions.MaxProcessMemoryBufferSize"/>): Django's <c>MemoryFileUploadHandler</c>. A file that would
/// cross any of them is handed on to the next handler (by default <see cref="TemporaryFileUploadHandler"/>), bytes held
/// so far included, whatever length the client declared.
/// </summary>
/// <remarks>
/// <para>
/// The bytes are held in pooled 64 KiB blocks, so a file holds what it received plus at most one partly used block,
/// and a file of 16 KiB or less is moved into an array of its own length when it completes. No file holds more
/// than the threshold in memory.
/// </para>
/// <para>
/// Derive from it to build a handler of your own on it, as Django's handlers are subclassed: override
/// <see cref="GetMemoryThreshold"/> to choose per file how much may stay in memory, or override a hook, call the base
/// method and work with what it returns (the <see cref="InMemoryUploadedFile"/> of <see cref="FileCompleteAsync"/>).
/// An override of <see cref="ReceiveChunkAsync"/> must return what the base method returned.
/// </para>
/// </remarks>
public class MemoryUploadHandler : UploadHandler
{
    private UploadFileHeader? _file;
    private MemoryBlockBuffer? _buffer;
    private MemoryBlockBuffer? _spilled;
    private bool _active;
    private long _threshold;

    /// <inheritdoc />
    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        Release();
        _file = file;
        // A declared length over the threshold is believed only in the direction that costs nothing.
        _threshold = GetMemoryThreshold(file);
        _active = _threshold >= 0 && !(file.DeclaredLength > _threshold);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Chooses how many bytes of <paramref name="file"/> may stay in memory before it is handed on to the next handler.
    /// The request's and the application's memory limits apply as well. The default is
    /// <see cref="UploadOptions.MemoryBufferThreshold"/> of the request, or the smaller
    /// <see cref="UploadOptions.LargeRequestMemoryBufferThreshold"/> when the request declares a longer body.
    /// </summary>
    /// <param name="file">The file that starts.</param>
    /// <returns>The most bytes the file may hold in memory; a negative value hands the whole file on.</returns>
    protected virtual long GetMemoryThreshold(UploadFileHeader file)
    {
        var options = Context.Options;
        long threshold = options.MemoryBufferThreshold;
        return Context.ContentLength > threshold ? Math.Min(threshold, options.LargeRequestMemoryBufferThreshold) : threshold;
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
        if ((long)buffer.Length + chunk.Length <= _threshold && buffer.TryAppend(chunk.Span))
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
