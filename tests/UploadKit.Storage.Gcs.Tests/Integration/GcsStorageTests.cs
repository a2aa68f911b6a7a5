using System.Security.Cryptography;
using System.Text;

namespace UploadKit.Storage.Gcs.Tests.Integration;

public sealed class GcsStorageTests : GcsIntegrationTest
{
    [Test]
    public async Task SaveAsync_SmallFile_StoredAndReadBackWithSameSha256()
    {
        using var storage = Storage(o => o.CacheControl = "public, max-age=60");
        var data = RandomBytes(1000);
        var options = new FileSaveOptions { ContentType = "image/png" };
        options.Metadata["owner"] = "alice";

        var name = await storage.SaveAsync("docs/a.png", new MemoryStream(data), options);

        Assert.That(name, Is.EqualTo("docs/a.png"));
        Assert.That(StoredSha256("docs/a.png"), Is.EqualTo(Sha256(data)));
        await using var read = await storage.OpenReadAsync(name);
        Assert.That(await Sha256Async(read), Is.EqualTo(Sha256(data)));
        var stored = Server.Find(Bucket, "docs/a.png")!;
        Assert.Multiple(() =>
        {
            Assert.That(stored.ContentType, Is.EqualTo("image/png"));
            Assert.That(stored.CacheControl, Is.EqualTo("public, max-age=60"));
            Assert.That(stored.Metadata["owner"], Is.EqualTo("alice"));
        });
    }
}
