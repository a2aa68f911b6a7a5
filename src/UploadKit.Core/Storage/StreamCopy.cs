using System.Buffers;

namespace UploadKit;

/// <summary>Copies a stream into a file in writes of up to 1 MiB, whatever sizes the source's reads come in.</summary>
internal static class StreamCopy
{
    /// <summary>The size of the buffer a copy reads into, and so of its writes: 1 MiB.</summary>
    public const int BufferSize = 1024 * 1024;

    /// <summary>
    /// Copies <paramref name="source"/> to its end into <paramref name="destination"/>: a source that writes whole
    /// blocks of its own (a <see cref="MemoryStream"/> or an <see cref="IWholeBlockSource"/>) copies itself; any other
    /// is read into a pooled buffer until it is full, so a source that returns a few KiB a read still costs one write
    /// per MiB, where a stream copy writes every read.
    /// </summary>
    public static async Task CopyAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        if (source is IWholeBlockSource or MemoryStream)
        {
            await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A source known to be short takes a buffer of its size.
        var size = source.CanSeek ? (int)Math.Clamp(source.Length - source.Position, 1, BufferSize) : BufferSize;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            while (true)
            {
                var read = await source.ReadAtLeastAsync(buffer.AsMemory(0, size), size, throwOnEndOfStream: false, cancellationToken)
                    .ConfigureAwait(false);
                if (read > 0)
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                if (read < size)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
