using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging.Abstractions;
using UploadKit.Storage.S3.Internal;

namespace UploadKit.Storage.S3.Tests;

/// <summary>
/// What S3 adds to the resumable-write contract: the 5 MiB part minimum (short appends kept as short pieces, then merged),
/// appends that were never recorded, a name taken between the check and the commit, and the reserved folder.
/// </summary>
[TestFixture]
[Category("Integration")]
public sealed class S3ResumableWriteTests
{
    private const int MiB = 1024 * 1024;
    private readonly List<string> _prefixes = [];

    [TearDown]
    public async Task NothingIsLeftBehindAsync()
    {
        try
        {
            Assert.That(await S3Leftovers.ListAsync(_prefixes), Is.Empty);
        }
        finally
        {
            _prefixes.Clear();
        }
    }

    [Test]
    public async Task AppendAsync_ShortAppends_StayShortPiecesUntilTheyReachThePartMinimum_ThenOnePieceHoldsThem()
    {
        using var storage = CreateStorage(out var prefix);
        var content = RandomBytes((5 * MiB) + 1, seed: 1);
        var write = await storage.BeginWriteAsync("clip.bin");

        for (var i = 0; i < 4; i++)
        {
            write = await storage.AppendAsync(write, new MemoryStream(content, i * MiB, MiB));
        }

        // Four short appends, four objects of their own size: no short piece was read back or written twice.
        Assert.That(await PieceSizesAsync(prefix), Is.EqualTo(new long[] { MiB, MiB, MiB, MiB }));

        write = await storage.AppendAsync(write, new MemoryStream(content, 4 * MiB, MiB + 1));
        write = await storage.AppendAsync(write, new MemoryStream([]));

        // The fifth append reached the minimum: the four went out in the first part with it, and the next append removed
        // them; the byte past the part waits as a short piece.
        Assert.That(await PieceSizesAsync(prefix), Is.EqualTo(new long[] { 1 }));
        var info = await storage.CompleteWriteAsync(write);
        Assert.That(await Sha256Async(storage, info.Name), Is.EqualTo(Sha256(content)));
    }

    [Test]
    public async Task AppendAsync_ManyTinyAppends_KeepFewShortPiecesAndASmallState()
    {
        using var storage = CreateStorage(out var prefix);
        var content = RandomBytes(50 * 10, seed: 2);
        var write = await storage.BeginWriteAsync("tiny.bin");
        var mostPieces = 0;

        for (var offset = 0; offset < content.Length; offset += 10)
        {
            write = await storage.AppendAsync(write, new MemoryStream(content, offset, 10));
            mostPieces = Math.Max(mostPieces, (await PieceSizesAsync(prefix)).Count);
        }

        Assert.That(mostPieces, Is.LessThanOrEqualTo(S3Storage.MaxShortPieces + 1));
        Assert.That(write.State.Length, Is.LessThan(600));
        var info = await storage.CompleteWriteAsync(write);
        Assert.That(await Sha256Async(storage, info.Name), Is.EqualTo(Sha256(content)));
    }

    [Test]
    public async Task AppendAsync_LostAppendThatMergedTheShortPieces_LeavesTheRecordedWriteWhole()
    {
        using var storage = CreateStorage(out _);
        var first = RandomBytes(3 * MiB, seed: 3);
        var recorded = await storage.AppendAsync(await storage.BeginWriteAsync("lost.bin"), new MemoryStream(first));

        // Merges the recorded short piece into a longer one, but its write is never recorded (a checksum mismatch).
        await storage.AppendAsync(recorded, new MemoryStream(RandomBytes(4 * MiB, seed: 4)));
        var second = RandomBytes(MiB, seed: 5);
        var write = await storage.AppendAsync(recorded, new MemoryStream(second));
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(await Sha256Async(storage, info.Name), Is.EqualTo(Sha256([.. first, .. second])));
    }

    [Test]
    public async Task AppendAsync_FromAWriteThatALaterRecordedOneReplaced_FailsWithoutTouchingTheFile()
    {
        using var storage = CreateStorage(out _);
        var first = RandomBytes(3 * MiB, seed: 6);
        var second = RandomBytes(3 * MiB, seed: 7);
        var stale = await storage.AppendAsync(await storage.BeginWriteAsync("stale.bin"), new MemoryStream(first));
        var merged = await storage.AppendAsync(stale, new MemoryStream(second));
        var write = await storage.AppendAsync(merged, new MemoryStream([1, 2, 3]));

        // A server that lost its lock still holds the old write; its short piece is gone, so it cannot mix bytes in.
        Assert.That(
            async () => await storage.AppendAsync(stale, new MemoryStream(RandomBytes(3 * MiB, seed: 8))),
            Throws.InstanceOf<InvalidOperationException>());
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(await Sha256Async(storage, info.Name), Is.EqualTo(Sha256([.. first, .. second, 1, 2, 3])));
    }

    [Test]
    public async Task CompleteWriteAsync_ShortFileWhoseNameIsTakenAfterTheCheck_StoresUnderTheNextFreeName()
    {
        var rival = RandomBytes(10, seed: 9);
        var content = RandomBytes(100, seed: 10);
        using var client = new ScriptedS3Client();
        using var storage = CreateStorage(client, NewPrefix());
        client.BeforeWrite = key => TakeNameAsync(client, key, rival);
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("report.pdf"), new MemoryStream(content));

        var info = await storage.CompleteWriteAsync(write);

        Assert.That(info.Name, Does.StartWith("report_").And.EndWith(".pdf"));
        Assert.That(await Sha256Async(storage, "report.pdf"), Is.EqualTo(Sha256(rival)));
        Assert.That(await Sha256Async(storage, info.Name), Is.EqualTo(Sha256(content)));
    }

    [Test]
    public async Task CompleteWriteAsync_NameTakenAfterTheFirstPart_FailsKeepsTheOtherFileAndRemovesTheWrite()
    {
        var rival = RandomBytes(10, seed: 9);
        var content = RandomBytes(6 * MiB, seed: 10);
        using var client = new ScriptedS3Client();
        using var storage = CreateStorage(client, NewPrefix());
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("report.pdf"), new MemoryStream(content));
        client.BeforeWrite = key => TakeNameAsync(client, key, rival);

        // S3 completes an upload only under the name it was created for, and the write may not replace another file.
        Assert.That(async () => await storage.CompleteWriteAsync(write), Throws.InstanceOf<IOException>().With.Message.Contains("another writer"));

        Assert.That(await Sha256Async(storage, "report.pdf"), Is.EqualTo(Sha256(rival)));
        var names = new List<string>();
        await foreach (var file in storage.ListAsync())
        {
            names.Add(file.Name);
        }

        Assert.That(names, Is.EqualTo(new[] { "report.pdf" }));
    }

    [Test]
    public async Task CompleteWriteAsync_AfterALostFirstAppendThatCreatedAnUpload_AbortsThatUpload()
    {
        using var storage = CreateStorage(out _);
        var begun = await storage.BeginWriteAsync("twice.bin");
        await storage.AppendAsync(begun, new MemoryStream(RandomBytes(6 * MiB, seed: 14)));
        var content = RandomBytes(6 * MiB, seed: 15);

        var info = await storage.CompleteWriteAsync(await storage.AppendAsync(begun, new MemoryStream(content)));

        // The tear-down finds no multipart upload left: the lost append's upload was found by its marker and aborted.
        Assert.That(await Sha256Async(storage, info.Name), Is.EqualTo(Sha256(content)));
    }

    [Test]
    public async Task CompleteWriteAsync_CommitFails_LeavesTheWriteToCompleteAgain()
    {
        var prefix = NewPrefix();
        var content = RandomBytes((6 * MiB) + 5, seed: 11);
        using var client = new ScriptedS3Client();
        using var storage = CreateStorage(client, prefix);
        client.BeforeWrite = _ =>
        {
            client.BeforeWrite = null;
            throw new AmazonS3Exception(
                "The store is unavailable.", ErrorType.Receiver, "ServiceUnavailable", "1", System.Net.HttpStatusCode.ServiceUnavailable);
        };
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("retry.bin"), new MemoryStream(content));

        Assert.That(async () => await storage.CompleteWriteAsync(write), Throws.InstanceOf<AmazonS3Exception>());
        Assert.That(await storage.ExistsAsync("retry.bin"), Is.False);
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(info.Name, Is.EqualTo("retry.bin"));
        Assert.That(await Sha256Async(storage, info.Name), Is.EqualTo(Sha256(content)));
    }

    [TestCase(10)]
    [TestCase((6 * 1024 * 1024) + 1)]
    public async Task CompleteWriteAsync_StoresTheHeadersAndMetadataASaveStores(int length)
    {
        using var storage = CreateStorage(out var prefix, new() { ["CacheControl"] = "max-age=60", ["ContentDisposition"] = "inline" });
        var content = RandomBytes(length, seed: 12);
        var options = new FileSaveOptions { ContentType = "application/pdf" };
        options.Metadata["owner"] = "alice";
        var saved = await storage.SaveAsync("saved.pdf", new MemoryStream(content), options);
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("resumed.pdf", options), new MemoryStream(content));

        var info = await storage.CompleteWriteAsync(write);

        using var client = S3rverFixture.CreateClient();
        var expected = await client.GetObjectMetadataAsync(S3rverFixture.BucketName, $"{prefix}/{saved}");
        var actual = await client.GetObjectMetadataAsync(S3rverFixture.BucketName, $"{prefix}/{info.Name}");
        Assert.That(actual.Headers.ContentType, Is.EqualTo(expected.Headers.ContentType));
        Assert.That(actual.Headers.ContentDisposition, Is.EqualTo(expected.Headers.ContentDisposition).And.EqualTo("inline"));
        Assert.That(actual.Headers.CacheControl, Is.EqualTo(expected.Headers.CacheControl).And.EqualTo("max-age=60"));
        Assert.That(actual.Metadata.Keys, Is.EquivalentTo(expected.Metadata.Keys));
        Assert.That(actual.Metadata["owner"], Is.EqualTo("alice"));
        Assert.That(actual.ContentLength, Is.EqualTo(length));
    }

    [Test]
    public async Task ReservedFolder_IsNotListed_AndItsNamesAreRefused()
    {
        using var storage = CreateStorage(out var prefix);
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("pending.bin"), new MemoryStream(RandomBytes(100, seed: 13)));
        await storage.SaveAsync("visible.txt", new MemoryStream([1]));
        var piece = (await PieceKeysAsync(prefix)).Single()[(prefix.Length + 1)..];

        var listed = new List<string>();
        await foreach (var file in storage.ListAsync())
        {
            listed.Add(file.Name);
        }

        Assert.That(listed, Is.EqualTo(new[] { "visible.txt" }));
        Assert.That(async () => await storage.ExistsAsync(piece), Throws.InstanceOf<SuspiciousFileNameException>());
        Assert.That(async () => await storage.DeleteAsync(piece), Throws.InstanceOf<SuspiciousFileNameException>());
        Assert.That(
            async () => await storage.SaveAsync(".UploadKit/resumable/x", new MemoryStream([1])), Throws.InstanceOf<SuspiciousFileNameException>());
        Assert.That(async () => await storage.BeginWriteAsync(".uploadkit-x.bin"), Throws.InstanceOf<SuspiciousFileNameException>());
        await storage.AbortWriteAsync(write);
        Assert.That(await PieceKeysAsync(prefix), Is.Empty);
    }

    [Test]
    public async Task AppendAsync_StateOfAnotherStorageKind_IsRefused()
    {
        using var storage = CreateStorage(out _);
        var foreign = new ResumableWrite("a.bin", 0, """{"Id":"0123456789abcdef0123456789abcdef"}""");
        var forged = new ResumableWrite("a.bin", 5, """{"id":"0123456789abcdef0123456789abcdef","p":["../../x:5"]}""");

        Assert.That(async () => await storage.AppendAsync(foreign, new MemoryStream([1])), Throws.ArgumentException);
        Assert.That(async () => await storage.AppendAsync(forged, new MemoryStream([1])), Throws.ArgumentException);
        Assert.That(async () => await storage.CompleteWriteAsync(forged), Throws.ArgumentException);
    }

    private string NewPrefix()
    {
        var prefix = "resumable-" + Guid.NewGuid().ToString("N");
        _prefixes.Add(prefix);
        return prefix;
    }

    private S3Storage CreateStorage(out string prefix, Dictionary<string, string?>? overrides = null)
    {
        prefix = NewPrefix();
        var settings = new Dictionary<string, string?>(overrides ?? []) { ["KeyPrefix"] = prefix, ["Overwrite"] = "false" };
        return S3rverFixture.CreateStorage(settings);
    }

    private static S3Storage CreateStorage(ScriptedS3Client client, string prefix)
    {
        var options = new S3StorageOptions
        {
            Bucket = S3rverFixture.BucketName,
            KeyPrefix = prefix,
            ChunkSize = S3StorageOptions.MinimumPartSize,
            MaxConcurrency = 2,
        };
        return new S3Storage(client, options, null, ownsClient: false, NullLogger.Instance, TimeProvider.System, "scripted");
    }

    private static async Task TakeNameAsync(ScriptedS3Client client, string key, byte[] content)
    {
        // Another writer creates the name after the storage found it free, before the file is committed.
        client.BeforeWrite = null;
        using var other = S3rverFixture.CreateClient();
        await other.PutObjectAsync(
            new PutObjectRequest { BucketName = S3rverFixture.BucketName, Key = key, InputStream = new MemoryStream(content) });
    }

    private static async Task<List<string>> PieceKeysAsync(string prefix) => [.. (await ListPiecesAsync(prefix)).Select(o => o.Key)];

    private static async Task<List<long>> PieceSizesAsync(string prefix) => [.. (await ListPiecesAsync(prefix)).Select(o => o.Size ?? -1)];

    private static async Task<List<S3Object>> ListPiecesAsync(string prefix)
    {
        using var client = S3rverFixture.CreateClient();
        var response = await client.ListObjectsV2Async(
            new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = $"{prefix}/{S3Storage.ReservedPrefix}/" });
        return [.. (response.S3Objects ?? []).Where(o => !o.Key.Contains("/" + S3Storage.UploadMarker, StringComparison.Ordinal))];
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task<string> Sha256Async(IFileStorage storage, string name)
    {
        await using var stream = await storage.OpenReadAsync(name);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
    }

    /// <summary>An S3 client on s3rver that runs a step just before an object is committed (a <c>PUT</c> or a multipart completion).</summary>
    private sealed class ScriptedS3Client() : AmazonS3Client(
        new BasicAWSCredentials("S3RVER", "S3RVER"),
        S3StorageFactory.CreateClientConfig(new S3StorageOptions
        {
            Endpoint = new Uri(S3rverFixture.ServiceUrl),
            ForcePathStyle = true,
            RequestChecksumCalculation = S3ChecksumMode.WhenRequired,
        }))
    {
        public Func<string, Task>? BeforeWrite { get; set; }

        public override async Task<CompleteMultipartUploadResponse> CompleteMultipartUploadAsync(
            CompleteMultipartUploadRequest request, CancellationToken cancellationToken = default)
        {
            await RunAsync(request.Key);
            return await base.CompleteMultipartUploadAsync(request, cancellationToken);
        }

        public override async Task<PutObjectResponse> PutObjectAsync(PutObjectRequest request, CancellationToken cancellationToken = default)
        {
            if (!request.Key.Contains("/" + S3Storage.ReservedPrefix + "/", StringComparison.Ordinal))
            {
                await RunAsync(request.Key);
            }

            return await base.PutObjectAsync(request, cancellationToken);
        }

        private async Task RunAsync(string key)
        {
            if (BeforeWrite is { } step)
            {
                await step(key);
            }
        }
    }
}
