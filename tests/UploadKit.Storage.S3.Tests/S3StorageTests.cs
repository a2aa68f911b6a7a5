using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using UploadKit.Testing;

namespace UploadKit.Storage.S3.Tests;

[TestFixture]
[Category("Integration")]
public sealed class S3StorageTests
{
    private static string Unique(string name) => $"{Guid.NewGuid():N}/{name}";

    private static async Task<string> StoredSha256Async(string key)
    {
        using var client = S3rverFixture.CreateClient();
        using var response = await client.GetObjectAsync(S3rverFixture.BucketName, key);
        return await Sha256HexAsync(response.ResponseStream);
    }

    [Test]
    public async Task SaveAsync_UploadsOfActiveOrMisdeclaredContent_StoredWithServerTypeAndAttachment()
    {
        using var storage = S3rverFixture.CreateStorage();
        using var client = S3rverFixture.CreateClient();

        var outcome = await StoredContentScenarios.RunAsync(storage, async name =>
        {
            // As the bucket serves the object, not as the storage reads it back.
            var response = await client.GetObjectMetadataAsync(S3rverFixture.BucketName, name);
            return new StoredHeaders(name, response.Headers.ContentType, response.Headers.ContentDisposition);
        });

        Assert.That(StoredContentScenarios.Violations(outcome), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_SmallStream_StoresExactBytesWithOnePut()
    {
        using var storage = S3rverFixture.CreateStorage();
        var bytes = RandomBytes(300_000);
        var name = await storage.SaveAsync(Unique("photo.jpg"), new MemoryStream(bytes));

        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(bytes)));
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.Length, Is.EqualTo(bytes.Length));
        Assert.That(info.ContentType, Is.EqualTo("image/jpeg"));
        // One PUT: the ETag is the MD5 of the bytes, which the storage reports as a checksum.
        Assert.That(info.Checksums["md5"], Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes))));
    }

    [TestCase(false, "WhenRequired")]
    [TestCase(true, "WhenSupported")]
    [TestCase(true, "WhenRequired")]
    public async Task SaveAsync_ChunkEncodingAndChecksumModes_StoreExactBytes(bool disableChunkedEncoding, string checksumMode)
    {
        // AWSSDK.S3 4.1.0 sends uploads as aws-chunked bodies with signed chunks unless chunk encoding is off, and
        // adds a CRC32 trailer under WhenSupported. s3rver 5.0.0 decodes signed chunks (without checking the chunk
        // signatures); whichever of these modes a store needs, the stored bytes must be the sent bytes.
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?>
        {
            ["DisableChunkedEncoding"] = disableChunkedEncoding.ToString(),
            ["RequestChecksumCalculation"] = checksumMode,
        });
        var small = RandomBytes(70_000, seed: 3);
        var large = RandomBytes(6 * 1024 * 1024, seed: 4);

        var smallName = await storage.SaveAsync(Unique("small.bin"), new MemoryStream(small));
        var largeName = await storage.SaveAsync(Unique("large.bin"), new GeneratedStreamOver(large));

        Assert.That(await StoredSha256Async(storage.GetKey(smallName)), Is.EqualTo(Sha256Hex(small)));
        Assert.That(await StoredSha256Async(storage.GetKey(largeName)), Is.EqualTo(Sha256Hex(large)));
    }

    [Test]
    public async Task SaveAsync_ChecksumTrailerOnS3rver_IsRefusedAndLeavesNothing()
    {
        // The SDK's default (WhenSupported, chunk encoding on) sends x-amz-content-sha256:
        // STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER with a CRC32 trailer. Amazon S3 accepts it; s3rver 5.0.0 refuses
        // it with 400 InvalidArgument (s3rver 3.7.1 stored the framing as object bytes instead). Hence the test
        // configuration's "RequestChecksumCalculation": "WhenRequired".
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["RequestChecksumCalculation"] = "WhenSupported" });
        var name = Unique("trailer.bin");

        var error = Assert.ThrowsAsync<AmazonS3Exception>(() => storage.SaveAsync(name, new MemoryStream(RandomBytes(1000))));

        Assert.That(error!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await storage.ExistsAsync(name), Is.False);
    }

    [Test]
    public async Task SaveAsync_NameTaken_ReturnsAlternateNameAndKeepsOriginal()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("song.mp3");
        var first = RandomBytes(1000, seed: 1);
        var second = RandomBytes(1000, seed: 2);

        var firstName = await storage.SaveAsync(name, new MemoryStream(first));
        var secondName = await storage.SaveAsync(name, new MemoryStream(second));

        Assert.That(firstName, Is.EqualTo(name));
        Assert.That(secondName, Does.Match(@"/song_[A-Za-z0-9]{7}\.mp3$"));
        Assert.That(await StoredSha256HexAsync(storage, firstName), Is.EqualTo(Sha256Hex(first)));
        Assert.That(await StoredSha256HexAsync(storage, secondName), Is.EqualTo(Sha256Hex(second)));
    }

    [Test]
    public async Task SaveAsync_OverwriteRequested_ReplacesObject()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("report.pdf");
        await storage.SaveAsync(name, new MemoryStream(RandomBytes(500, seed: 1)));
        var replacement = RandomBytes(800, seed: 2);

        var saved = await storage.SaveAsync(name, new MemoryStream(replacement), new FileSaveOptions { Overwrite = true });

        Assert.That(saved, Is.EqualTo(name));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(replacement)));
    }

    [Test]
    public async Task PutObject_IfNoneMatchOnExistingKey_RefusedWith412AndKeepsTheObject()
    {
        S3rverFixture.RequireServer();

        // Amazon S3 (since 2024-08) and MinIO refuse such a PUT with 412 Precondition Failed. s3rver 5.0.0 ignored
        // the header; tests/services/s3rver.js applies S3's rule, and this test pins it down so that the storage's
        // create-only saves and presigned PUTs are tested against a server that honours it.
        using var client = S3rverFixture.CreateClient();
        var key = Unique("conditional.txt");
        await client.PutObjectAsync(new PutObjectRequest { BucketName = S3rverFixture.BucketName, Key = key, ContentBody = "first" });

        var refused = Assert.ThrowsAsync<AmazonS3Exception>(() => client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = S3rverFixture.BucketName,
            Key = key,
            ContentBody = "second",
            IfNoneMatch = "*",
        }));

        Assert.That(refused!.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That(await StoredSha256Async(key), Is.EqualTo(Sha256Hex("first"u8.ToArray())));
    }

    [Test]
    public async Task SaveAsync_UnknownLength64MiB_UploadsInPartsWithBoundedMemory()
    {
        using var storage = S3rverFixture.CreateStorage(); // 5 MiB parts, 2 in flight (appsettings.json)
        const long length = 64L * 1024 * 1024;
        using var source = new GeneratedStream(length, seed: 64, sampleEvery: 4 * 1024 * 1024);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var name = await storage.SaveAsync(Unique("video.bin"), source);

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        // Buffers: at most MaxConcurrency parts in flight plus the pool's spare, 5 MiB each; allow as much again
        // for the SDK and HTTP stack. Buffering the whole 64 MiB object would exceed this by far.
        const long partSize = 5 * 1024 * 1024;
        var bound = partSize * (2 + 1) * 2;
        TestContext.Out.WriteLine(
            $"Peak live managed memory above baseline: {(source.PeakLiveBytes - baseline) / 1048576.0:F1} MiB; " +
            $"allocated during the save: {allocated / 1048576.0:F1} MiB.");
        Assert.That(
            source.PeakLiveBytes - baseline,
            Is.LessThan(bound),
            $"peak live managed memory grew by {(source.PeakLiveBytes - baseline) / 1048576.0:F1} MiB");
        // Parts are read into reused buffers and sent from them: nothing copies the object as a whole.
        Assert.That(allocated, Is.LessThan(length / 2), $"the save allocated {allocated / 1048576.0:F1} MiB");
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.Length, Is.EqualTo(length));
        // Amazon S3 gives a multipart object an ETag with a part count ("…-13"); s3rver gives the MD5 of the whole.
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(source.Sha256));
    }

    [Test]
    public async Task SaveAsync_StreamThrowsHalfway_LeavesNoObjectAndNoMultipartUpload()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("broken.bin");
        using var source = new GeneratedStream(32L * 1024 * 1024, failAfter: 16L * 1024 * 1024);

        Assert.ThrowsAsync<IOException>(() => storage.SaveAsync(name, source));

        Assert.That(await storage.ExistsAsync(name), Is.False);
        using var client = S3rverFixture.CreateClient();
        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3rverFixture.BucketName });
        Assert.That((uploads.MultipartUploads ?? []).Select(u => u.Key), Does.Not.Contain(storage.GetKey(name)));
        var uploadsFolder = Path.Combine(S3rverFixture.DataDirectory, S3rverFixture.BucketName, "._S3rver_uploads");
        Assert.That(Directory.Exists(uploadsFolder) ? Directory.GetDirectories(uploadsFolder) : [], Is.Empty, "no parts left on the server's disk");
    }

    [Test]
    public async Task SaveAsync_SmallStreamThrows_LeavesNoObject()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("tiny.bin");
        using var source = new GeneratedStream(100_000, failAfter: 50_000);

        Assert.ThrowsAsync<IOException>(() => storage.SaveAsync(name, source));

        Assert.That(await storage.ExistsAsync(name), Is.False);
    }

    [Test]
    public async Task SaveAsync_Cancelled_LeavesNoObjectAndNoMultipartUpload()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("cancelled.bin");
        using var cts = new CancellationTokenSource();
        using var source = new CancellingStream(new GeneratedStream(32L * 1024 * 1024), cts, cancelAfter: 12L * 1024 * 1024);

        Assert.CatchAsync<OperationCanceledException>(() => storage.SaveAsync(name, source, cancellationToken: cts.Token));

        Assert.That(await storage.ExistsAsync(name), Is.False);
        using var client = S3rverFixture.CreateClient();
        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3rverFixture.BucketName });
        Assert.That((uploads.MultipartUploads ?? []).Select(u => u.Key), Does.Not.Contain(storage.GetKey(name)));
    }

    [Test]
    public void SaveAsync_TraversalName_ThrowsSuspiciousFileName()
    {
        using var storage = S3rverFixture.CreateStorage();

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync("../etc/passwd", new MemoryStream([1])));
    }

    [Test]
    public async Task SaveAsync_Location_StoresUnderPrefixAndListsWithoutIt()
    {
        var location = "media-" + Guid.NewGuid().ToString("N")[..8];
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["KeyPrefix"] = location });
        storage.ListPageSize = 2;
        var files = new Dictionary<string, byte[]>();
        for (var i = 0; i < 5; i++)
        {
            var bytes = RandomBytes(100 + i, seed: i);
            files[await storage.SaveAsync($"tracks/{i}.mp3", new MemoryStream(bytes))] = bytes;
        }

        await storage.SaveAsync("other/x.txt", new MemoryStream([1, 2, 3]));

        var listed = new List<StoredFileInfo>();
        await foreach (var item in storage.ListAsync("tracks/"))
        {
            listed.Add(item);
        }

        Assert.That(listed.Select(f => f.Name), Is.EquivalentTo(files.Keys));
        Assert.That(listed.Select(f => f.Length), Is.EquivalentTo(files.Values.Select(b => (long)b.Length)));
        Assert.That(await StoredSha256Async($"{location}/tracks/3.mp3"), Is.EqualTo(Sha256Hex(files["tracks/3.mp3"])));
        var all = new List<string>();
        await foreach (var item in storage.ListAsync())
        {
            all.Add(item.Name);
        }

        Assert.That(all, Has.Count.EqualTo(6).And.Contain("other/x.txt"));
    }

    [Test]
    public async Task GetMetadataAsync_SavedWithMetadata_ReturnsProperties()
    {
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["CacheControl"] = "max-age=60" });
        var options = new FileSaveOptions { ContentType = "text/plain" };
        options.Metadata["owner"] = "track-42";
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);

        var name = await storage.SaveAsync(Unique("notes.txt"), new MemoryStream("hello"u8.ToArray()), options);
        var info = await storage.GetMetadataAsync(name);

        Assert.That(info!.Name, Is.EqualTo(name));
        Assert.That(info.Length, Is.EqualTo(5));
        Assert.That(info.ContentType, Is.EqualTo("text/plain"));
        Assert.That(info.ETag, Is.Not.Null.And.Not.Empty);
        Assert.That(info.LastModified, Is.GreaterThan(before));
        Assert.That(info.Metadata["owner"], Is.EqualTo("track-42"));
        Assert.That(info.Checksums["md5"], Is.EqualTo("5d41402abc4b2a76b9719d911017c592"));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex("hello"u8.ToArray())));
    }

    [Test]
    public async Task GetMetadataAsync_Missing_ReturnsNull()
    {
        using var storage = S3rverFixture.CreateStorage();

        Assert.That(await storage.GetMetadataAsync(Unique("missing.txt")), Is.Null);
    }

    [Test]
    public void OpenReadAsync_Missing_ThrowsFileNotFound()
    {
        using var storage = S3rverFixture.CreateStorage();

        Assert.ThrowsAsync<FileNotFoundException>(() => storage.OpenReadAsync(Unique("missing.txt")));
    }

    [Test]
    public async Task DeleteAsync_ExistingThenMissing_ReturnsTrueThenFalse()
    {
        using var storage = S3rverFixture.CreateStorage();
        var bytes = RandomBytes(10);
        var name = await storage.SaveAsync(Unique("delete-me.bin"), new MemoryStream(bytes));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(bytes)));

        Assert.That(await storage.DeleteAsync(name), Is.True);
        Assert.That(await storage.ExistsAsync(name), Is.False);
        Assert.That(await storage.DeleteAsync(name), Is.False);
    }

    [Test]
    public async Task GetUrlAsync_QuerystringAuth_ReturnsPresignedGetThatServesTheBytes()
    {
        using var storage = S3rverFixture.CreateStorage();
        var bytes = RandomBytes(2048);
        var name = await storage.SaveAsync(Unique("private.bin"), new MemoryStream(bytes));

        var url = await storage.GetUrlAsync(name);

        Assert.That(url, Does.Contain("X-Amz-Signature="));
        using var http = new HttpClient();
        Assert.That(Sha256Hex(await http.GetByteArrayAsync(url)), Is.EqualTo(Sha256Hex(bytes)));
    }

    [Test]
    public async Task GetUrlAsync_PublicBucket_ReturnsPlainUrl()
    {
        // s3rver serves every object to anonymous GETs (it has no bucket policies); on S3 the bucket or the
        // object's ACL (DefaultAcl = public-read) must allow it.
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["SignedUrls"] = "false" });
        var bytes = RandomBytes(2048, seed: 5);
        var name = await storage.SaveAsync(Unique("public file.bin"), new MemoryStream(bytes));

        var url = await storage.GetUrlAsync(name);

        Assert.That(url, Does.StartWith($"{S3rverFixture.ServiceUrl}/{S3rverFixture.BucketName}/").And.Not.Contain("?"));
        using var http = new HttpClient();
        Assert.That(Sha256Hex(await http.GetByteArrayAsync(url)), Is.EqualTo(Sha256Hex(bytes)));
    }

    [Test]
    public async Task GetUrlAsync_CustomDomain_ReturnsUrlOnTheDomain()
    {
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?>
        {
            ["CustomDomain"] = "cdn.example.com",
            ["KeyPrefix"] = "media"
        });

        var url = await storage.GetUrlAsync("a b/ü.png");

        Assert.That(url, Is.EqualTo("https://cdn.example.com/media/a%20b/%C3%BC.png"));
    }

    private sealed class GeneratedStreamOver(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class CancellingStream(Stream inner, CancellationTokenSource cts, long cancelAfter) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= cancelAfter)
            {
                cts.Cancel();
                cts.Token.ThrowIfCancellationRequested();
            }

            var n = inner.Read(buffer, offset, count);
            _read += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Test]
    public async Task CopyAsync_CopyObject_KeepsBytesTypeAndMetadata()
    {
        using var storage = S3rverFixture.CreateStorage();
        await UploadKit.Testing.StorageCopyContract.CopyKeepsBytesTypeAndMetadataAsync(storage);
    }

    [Test]
    public async Task CopyAsync_ReplacedOrMissingSource_FailsAndCopiesNothing()
    {
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["Overwrite"] = "true" });
        await UploadKit.Testing.StorageCopyContract.CopyOfChangedOrMissingSourceFailsAsync(storage);
    }

    [Test]
    public async Task CopyAsync_AboveMultipartCopyThreshold_CopiesInPartsWithSameBytesAndType()
    {
        // S3 copies at most 5 GiB in one CopyObject; the threshold is lowered so 11 MiB take three UploadPartCopy ranges of 5, 5 and 1 MiB.
        // The real client, watched: every call goes through to s3rver.
        using var real = S3rverFixture.CreateClient();
        var client = new Mock<IAmazonS3>();
        client.SetupGet(c => c.Config).Returns(real.Config);
        client.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .Returns((PutObjectRequest r, CancellationToken t) => real.PutObjectAsync(r, t));
        client.Setup(c => c.InitiateMultipartUploadAsync(It.IsAny<InitiateMultipartUploadRequest>(), It.IsAny<CancellationToken>()))
            .Returns((InitiateMultipartUploadRequest r, CancellationToken t) => real.InitiateMultipartUploadAsync(r, t));
        client.Setup(c => c.UploadPartAsync(It.IsAny<UploadPartRequest>(), It.IsAny<CancellationToken>()))
            .Returns((UploadPartRequest r, CancellationToken t) => real.UploadPartAsync(r, t));
        client.Setup(c => c.CompleteMultipartUploadAsync(It.IsAny<CompleteMultipartUploadRequest>(), It.IsAny<CancellationToken>()))
            .Returns((CompleteMultipartUploadRequest r, CancellationToken t) => real.CompleteMultipartUploadAsync(r, t));
        client.Setup(c => c.GetObjectMetadataAsync(It.IsAny<GetObjectMetadataRequest>(), It.IsAny<CancellationToken>()))
            .Returns((GetObjectMetadataRequest r, CancellationToken t) => real.GetObjectMetadataAsync(r, t));
        client.Setup(c => c.CopyPartAsync(It.IsAny<CopyPartRequest>(), It.IsAny<CancellationToken>()))
            .Returns((CopyPartRequest r, CancellationToken t) => real.CopyPartAsync(r, t));
        using var storage = new S3Storage(
            client.Object,
            new S3StorageOptions
            {
                Bucket = S3rverFixture.BucketName,
                Endpoint = new Uri(S3rverFixture.ServiceUrl),
                ForcePathStyle = true,
                ChunkSize = S3StorageOptions.MinimumPartSize
            });
        storage.MultipartCopyThreshold = 1;
        var bytes = RandomBytes(11 * 1024 * 1024, seed: 7);
        var options = new FileSaveOptions { ContentType = "audio/mpeg" };
        options.Metadata["track"] = "7";
        var source = await storage.SaveAsync(Unique("long.mp3"), new MemoryStream(bytes), options);
        var destination = source.Replace("long.mp3", "sealed/long.mp3", StringComparison.Ordinal);

        var copy = await storage.CopyAsync(source, destination, (await storage.GetMetadataAsync(source))!.ETag);

        Assert.That(copy.Length, Is.EqualTo(bytes.Length));
        client.Verify(c => c.CopyPartAsync(It.Is<CopyPartRequest>(r => r.ETagToMatch!.Count == 1), It.IsAny<CancellationToken>()), Times.Exactly(3));
        client.Verify(c => c.CopyObjectAsync(It.IsAny<CopyObjectRequest>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.That(copy.ContentType, Is.EqualTo("audio/mpeg"));
        Assert.That(copy.Metadata["track"], Is.EqualTo("7"));
        Assert.That(await StoredSha256Async(storage.GetKey(destination)), Is.EqualTo(Sha256Hex(bytes)));
        var uploads = await real.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3rverFixture.BucketName });
        Assert.That((uploads.MultipartUploads ?? []).Select(u => u.Key), Does.Not.Contain(storage.GetKey(destination)));
    }
}
