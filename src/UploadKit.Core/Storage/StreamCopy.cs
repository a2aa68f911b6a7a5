namespace UploadKit;

/// <summary>Copies a stream into a file in writes of up to 1 MiB, whatever sizes the source's reads come in.</summary>
internal static class StreamCopy
{
    /// <summary>
    /// Copies <paramref name="source"/> to its end into <paramref name="destination"/>: a source that writes whole
    /// blocks of its own (a <see cref="MemoryStream"/> or the blocks of a streaming upload) copies itself; any other
    /// is read into a pooled buffer until it is full, so a source that returns a few KiB a read still costs one write
    /// per MiB, where a stream copy writes every read.
    /// </summary>
    public static async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        if (source is BlockHandOffStream or MemoryStream)
        {
            await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A short source known to fit takes a small block rather than a 1 MiB buffer.
        var pool = UploadMemoryPool.Shared;
        var buffer = source.CanSeek && source.Length - source.Position <= UploadMemoryPool.BlockSize ? pool.Rent() : pool.RentWriteBuffer();
        try
        {
            while (true)
            {
                var read = await source.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (read > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                if (read < buffer.Length)
                {
                    return;
                }
            }
        }
        finally
        {
            pool.Return(buffer);
        }
    }
}
