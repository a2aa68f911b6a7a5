using System.Buffers;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Files;

public class InMemoryUploadedFileTests
{
    private static InMemoryUploadedFile CreatePooled(byte[] content)
    {
        var buffer = new MemoryBlockBuffer(new RequestMemoryAccount(long.MaxValue, new UploadMemoryBudget(long.MaxValue)), UploadMemoryPool.Shared);
        Assert.That(buffer.TryAppend(content), Is.True);
        return new InMemoryUploadedFile(Header(), buffer);
    }

    /// <summary>Rents and overwrites blocks of the pool, as the next requests would.</summary>
    private static void ReuseThePool(int length)
    {
        var rented = Enumerable.Range(0, 8 + (length / UploadMemoryPool.BlockSize)).Select(_ => UploadMemoryPool.Shared.Rent()).ToArray();
        foreach (var block in rented)
        {
            block.AsSpan().Fill(0xEE);
        }

        foreach (var block in rented)
        {
            UploadMemoryPool.Shared.Return(block);
        }
    }

    [Test]
    public async Task OpenReadStream_ReadAfterRequestEnded_ReadsTheFilesBytes()
    {
        var content = RandomBytes(200_000);
        var file = CreatePooled(content);
        var stream = file.OpenReadStream();

        await file.DisposeAsync();
        ReuseThePool(content.Length);

        Assert.That(
            await Sha256HexAsync(stream), Is.EqualTo(Sha256Hex(content)), "the memory was not handed to another request while the stream was open");
        await stream.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => stream.ReadByte());
    }

    [Test]
    public async Task Content_AfterRequestEnded_Throws()
    {
        var file = CreatePooled(RandomBytes(100));
        await using (file.OpenReadStream())
        {
            await file.DisposeAsync();
            Assert.Throws<ObjectDisposedException>(() => _ = file.Content, "an open stream does not make Content valid after the request");
            Assert.Throws<ObjectDisposedException>(() => file.OpenReadStream());
        }
    }

    [Test]
    public async Task OpenReadStream_DuringRequest_ReadsTheFilesBytes()
    {
        var content = RandomBytes(1000);
        await using var file = CreatePooled(content);
        await using var first = file.OpenReadStream();
        await using var second = file.OpenReadStream();
        Assert.That(await Sha256HexAsync(first), Is.EqualTo(Sha256Hex(content)));
        Assert.That(await Sha256HexAsync(second), Is.EqualTo(Sha256Hex(content)));
        Assert.That(Sha256Hex(file.Content.ToArray()), Is.EqualTo(Sha256Hex(content)));
    }
}
