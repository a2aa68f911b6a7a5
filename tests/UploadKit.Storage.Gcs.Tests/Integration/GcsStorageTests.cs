using System.Security.Cryptography;
using Google;
using UploadKit.Testing;

namespace UploadKit.Storage.Gcs.Tests.Integration;

public sealed class GcsStorageTests : GcsIntegrationTest
{
    [Test]
    public async Task SaveAsync_UploadsOfActiveOrMisdeclaredContent_StoredWithServerTypeAndAttachment()
    {
        using var storage = Storage();

        var outcome = await StoredContentScenarios.RunAsync(storage, name =>
        {
            // As the server keeps the object, not as the storage reads it back.
            var stored = Server.Find(Bucket, name) ?? throw new InvalidOperationException($"'{name}' was not stored.");
            return Task.FromResult(new StoredHeaders(name, stored.ContentType, stored.ContentDisposition));
        });

        Assert.That(StoredContentScenarios.Violations(outcome), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_SmallFile_StoredAndReadBackWithSameSha256()
    {
        using var storage = Storage(o => o.CacheControl = "public, max-age=60");
        var data = RandomBytes(1000);
        var options = new FileSaveOptions { ContentType = "image/png" };
        options.Metadata["owner"] = "alice";

        var name = await storage.SaveAsync("docs/a.png", new MemoryStream(data), options);

        Assert.That(name, Is.EqualTo("docs/a.png"));
        Assert.That(StoredSha256("docs/a.png"), Is.EqualTo(Sha256Hex(data)));
        await using var read = await storage.OpenReadAsync(name);
        Assert.That(await Sha256HexAsync(read), Is.EqualTo(Sha256Hex(data)));
        var stored = Server.Find(Bucket, "docs/a.png")!;
        Assert.Multiple(() =>
        {
            Assert.That(stored.ContentType, Is.EqualTo("image/png"));
            Assert.That(stored.CacheControl, Is.EqualTo("public, max-age=60"));
            Assert.That(stored.Metadata["owner"], Is.EqualTo("alice"));
        });
    }

    [Test]
    public async Task SaveAsync_EmptyFile_StoredEmpty()
    {
        using var storage = Storage();

        await storage.SaveAsync("empty.txt", new MemoryStream());

        Assert.That(StoredSha256("empty.txt"), Is.EqualTo(Sha256Hex([])));
        await using var read = await storage.OpenReadAsync("empty.txt");
        Assert.That(await Sha256HexAsync(read), Is.EqualTo(Sha256Hex([])));
    }

    [Test]
    public async Task SaveAsync_64MiBStreamOfUnknownLength_UploadedInChunksAndReadBackIdentical()
    {
        const int size = 64 * 1024 * 1024;
        const int chunk = 8 * 1024 * 1024;
        using var storage = Storage(o => o.ChunkSize = chunk);
        using var source = new GeneratedStream(size, seed: 42);
        var chunksBefore = Server.ChunkRequests;

        await storage.SaveAsync("big/video.bin", source, new FileSaveOptions { ContentType = "video/mp4" });

        Assert.Multiple(() =>
        {
            Assert.That(Server.ChunkRequests - chunksBefore, Is.GreaterThanOrEqualTo(size / chunk), "chunks sent");
            Assert.That(Server.LargestChunk, Is.LessThanOrEqualTo(chunk), "no request carried more than one chunk");
            Assert.That(Server.Find(Bucket, "big/video.bin")!.Data.LongLength, Is.EqualTo(size));
            Assert.That(StoredSha256("big/video.bin"), Is.EqualTo(source.Sha256));
        });
        await using var read = await storage.OpenReadAsync("big/video.bin");
        Assert.That(await Sha256HexAsync(read), Is.EqualTo(source.Sha256));
    }

    [Test]
    public async Task SaveAsync_ChunkConnectionCut_ClientResumesAndObjectIsIdentical()
    {
        using var storage = Storage();
        using var source = new GeneratedStream(3 * 1024 * 1024, seed: 5);
        var chunksBefore = Server.ChunkRequests;
        Server.FailNextChunkAfter = 500_000;

        var name = await storage.SaveAsync("resumed.bin", source);

        Assert.That(Server.FailNextChunkAfter, Is.Null, "a chunk was cut");
        Assert.That(
            Server.ChunkRequests - chunksBefore, Is.GreaterThan(3), "after the cut the client asked the server what it had and sent the rest");
        Assert.That(StoredSha256(name), Is.EqualTo(source.Sha256));
    }

    [Test]
    public async Task SaveAsync_SourceFailsMidway_NoObjectLeft()
    {
        using var storage = Storage();
        using var source = new GeneratedStream(8 * 1024 * 1024) { FailAt = 3 * 1024 * 1024 };

        Assert.That(async () => await storage.SaveAsync("broken.bin", source), Throws.InstanceOf<IOException>());

        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
        Assert.That(await storage.ExistsAsync("broken.bin"), Is.False);
    }

    [Test]
    public async Task SaveAsync_Cancelled_NoObjectLeft()
    {
        using var storage = Storage();
        using var cts = new CancellationTokenSource();
        using var source = new GeneratedStream(8 * 1024 * 1024) { Gate = new TaskCompletionSource() };
        var save = storage.SaveAsync("cancelled.bin", source, cancellationToken: cts.Token);
        await source.FirstRead.Task;
        await cts.CancelAsync();

        Assert.That(async () => await save, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_NameTakenAndOverwriteOff_SavesUnderAlternateNameAndKeepsOriginal()
    {
        using var storage = Storage();
        var first = RandomBytes(300);
        var second = RandomBytes(400);
        await storage.SaveAsync("tracks/song.mp3", new MemoryStream(first));

        var name = await storage.SaveAsync("tracks/song.mp3", new MemoryStream(second));

        Assert.That(name, Does.Match(@"^tracks/song_[A-Za-z0-9]{7}\.mp3$"));
        Assert.That(Server.RequestLog, Has.Some.Contains($"/b/{Bucket}/o?uploadType=resumable&ifGenerationMatch=0"), "saves are create-only");
        Assert.That(StoredSha256("tracks/song.mp3"), Is.EqualTo(Sha256Hex(first)));
        Assert.That(StoredSha256(name), Is.EqualTo(Sha256Hex(second)));
    }

    [Test]
    public async Task SaveAsync_OverwriteOn_ReplacesObject()
    {
        using var storage = Storage(o => o.Overwrite = true);
        var second = RandomBytes(400);
        await storage.SaveAsync("a.bin", new MemoryStream(RandomBytes(300)));

        var name = await storage.SaveAsync("a.bin", new MemoryStream(second));

        Assert.That(name, Is.EqualTo("a.bin"));
        Assert.That(
            Server.RequestLog.Where(r => r.Contains($"/b/{Bucket}/o?uploadType=resumable", StringComparison.Ordinal)),
            Has.None.Contains("ifGenerationMatch"));
        Assert.That(StoredSha256("a.bin"), Is.EqualTo(Sha256Hex(second)));
        Assert.That(Server.ObjectNames(Bucket), Is.EqualTo(new[] { "a.bin" }));
    }

    [Test]
    public async Task SaveAsync_TwoCreateOnlyWritersRace_SecondFailsAndFirstIsKept()
    {
        using var storage = Storage();
        var sessions = Server.SessionsStarted;
        using var first = new GeneratedStream(600_000, seed: 1) { Gate = new TaskCompletionSource() };
        using var second = new GeneratedStream(700_000, seed: 2) { Gate = new TaskCompletionSource() };
        var firstSave = storage.SaveAsync("race.bin", first);
        var secondSave = storage.SaveAsync("race.bin", second);
        await Task.WhenAll(first.FirstRead.Task, second.FirstRead.Task);
        Assert.That(Server.SessionsStarted - sessions, Is.EqualTo(2), "both writers passed the existence check and started a session");

        first.Gate.SetResult();
        Assert.That(await firstSave, Is.EqualTo("race.bin"));
        second.Gate.SetResult();

        Assert.That(async () => await secondSave, Throws.InstanceOf<IOException>().With.InnerException.InstanceOf<GoogleApiException>());
        Assert.That(StoredSha256("race.bin"), Is.EqualTo(first.Sha256));
        Assert.That(Server.ObjectNames(Bucket), Is.EqualTo(new[] { "race.bin" }));
    }

    [Test]
    public async Task SaveAsync_SeekableLoserOfRace_RetriesUnderAlternateName()
    {
        using var storage = Storage();
        var firstData = RandomBytes(500_000);
        var secondData = RandomBytes(600_000);
        using var first = new GatedMemoryStream(firstData);
        using var second = new GatedMemoryStream(secondData);
        var firstSave = storage.SaveAsync("seek.bin", first);
        var secondSave = storage.SaveAsync("seek.bin", second);
        await Task.WhenAll(first.FirstRead.Task, second.FirstRead.Task);

        first.Gate.SetResult();
        Assert.That(await firstSave, Is.EqualTo("seek.bin"));
        second.Gate.SetResult();
        var secondName = await secondSave;

        Assert.That(secondName, Does.Match(@"^seek_[A-Za-z0-9]{7}\.bin$"));
        Assert.That(StoredSha256("seek.bin"), Is.EqualTo(Sha256Hex(firstData)));
        Assert.That(StoredSha256(secondName), Is.EqualTo(Sha256Hex(secondData)));
    }

    [Test]
    public async Task SaveAsync_WrongMd5Given_RefusedByServerAndNoObjectLeft()
    {
        using var storage = Storage();
        var options = new FileSaveOptions();
        options.Checksums["md5"] = Convert.ToHexStringLower(MD5.HashData([1, 2, 3]));

        Assert.That(
            async () => await storage.SaveAsync("bad.bin", new MemoryStream(RandomBytes(100)), options), Throws.InstanceOf<GoogleApiException>());
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public void SaveAsync_ChecksumNotHex_ArgumentExceptionAndNothingStored()
    {
        using var storage = Storage();
        var options = new FileSaveOptions();
        options.Checksums["md5"] = "not-hex";

        Assert.That(
            async () => await storage.SaveAsync("c.bin", new MemoryStream([1]), options), Throws.ArgumentException.With.Message.Contains("md5"));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task GetMetadataAsync_SavedFile_ReportsSizeTypeChecksumsAndMetadata()
    {
        using var storage = Storage();
        var data = RandomBytes(5000);
        var options = new FileSaveOptions { ContentType = "text/plain" };
        options.Checksums["md5"] = Convert.ToHexStringLower(MD5.HashData(data));
        options.Checksums["sha256"] = Sha256Hex(data);
        options.Metadata["kind"] = "report";
        await storage.SaveAsync("r.txt", new MemoryStream(data), options);

        var info = await storage.GetMetadataAsync("r.txt");

        Assert.That(info, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(info!.Name, Is.EqualTo("r.txt"));
            Assert.That(info.Length, Is.EqualTo(5000));
            Assert.That(info.ContentType, Is.EqualTo("text/plain"));
            Assert.That(info.Checksums["md5"], Is.EqualTo(Convert.ToHexStringLower(MD5.HashData(data))));
            Assert.That(info.Checksums["sha256"], Is.EqualTo(Sha256Hex(data)));
            Assert.That(info.Checksums["crc32c"], Is.EqualTo(Convert.ToHexStringLower(Convert.FromBase64String(FakeGcs.Crc32C.Base64(data)))));
            Assert.That(info.Metadata, Is.EqualTo(new Dictionary<string, string> { ["kind"] = "report" }));
            Assert.That(info.LastModified, Is.Not.Null);
            Assert.That(StoredSha256("r.txt"), Is.EqualTo(Sha256Hex(data)));
        });
        Assert.That(await storage.GetMetadataAsync("missing.txt"), Is.Null);
    }

    [Test]
    public async Task ExistsAndDeleteAsync_ExistingAndMissing_ReportTruthfully()
    {
        using var storage = Storage();
        var data = RandomBytes(10);
        await storage.SaveAsync("x.bin", new MemoryStream(data));
        Assert.That(StoredSha256("x.bin"), Is.EqualTo(Sha256Hex(data)));

        Assert.That(await storage.ExistsAsync("x.bin"), Is.True);
        Assert.That(await storage.DeleteAsync("x.bin"), Is.True);
        Assert.That(await storage.ExistsAsync("x.bin"), Is.False);
        Assert.That(await storage.DeleteAsync("x.bin"), Is.False);
    }

    [Test]
    public void OpenReadAsync_Missing_ThrowsFileNotFound()
    {
        using var storage = Storage();

        Assert.That(async () => await storage.OpenReadAsync("nope.bin"), Throws.InstanceOf<FileNotFoundException>());
    }

    [Test]
    public void SaveAsync_EscapingName_RefusedBeforeAnyRequest()
    {
        using var storage = Storage();

        Assert.That(async () => await storage.SaveAsync("../etc/passwd", new MemoryStream([1])), Throws.InstanceOf<SuspiciousFileNameException>());
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task ListAsync_WithPrefixAndKeyPrefix_ListsOnlyMatchingNamesWithoutKeyPrefix()
    {
        using var storage = Storage(o => o.KeyPrefix = "media");
        var files = new Dictionary<string, byte[]>
        {
            ["tracks/a.mp3"] = RandomBytes(10),
            ["tracks/b.mp3"] = RandomBytes(20),
            ["tracks/live/c.mp3"] = RandomBytes(30),
            ["covers/a.png"] = RandomBytes(40),
        };
        foreach (var (name, data) in files)
        {
            await storage.SaveAsync(name, new MemoryStream(data));
        }

        var listed = new List<StoredFileInfo>();
        await foreach (var info in storage.ListAsync("tracks/"))
        {
            listed.Add(info);
        }

        Assert.That(listed.Select(i => i.Name), Is.EqualTo(new[] { "tracks/a.mp3", "tracks/b.mp3", "tracks/live/c.mp3" }));
        Assert.That(listed.Select(i => i.Length), Is.EqualTo(new long[] { 10, 20, 30 }));
        Assert.That(Server.ObjectNames(Bucket), Does.Contain("media/covers/a.png"));
        foreach (var (name, data) in files)
        {
            Assert.That(StoredSha256("media/" + name), Is.EqualTo(Sha256Hex(data)), name);
        }
    }

    [Test]
    public async Task CreateBucket_BucketMissing_CreatedOnFirstUse()
    {
        var bucket = "created-" + Guid.NewGuid().ToString("N")[..8];
        using var storage = Storage(o =>
        {
            o.Bucket = bucket;
            o.CreateBucket = true;
            o.ProjectId = "dummy-project-id";
        });
        var data = RandomBytes(64);

        await storage.SaveAsync("f.bin", new MemoryStream(data));

        Assert.That(Server.Find(bucket, "f.bin") is { } obj ? Sha256Hex(obj.Data) : null, Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task GetUrlAsync_SignedUrls_SignedUrlServesTheBytes()
    {
        using var storage = Storage();
        var data = RandomBytes(2048);
        await storage.SaveAsync("p/photo.jpg", new MemoryStream(data), new FileSaveOptions { ContentType = "image/jpeg" });
        using var http = new HttpClient();

        var url = await storage.GetUrlAsync("p/photo.jpg");

        Assert.That(url, Does.Contain("X-Goog-Signature="));
        using var response = await http.GetAsync(url);
        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(data)));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/jpeg"));
    }

    [Test]
    public async Task GetUrlAsync_PublicObjectSignedUrlsOff_PlainUrlServesTheBytes()
    {
        using var storage = Storage(o =>
        {
            o.SignedUrls = false;
            o.DefaultAcl = "publicRead";
        });
        var data = RandomBytes(128);
        await storage.SaveAsync("pub/a b.txt", new MemoryStream(data));
        using var http = new HttpClient();

        var url = await storage.GetUrlAsync("pub/a b.txt");

        Assert.That(url, Is.EqualTo($"{Server.BaseAddress}{Bucket}/pub/a%20b.txt"));
        Assert.That(Sha256Hex(await http.GetByteArrayAsync(url)), Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task GetUrlAsync_PrivateObjectSignedUrlsOff_PlainUrlRefused()
    {
        using var storage = Storage(o => o.SignedUrls = false);
        var data = RandomBytes(128);
        await storage.SaveAsync("private.txt", new MemoryStream(data));
        Assert.That(StoredSha256("private.txt"), Is.EqualTo(Sha256Hex(data)));
        using var http = new HttpClient();

        using var response = await http.GetAsync(await storage.GetUrlAsync("private.txt"));

        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task CopyAsync_Rewrite_KeepsBytesTypeAndMetadata()
    {
        using var storage = Storage();
        await StorageCopyContract.CopyKeepsBytesTypeAndMetadataAsync(storage);
    }

    [Test]
    public async Task CopyAsync_ReplacedOrMissingSource_FailsAndCopiesNothing()
    {
        using var storage = Storage();
        await StorageCopyContract.CopyOfChangedOrMissingSourceFailsAsync(storage);
    }
}
