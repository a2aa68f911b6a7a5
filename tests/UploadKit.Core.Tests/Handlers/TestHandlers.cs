namespace UploadKit.Tests.Handlers;

/// <summary>Counts bytes and passes them on: the smallest custom handler, using only the public API.</summary>
public sealed class ByteCounter : UploadHandler
{
    public long Total { get; private set; }

    public List<string> Events { get; } = [];

    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        Events.Add("new:" + file.FileName);
        return ValueTask.CompletedTask;
    }

    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        Assert.That(offset, Is.EqualTo(Total), "offsets are contiguous");
        Total += chunk.Length;
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }

    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        Events.Add("complete:" + size);
        return ValueTask.FromResult<UploadedFile?>(null);
    }

    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        Events.Add("skipped");
        return ValueTask.CompletedTask;
    }

    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken)
    {
        Events.Add("upload-complete");
        return ValueTask.CompletedTask;
    }

    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken)
    {
        Events.Add("interrupted");
        return ValueTask.CompletedTask;
    }
}

/// <summary>Refuses any file over a size the moment it is crossed, mid-stream.</summary>
public sealed class MaxBytesHandler(long limit) : UploadHandler
{
    private long _received;

    public long Received => _received;

    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        _received = 0;
        return ValueTask.CompletedTask;
    }

    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        _received += chunk.Length;
        if (_received > limit)
        {
            throw new UploadRejectedException(413, $"{Context.CurrentFile!.FileName} is larger than {limit} bytes.");
        }

        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }
}

/// <summary>Throws a control signal at a chosen hook.</summary>
public sealed class SignalHandler(Exception signal, bool onNewFile, string? onlyFor = null) : UploadHandler
{
    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        if (onNewFile && (onlyFor is null || onlyFor == file.FileName))
        {
            throw signal;
        }

        return ValueTask.CompletedTask;
    }

    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (!onNewFile && (onlyFor is null || onlyFor == Context.CurrentFile!.FileName))
        {
            throw signal;
        }

        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }
}

/// <summary>Keeps every chunk it sees, to check the chunk-lifetime contract: built-in handlers must not keep them.</summary>
public sealed class ChunkRecorder : UploadHandler
{
    public List<(ReadOnlyMemory<byte> Chunk, byte[] Copy)> Seen { get; } = [];

    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        Seen.Add((chunk, chunk.ToArray()));
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }
}
