using System.Web;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Time.Testing;

namespace UploadKit.Storage.Azure.Tests;

/// <summary>
/// SAS construction without a server. The user delegation path needs Microsoft Entra sign-in, which Azurite offers only
/// over HTTPS with OAuth, so it is checked here with a mocked <see cref="BlobServiceClient"/>.
/// </summary>
public sealed class AzureBlobStorageSasTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task CreateUploadUrlAsync_TokenCredential_ReturnsUserDelegationSasForOneBlob()
    {
        var (service, _) = MockDelegatingService();
        var storage = new AzureBlobStorage("azure", service.Object, Options(), new FakeTimeProvider(Now));

        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("tracks/song.mp3")
        {
            ContentType = "audio/mpeg",
            ExpiresIn = TimeSpan.FromMinutes(10)
        });

        var query = HttpUtility.ParseQueryString(presigned.Url.Query);
        Assert.Multiple(() =>
        {
            Assert.That(presigned.Method, Is.EqualTo("PUT"));
            Assert.That(presigned.Url.GetLeftPart(UriPartial.Path), Is.EqualTo("https://myaccount.blob.core.windows.net/media/tracks/song.mp3"));
            Assert.That(presigned.ExpiresOn, Is.EqualTo(Now.AddMinutes(10)));
            Assert.That(query["sp"], Is.EqualTo("cw"));
            Assert.That(query["sr"], Is.EqualTo("b"));
            Assert.That(query["spr"], Is.EqualTo("https"));
            Assert.That(query["skoid"], Is.EqualTo("object-id"));
            Assert.That(query["sktid"], Is.EqualTo("tenant-id"));
            Assert.That(query["sig"], Is.Not.Empty);
            Assert.That(DateTimeOffset.Parse(query["se"]!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(Now.AddMinutes(10)));
            Assert.That(presigned.Headers["x-ms-blob-type"], Is.EqualTo("BlockBlob"));
            Assert.That(presigned.Headers["Content-Type"], Is.EqualTo("audio/mpeg"));
            Assert.That(presigned.Headers["If-None-Match"], Is.EqualTo("*"));
        });
    }

    [Test]
    public async Task CreateDownloadUrlAsync_TokenCredential_ReusesTheDelegationKeyWhileItLasts()
    {
        var (service, calls) = MockDelegatingService();
        var storage = new AzureBlobStorage("azure", service.Object, Options(), new FakeTimeProvider(Now));

        var first = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest("a.txt") { ResponseContentDisposition = "attachment" });
        var second = await storage.GetUrlAsync("b.txt");
        var third = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest("c.txt") { ExpiresIn = TimeSpan.FromDays(3) });

        Assert.That(HttpUtility.ParseQueryString(first.Url.Query)["sp"], Is.EqualTo("r"));
        Assert.That(HttpUtility.ParseQueryString(first.Url.Query)["rscd"], Is.EqualTo("attachment"));
        Assert.That(HttpUtility.ParseQueryString(new Uri(second!).Query)["skoid"], Is.EqualTo("object-id"));
        Assert.That(HttpUtility.ParseQueryString(third.Url.Query)["sp"], Is.EqualTo("r"));
        // The first key lasts a day and serves the first two URLs; the three-day URL needs a longer key.
        Assert.That(calls, Is.EqualTo(new[] { Now.AddDays(1), Now.AddDays(3) }));
    }

    [Test]
    public async Task CreateUploadUrlAsync_AccountKey_ReturnsServiceSasAndStoredHeaders()
    {
        var storage = SharedKeyStorage(o =>
        {
            o.CacheControl = "max-age=60";
            o.ContentDisposition = "inline";
        });

        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("a.bin") { ContentMd5 = "1B2M2Y8AsgTpgAmY7PhCfg==" });

        var query = HttpUtility.ParseQueryString(presigned.Url.Query);
        Assert.That(query["sp"], Is.EqualTo("cw"));
        Assert.That(query["skoid"], Is.Null);
        Assert.That(query["sig"], Is.Not.Empty);
        Assert.That(presigned.Headers, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["x-ms-blob-type"] = "BlockBlob",
            ["Content-Type"] = "application/octet-stream",
            ["If-None-Match"] = "*",
            ["x-ms-blob-cache-control"] = "max-age=60",
            ["x-ms-blob-content-disposition"] = "inline",
            ["Content-MD5"] = "1B2M2Y8AsgTpgAmY7PhCfg==",
        }));
    }

    [Test]
    public async Task CreateUploadUrlAsync_OverwriteOn_OmitsIfNoneMatch()
    {
        var storage = SharedKeyStorage(o => o.Overwrite = true);

        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("a.bin"));

        Assert.That(presigned.Headers.ContainsKey("If-None-Match"), Is.False);
    }

    [Test]
    public void CreateUploadUrlAsync_Post_ThrowsNotSupported()
    {
        var storage = SharedKeyStorage();

        var ex = Assert.ThrowsAsync<NotSupportedException>(() =>
            storage.CreateUploadUrlAsync(new PresignedUploadRequest("a.bin") { Method = PresignedUploadMethod.Post }));

        Assert.That(ex!.Message, Does.Contain("PresignedUploadMethod.Put"));
    }

    [TestCase(0)]
    [TestCase(-1)]
    [TestCase(8 * 24 * 60)]
    public void CreateUploadUrlAsync_ExpiryOutOfRange_Throws(int minutes)
    {
        var storage = SharedKeyStorage();

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            storage.CreateUploadUrlAsync(new PresignedUploadRequest("a.bin") { ExpiresIn = TimeSpan.FromMinutes(minutes) }));
    }

    [Test]
    public async Task GetUrlAsync_CustomDomain_ReplacesTheHostAndKeepsTheSas()
    {
        var storage = SharedKeyStorage(o =>
        {
            o.CustomDomain = "cdn.example.com";
            o.KeyPrefix = "media";
        });

        var url = new Uri((await storage.GetUrlAsync("docs/a b.txt"))!);

        Assert.That(url.GetLeftPart(UriPartial.Path), Is.EqualTo("https://cdn.example.com/media/media/docs/a%20b.txt"));
        Assert.That(HttpUtility.ParseQueryString(url.Query)["sp"], Is.EqualTo("r"));
        Assert.That(HttpUtility.ParseQueryString(url.Query)["se"], Is.Not.Empty);
    }

    [Test]
    public async Task GetUrlAsync_SignedUrlsOff_ReturnsThePlainUrl()
    {
        var storage = SharedKeyStorage(o => o.SignedUrls = false);

        var url = await storage.GetUrlAsync("a.txt");

        Assert.That(url, Is.EqualTo("https://myaccount.blob.core.windows.net/media/a.txt"));
    }

    [TestCase("../x")]
    [TestCase("/abs")]
    [TestCase("a\\b")]
    public void ListAsync_EscapingPrefix_Throws(string prefix)
    {
        var storage = SharedKeyStorage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(async () =>
        {
            await foreach (var file in storage.ListAsync(prefix))
            {
                Assert.Fail("Listed " + file.Name);
            }
        });
    }

    [TestCase("../escape.txt")]
    [TestCase("/etc/passwd")]
    [TestCase("")]
    public void SaveAsync_SuspiciousName_ThrowsBeforeAnyRequest(string name)
    {
        var storage = SharedKeyStorage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync(name, new MemoryStream([1, 2, 3])));
    }

    private static AzureBlobStorage SharedKeyStorage(Action<AzureBlobStorageOptions>? configure = null)
    {
        var options = Options();
        configure?.Invoke(options);
        var service = new BlobServiceClient(
            new Uri("https://myaccount.blob.core.windows.net"), new StorageSharedKeyCredential("myaccount", Convert.ToBase64String(new byte[64])));
        return new AzureBlobStorage("azure", service, options, new FakeTimeProvider(Now));
    }

    private static AzureBlobStorageOptions Options() => new() { Container = "media" };

    private static (Mock<BlobServiceClient> Service, List<DateTimeOffset> KeyExpiries) MockDelegatingService()
    {
        var calls = new List<DateTimeOffset>();
        var service = new Mock<BlobServiceClient>(MockBehavior.Strict);
        // A container client without a shared key cannot sign a SAS itself, as with a TokenCredential.
        service.Setup(s => s.GetBlobContainerClient("media"))
            .Returns(new BlobContainerClient(new Uri("https://myaccount.blob.core.windows.net/media")));
        service.Setup(s => s.GetUserDelegationKeyAsync(It.IsAny<DateTimeOffset?>(), It.IsAny<DateTimeOffset>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((DateTimeOffset? startsOn, DateTimeOffset expiresOn, CancellationToken _) =>
            {
                calls.Add(expiresOn);
                var key = BlobsModelFactory.UserDelegationKey(
                    "object-id", "tenant-id", startsOn ?? Now, expiresOn, "b", "2025-01-05", Convert.ToBase64String(new byte[32]));
                return Response.FromValue(key, Mock.Of<Response>());
            });
        return (service, calls);
    }
}
