using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Storage.Azure.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.Azure.Tests.Integration;

[Category("Integration")]
public sealed class AzureBlobStorageTests
{
    private static readonly HttpClient Http = new();
    private readonly List<string> _containers = [];

    [TearDown]
    public Task DeleteContainersAsync() => AzuriteServer.DeleteContainersAsync(_containers);

    [Test]
    public async Task SaveAsync_UploadsOfActiveOrMisdeclaredContent_StoredWithServerTypeAndAttachment()
    {
        var storage = await CreateStorageAsync();
        var container = AzuriteServer.ServiceClient().GetBlobContainerClient(_containers[^1]);

        var outcome = await StoredContentScenarios.RunAsync(storage, async name =>
        {
            // As Azurite keeps the blob's properties, not as the storage reads them back.
            var properties = (await container.GetBlobClient(name).GetPropertiesAsync()).Value;
            return new StoredHeaders(name, properties.ContentType, properties.ContentDisposition);
        });

        Assert.That(StoredContentScenarios.Violations(outcome), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_SmallContent_StoresBytesPropertiesAndMetadata()
    {
        var storage = await CreateStorageAsync("\"CacheControl\": \"max-age=60\", \"ContentDisposition\": \"inline\"");
        var content = PatternStream.Bytes(1000, seed: 1);
        var options = new FileSaveOptions { ContentType = "audio/mpeg" };
        options.Metadata["track"] = "42";

        var name = await storage.SaveAsync("tracks/song.mp3", new MemoryStream(content), options);

        Assert.That(name, Is.EqualTo("tracks/song.mp3"));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(SHA256.HashData(content)));
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(info!.Length, Is.EqualTo(1000));
            Assert.That(info.ContentType, Is.EqualTo("audio/mpeg"));
            Assert.That(info.LastModified, Is.Not.Null);
            Assert.That(info.ETag, Is.Not.Empty);
            Assert.That(info.Checksums["md5"], Is.EqualTo(Convert.ToHexStringLower(MD5.HashData(content))));
            Assert.That(info.Metadata["track"], Is.EqualTo("42"));
        });
        var properties = (await storage.GetBlob(name).GetPropertiesAsync()).Value;
        Assert.That(properties.CacheControl, Is.EqualTo("max-age=60"));
        Assert.That(properties.ContentDisposition, Is.EqualTo("inline"));
    }

    [Test]
    public async Task SaveAsync_NoContentType_GuessesFromExtension()
    {
        var storage = await CreateStorageAsync();
        var name = await storage.SaveAsync("photo.png", new MemoryStream(PatternStream.Bytes(10, 2)));
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.ContentType, Is.EqualTo("image/png"));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(10, 2)));
    }

    [Test]
    public async Task SaveAsync_NameTaken_ReturnsAlternateNameAndKeepsBoth()
    {
        var storage = await CreateStorageAsync();
        var first = await storage.SaveAsync("docs/report.pdf", new PatternStream(100, 1));
        var second = await storage.SaveAsync("docs/report.pdf", new PatternStream(200, 2));

        Assert.That(first, Is.EqualTo("docs/report.pdf"));
        Assert.That(second, Does.Match(@"^docs/report_[A-Za-z0-9]{7}\.pdf$"));
        Assert.That(await ReadSha256Async(storage, first), Is.EqualTo(PatternStream.Sha256(100, 1)));
        Assert.That(await ReadSha256Async(storage, second), Is.EqualTo(PatternStream.Sha256(200, 2)));
    }

    [Test]
    public async Task SaveAsync_OverwriteRequested_ReplacesContent()
    {
        var storage = await CreateStorageAsync();
        await storage.SaveAsync("a.bin", new PatternStream(100, 1));
        var name = await storage.SaveAsync("a.bin", new PatternStream(300, 2), new FileSaveOptions { Overwrite = true });

        Assert.That(name, Is.EqualTo("a.bin"));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(300, 2)));
        Assert.That(await ToListAsync(storage.ListAsync()), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task SaveAsync_OverwriteConfigured_ReplacesContent()
    {
        var storage = await CreateStorageAsync("\"Overwrite\": true, \"ChunkSize\": 1024");
        await storage.SaveAsync("a.bin", new PatternStream(5000, 1));
        var name = await storage.SaveAsync("a.bin", new PatternStream(7000, 2));

        Assert.That(name, Is.EqualTo("a.bin"));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(7000, 2)));
    }

    [TestCase(1024)]
    [TestCase(2048)]
    [TestCase(2049)]
    [TestCase(0)]
    public async Task SaveAsync_LengthAroundBlockSize_StoresExactBytes(int length)
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 1024, \"MaxConcurrency\": 3");
        var name = await storage.SaveAsync("edge.bin", new PatternStream(length, 7));

        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.Length, Is.EqualTo(length));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(length, 7)));
        using var expected = new PatternStream(length, 7);
        Assert.That(info.Checksums["md5"], Is.EqualTo(Convert.ToHexStringLower(MD5.HashData(expected))));
    }

    [Test]
    public async Task SaveAsync_Streamed64MiBOfUnknownLength_StagesBlocksWithBoundedMemory()
    {
        const int blockSize = 1024 * 1024;
        const int concurrency = 2;
        const long length = 64L * 1024 * 1024;
        var storage = await CreateStorageAsync($"\"ChunkSize\": {blockSize}, \"MaxConcurrency\": {concurrency}");
        // Warm up the client, the connection pool and the buffer pool, so the measurement sees the steady state.
        await storage.SaveAsync("warmup.bin", new PatternStream(3 * blockSize, 1));

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var name = await storage.SaveAsync("big.bin", new PatternStream(length, 64));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        // Buffers for (concurrency + 1) blocks at most, plus per-request overhead; far below the 64 MiB streamed.
        TestContext.Out.WriteLine($"Allocated {allocated:N0} bytes while saving {length:N0} bytes.");
        Assert.That(allocated, Is.LessThan(((concurrency + 1) * blockSize) + (8 * 1024 * 1024)));
        var blocks = (await storage.GetBlob(name).GetBlockListAsync(BlockListTypes.Committed)).Value;
        Assert.That(blocks.CommittedBlocks.Count(), Is.EqualTo(64));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(length, 64)));
    }

    [Test]
    public async Task SaveAsync_SourceFailsMidway_CommitsNothing()
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 1024");
        var source = new PatternStream(10_000, 3, failAt: 5000);

        Assert.ThrowsAsync<IOException>(() => storage.SaveAsync("broken.bin", source));

        Assert.That(await storage.ExistsAsync("broken.bin"), Is.False);
        Assert.That(await ToListAsync(storage.ListAsync()), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_Cancelled_CommitsNothing()
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 1024");
        using var cancellation = new CancellationTokenSource();
        var source = new PatternStream(100_000, 3, atEnd: () => cancellation.CancelAsync());

        Assert.CatchAsync<OperationCanceledException>(() => storage.SaveAsync("cancelled.bin", source, cancellationToken: cancellation.Token));

        Assert.That(await storage.ExistsAsync("cancelled.bin"), Is.False);
    }

    [Test]
    public async Task SaveAsync_ChecksumMismatch_ThrowsAndCommitsNothing([Values(100, 5000)] int length)
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 1024");
        var options = new FileSaveOptions();
        options.Checksums["sha256"] = Convert.ToHexStringLower(PatternStream.Sha256(length, 9));

        Assert.ThrowsAsync<InvalidDataException>(() => storage.SaveAsync("checked.bin", new PatternStream(length, 8), options));

        Assert.That(await storage.ExistsAsync("checked.bin"), Is.False);
    }

    [Test]
    public async Task SaveAsync_MatchingChecksums_Saves()
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 1024");
        var options = new FileSaveOptions();
        options.Checksums["sha256"] = Convert.ToHexStringLower(PatternStream.Sha256(5000, 8));
        using (var md5Source = new PatternStream(5000, 8))
        {
            options.Checksums["md5"] = Convert.ToHexStringLower(MD5.HashData(md5Source));
        }

        var name = await storage.SaveAsync("checked.bin", new PatternStream(5000, 8), options);

        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(5000, 8)));
    }

    [Test]
    public async Task SaveAsync_ConcurrentCreateOnlyWriters_OneWinsTheNameTheOtherGetsAFreshOne()
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 4096, \"MaxConcurrency\": 2");
        var lengths = new[] { 50_000, 60_000 };

        var names = await Task.WhenAll(
            storage.SaveAsync("race.bin", new PatternStream(lengths[0], 10, canSeek: true)),
            storage.SaveAsync("race.bin", new PatternStream(lengths[1], 11, canSeek: true)));

        Assert.That(names, Has.One.EqualTo("race.bin"));
        Assert.That(names, Has.One.Match(@"^race_[A-Za-z0-9]{7}\.bin$"));
        Assert.That(await ReadSha256Async(storage, names[0]), Is.EqualTo(PatternStream.Sha256(lengths[0], 10)));
        Assert.That(await ReadSha256Async(storage, names[1]), Is.EqualTo(PatternStream.Sha256(lengths[1], 11)));
    }

    [Test]
    public async Task SaveAsync_NameTakenWhileStagingSeekableStream_SavesUnderFreshName()
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 1024");
        // The other writer stages blocks too: Azurite refuses a single-request create-only Put Blob on a name that only
        // has uncommitted blocks (Azure accepts it), which would hand the other writer the fresh name instead.
        var source = new PatternStream(5000, 12, canSeek: true,
            atEnd: () => storage.SaveAsync("taken.bin", new PatternStream(3000, 13)));

        var name = await storage.SaveAsync("taken.bin", source);

        Assert.That(name, Does.Match(@"^taken_[A-Za-z0-9]{7}\.bin$"));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(5000, 12)));
        Assert.That(await ReadSha256Async(storage, "taken.bin"), Is.EqualTo(PatternStream.Sha256(3000, 13)));
    }

    [Test]
    public async Task SaveAsync_NameTakenWhileStagingNonSeekableStream_ThrowsAndLeavesTheWinnerIntact()
    {
        var storage = await CreateStorageAsync("\"ChunkSize\": 1024");
        var source = new PatternStream(5000, 12,
            atEnd: () => storage.SaveAsync("taken.bin", new PatternStream(3000, 13)));

        var ex = Assert.ThrowsAsync<IOException>(() => storage.SaveAsync("taken.bin", source));

        Assert.That(ex!.Message, Does.Contain("cannot be read again"));
        Assert.That(await ReadSha256Async(storage, "taken.bin"), Is.EqualTo(PatternStream.Sha256(3000, 13)));
        Assert.That(await ToListAsync(storage.ListAsync()), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task OpenReadAsync_Missing_ThrowsFileNotFound()
    {
        var storage = await CreateStorageAsync();
        Assert.ThrowsAsync<FileNotFoundException>(() => storage.OpenReadAsync("missing.txt"));
    }

    [Test]
    public async Task DeleteAsync_ExistingThenMissing_ReturnsTrueThenFalse()
    {
        var storage = await CreateStorageAsync();
        var name = await storage.SaveAsync("gone.txt", new PatternStream(10, 1));
        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(10, 1)));

        Assert.That(await storage.DeleteAsync(name), Is.True);
        Assert.That(await storage.DeleteAsync(name), Is.False);
        Assert.That(await storage.ExistsAsync(name), Is.False);
        Assert.That(await storage.GetMetadataAsync(name), Is.Null);
    }

    [Test]
    public async Task ListAsync_WithKeyPrefix_AppliesAndStripsThePrefix()
    {
        var storage = await CreateStorageAsync("\"KeyPrefix\": \"media/\"");
        await storage.SaveAsync("tracks/a.mp3", new PatternStream(10, 1));
        await storage.SaveAsync("tracks/b.mp3", new PatternStream(20, 2));
        await storage.SaveAsync("covers/a.png", new PatternStream(30, 3));
        var container = AzuriteServer.ServiceClient().GetBlobContainerClient(storage.Container.Name);
        await container.UploadBlobAsync("outside.txt", BinaryData.FromBytes(PatternStream.Bytes(5, 4)));

        var all = await ToListAsync(storage.ListAsync());
        var tracks = await ToListAsync(storage.ListAsync("tracks/"));

        Assert.That(all.Select(f => f.Name), Is.EqualTo(new[] { "covers/a.png", "tracks/a.mp3", "tracks/b.mp3" }));
        Assert.That(tracks.Select(f => (f.Name, f.Length)), Is.EqualTo(new[] { ("tracks/a.mp3", 10L), ("tracks/b.mp3", 20L) }));
        Assert.That(tracks[0].ContentType, Is.EqualTo("audio/mpeg"));
        Assert.That((await container.GetBlobClient("media/tracks/a.mp3").ExistsAsync()).Value, Is.True);
        Assert.That(await ReadSha256Async(storage, "covers/a.png"), Is.EqualTo(PatternStream.Sha256(30, 3)));
    }

    [Test]
    public async Task GetUrlAsync_PrivateContainer_ReturnsAReadSasThatServesTheFile()
    {
        var storage = await CreateStorageAsync();
        var name = await storage.SaveAsync("private.bin", new PatternStream(500, 5));

        var url = await storage.GetUrlAsync(name);

        Assert.That(url, Does.Contain("sp=r").And.Contain("sig="));
        Assert.That(SHA256.HashData(await Http.GetByteArrayAsync(url)), Is.EqualTo(PatternStream.Sha256(500, 5)));
        using var anonymous = await Http.GetAsync(storage.GetBlob(name).Uri);
        Assert.That(anonymous.IsSuccessStatusCode, Is.False);
    }

    [Test]
    public async Task GetUrlAsync_SignedUrlsOff_ReturnsThePlainBlobUrl()
    {
        var storage = await CreateStorageAsync("\"SignedUrls\": false");
        await storage.Container.SetAccessPolicyAsync(PublicAccessType.Blob);
        var name = await storage.SaveAsync("public.bin", new PatternStream(500, 6));

        var url = await storage.GetUrlAsync(name);

        Assert.That(new Uri(url!).Query, Is.Empty);
        Assert.That(SHA256.HashData(await Http.GetByteArrayAsync(url)), Is.EqualTo(PatternStream.Sha256(500, 6)));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutWithTheGivenHeaders_StoresTheFile()
    {
        var storage = await CreateStorageAsync("\"CacheControl\": \"max-age=60\"");
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("uploads/song.mp3") { ContentType = "audio/mpeg" });
        var content = PatternStream.Bytes(3000, 20);

        using var response = await PutAsync(presigned, content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(presigned.Method, Is.EqualTo("PUT"));
        Assert.That(presigned.Headers["x-ms-blob-type"], Is.EqualTo("BlockBlob"));
        Assert.That(presigned.Url.Query, Does.Contain("sp=cw").And.Contain("sr=b"));
        Assert.That(await ReadSha256Async(storage, "uploads/song.mp3"), Is.EqualTo(SHA256.HashData(content)));
        var info = await storage.GetMetadataAsync("uploads/song.mp3");
        Assert.That(info!.ContentType, Is.EqualTo("audio/mpeg"));
        Assert.That((await storage.GetBlob("uploads/song.mp3").GetPropertiesAsync()).Value.CacheControl, Is.EqualTo("max-age=60"));
    }

    [Test]
    public async Task CreateUploadUrlAsync_SecondPutToTheSameName_IsRefused()
    {
        var storage = await CreateStorageAsync();
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("once.bin"));
        using var first = await PutAsync(presigned, PatternStream.Bytes(100, 21));

        using var second = await PutAsync(presigned, PatternStream.Bytes(100, 22));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((int)second.StatusCode, Is.EqualTo(409).Or.EqualTo(412));
        Assert.That(await ReadSha256Async(storage, "once.bin"), Is.EqualTo(PatternStream.Sha256(100, 21)));
    }

    [Test]
    public async Task CreateUploadUrlAsync_TamperedSignature_IsRefused()
    {
        var storage = await CreateStorageAsync();
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("tampered.bin"));
        // Widen the permissions the signature was made for.
        var tampered = new PresignedUrl(
            "PUT", new Uri(presigned.Url.AbsoluteUri.Replace("sp=cw", "sp=racwd", StringComparison.Ordinal)), presigned.ExpiresOn)
        {
            Headers = presigned.Headers,
        };

        using var response = await PutAsync(tampered, PatternStream.Bytes(100, 23));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await storage.ExistsAsync("tampered.bin"), Is.False);
    }

    [Test]
    public async Task CreateUploadUrlAsync_Expired_IsRefused()
    {
        var past = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(2));
        var storage = await CreateStorageAsync(timeProvider: past);
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("late.bin") { ExpiresIn = TimeSpan.FromMinutes(15) });

        using var response = await PutAsync(presigned, PatternStream.Bytes(100, 24));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await storage.ExistsAsync("late.bin"), Is.False);
    }

    [Test]
    public async Task CreateUploadUrlAsync_UsedForAnotherBlob_IsRefused()
    {
        var storage = await CreateStorageAsync();
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("mine.bin"));
        var other = new UriBuilder(storage.GetBlob("other.bin").Uri) { Query = presigned.Url.Query.TrimStart('?') }.Uri;

        using var response = await PutAsync(
            new PresignedUrl("PUT", other, presigned.ExpiresOn) { Headers = presigned.Headers }, PatternStream.Bytes(100, 25));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await storage.ExistsAsync("other.bin"), Is.False);
    }

    [Test]
    public async Task CreateUploadUrlAsync_UsedToRead_IsRefused()
    {
        var storage = await CreateStorageAsync();
        await storage.SaveAsync("secret.bin", new PatternStream(100, 26));
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("secret.bin"));

        using var response = await Http.GetAsync(presigned.Url);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await ReadSha256Async(storage, "secret.bin"), Is.EqualTo(PatternStream.Sha256(100, 26)));
    }

    [Test]
    public async Task CreateDownloadUrlAsync_WithResponseHeaders_ServesTheFileWithThem()
    {
        var storage = await CreateStorageAsync();
        await storage.SaveAsync("report.pdf", new PatternStream(2000, 27));
        var presigned = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest("report.pdf")
        {
            ResponseContentDisposition = "attachment; filename=\"r.pdf\"",
            ResponseContentType = "application/x-report",
        });

        using var response = await Http.GetAsync(presigned.Url);

        Assert.That(presigned.Method, Is.EqualTo("GET"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentDisposition?.ToString(), Is.EqualTo("attachment; filename=\"r.pdf\""));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/x-report"));
        Assert.That(SHA256.HashData(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(PatternStream.Sha256(2000, 27)));
    }

    [Test]
    public async Task CreateDownloadUrlAsync_UsedToWrite_IsRefused()
    {
        var storage = await CreateStorageAsync();
        await storage.SaveAsync("kept.bin", new PatternStream(100, 28));
        var presigned = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest("kept.bin"));

        using var response = await PutAsync(new PresignedUrl("PUT", presigned.Url, presigned.ExpiresOn)
        {
            Headers = new Dictionary<string, string> { ["x-ms-blob-type"] = "BlockBlob" },
        }, PatternStream.Bytes(100, 29));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await ReadSha256Async(storage, "kept.bin"), Is.EqualTo(PatternStream.Sha256(100, 28)));
    }

    [Test]
    public async Task CreateContainer_Missing_IsCreatedOnFirstSave()
    {
        AzuriteServer.Require();
        var container = AzuriteServer.NewContainerName();
        _containers.Add(container);
        var options = AzureBlobStorageFactory.Bind("azure", AzuriteServer.StorageOptions(container, "\"CreateContainer\": true"));
        var storage = AzureBlobStorageFactory.Create("azure", options, new ServiceCollection().BuildServiceProvider());

        var name = await storage.SaveAsync("first.txt", new PatternStream(10, 30));

        Assert.That(await ReadSha256Async(storage, name), Is.EqualTo(PatternStream.Sha256(10, 30)));
        var access = (await storage.Container.GetAccessPolicyAsync()).Value;
        Assert.That(access.BlobPublicAccess, Is.EqualTo(PublicAccessType.None));
    }

    [Test]
    public async Task BackendFactory_AppsettingsWithConnectionString_CreatesAWorkingStorage()
    {
        AzuriteServer.Require();
        var container = AzuriteServer.NewContainerName();
        _containers.Add(container);
        await AzuriteServer.ServiceClient().CreateBlobContainerAsync(container);
        var context = new StorageBackendContext(
            "azure", AzuriteServer.StorageOptions(container, connectionString: true), new ServiceCollection().BuildServiceProvider());

        var storage = AzureBlobStorageFactory.Create(context);
        var name = await storage.SaveAsync("hello.txt", new PatternStream(42, 31));

        Assert.That(storage, Is.InstanceOf<AzureBlobStorage>());
        Assert.That(await storage.ExistsAsync(name), Is.True);
        await using var read = await storage.OpenReadAsync(name);
        Assert.That(await SHA256.HashDataAsync(read), Is.EqualTo(PatternStream.Sha256(42, 31)));
    }

    private Task<AzureBlobStorage> CreateStorageAsync(string extraOptions = "", TimeProvider? timeProvider = null)
    {
        var services = new ServiceCollection();
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }

        return AzuriteServer.CreateStorageAsync(_containers, extraOptions, services.BuildServiceProvider());
    }

    private static async Task<byte[]> ReadSha256Async(IFileStorage storage, string name)
    {
        await using var stream = await storage.OpenReadAsync(name);
        return await SHA256.HashDataAsync(stream);
    }

    private static async Task<HttpResponseMessage> PutAsync(PresignedUrl presigned, byte[] content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, presigned.Url) { Content = new ByteArrayContent(content) };
        foreach (var (header, value) in presigned.Headers)
        {
            if (header.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(value);
            }
            else if (header.Equals("Content-MD5", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentMD5 = Convert.FromBase64String(value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(header, value);
            }
        }

        return await Http.SendAsync(request);
    }

    private static async Task<List<StoredFileInfo>> ToListAsync(IAsyncEnumerable<StoredFileInfo> files)
    {
        var list = new List<StoredFileInfo>();
        await foreach (var file in files)
        {
            list.Add(file);
        }

        return list;
    }

    [Test]
    public async Task CopyAsync_CopyBlobWithinAccount_KeepsBytesTypeAndMetadata() =>
        await UploadKit.Testing.StorageCopyContract.CopyKeepsBytesTypeAndMetadataAsync(await CreateStorageAsync());

    [Test]
    public async Task CopyAsync_ReplacedOrMissingSource_FailsAndCopiesNothing() =>
        await UploadKit.Testing.StorageCopyContract.CopyOfChangedOrMissingSourceFailsAsync(await CreateStorageAsync());
}
