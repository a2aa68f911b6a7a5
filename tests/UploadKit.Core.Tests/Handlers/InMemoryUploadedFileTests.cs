using System.Buffers;
using System.Security.Cryptography;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Handlers;

public class InMemoryUploadedFileTests
{
    private static InMemoryUploadedFile CreatePooled(byte[] content)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(content.Length);
        content.CopyTo(buffer, 0);
        return new InMemoryUploadedFile(Header(), buffer, content.Length);
    }

    /// <summary>Rents and overwrites arrays of the pool, as the next requests would.</summary>
    private static void ReuseThePool(int length)
    {
        var rented = Enumerable.Range(0, 8).Select(_ => ArrayPool<byte>.Shared.Rent(length)).ToArray();
        foreach (var array in rented)
        {
            array.AsSpan().Fill(0xEE);
        }

        foreach (var array in rented)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    [Test]
    public async Task OpenReadStream_ReadAfterRequestEnded_ReadsTheFilesBytes()
    {
        var content = RandomBytes(10_000);
        var file = CreatePooled(content);
        var stream = file.OpenReadStream();

        await file.DisposeAsync();
        ReuseThePool(content.Length);

        Assert.That(Convert.ToHexStringLower(await SHA256.HashDataAsync(stream)), Is.EqualTo(Sha256(content)), "the memory was not handed to another request while the stream was open");
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
        Assert.That(Convert.ToHexStringLower(await SHA256.HashDataAsync(first)), Is.EqualTo(Sha256(content)));
        Assert.That(Convert.ToHexStringLower(await SHA256.HashDataAsync(second)), Is.EqualTo(Sha256(content)));
        Assert.That(Sha256(file.Content.Span), Is.EqualTo(Sha256(content)));
    }
}
