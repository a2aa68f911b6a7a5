namespace UploadKit.Tests.Storage;

public class StreamCopyTests : TempDirectoryTests
{
    [Test]
    public async Task CopyAsync_SourceReadingFewBytesAtATime_WritesWholeMebibytes()
    {
        var content = RandomBytes((3 * 1024 * 1024) + 5);
        using var destination = new WriteCountingStream();

        await StreamCopy.CopyAsync(new TrickleStream(content, 4096), destination, CancellationToken.None);

        Assert.That(destination.ToArray(), Is.EqualTo(content));
        Assert.That(destination.Writes, Is.EqualTo(4), "three writes of 1 MiB and one of the last 5 bytes, not one per 4 KiB read");
    }

    [Test]
    public async Task CopyAsync_EmptySource_WritesNothing()
    {
        using var destination = new WriteCountingStream();

        await StreamCopy.CopyAsync(new TrickleStream([], 4096), destination, CancellationToken.None);

        Assert.That(destination.Length, Is.Zero);
        Assert.That(destination.Writes, Is.Zero);
    }

    [Test]
    public async Task FileSystemStorage_SaveAsync_SourceReadingFewBytesAtATime_StoresEveryByte()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp });
        var content = RandomBytes((2 * 1024 * 1024) + 7);

        var name = await storage.SaveAsync("trickle.bin", new TrickleStream(content, 1000));

        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, name)), Is.EqualTo(content));
    }

    /// <summary>A non-seekable stream that returns at most a few bytes a read, as a network body does.</summary>
    private sealed class TrickleStream(byte[] content, int readSize) : ReadOnlyTestStream
    {
        private int _position;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = Math.Min(Math.Min(buffer.Length, readSize), content.Length - _position);
            content.AsSpan(_position, count).CopyTo(buffer.Span);
            _position += count;
            return ValueTask.FromResult(count);
        }
    }

    private sealed class WriteCountingStream : MemoryStream
    {
        public int Writes { get; private set; }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            return base.WriteAsync(buffer, cancellationToken);
        }
    }
}
