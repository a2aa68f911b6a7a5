using System.Text.Json;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>
/// What is GCS's own in resumable writes: the 32-source compose limit, the component limit, generations that keep a
/// lost append out of the file, and a completion that moves no bytes.
/// </summary>
public sealed class GcsResumableWriteTests : GcsIntegrationTest
{
    private const string Folder = ".uploadkit/resumable/";

    [Test]
    public async Task Append_HundredTimes_KeepsAtMost32ObjectsInTheStateAndCompletesWithOneCompose()
    {
        using var storage = Storage();
        var random = new Random(3);
        var expected = new MemoryStream();
        var write = await storage.BeginWriteAsync("many.bin");
        var largestState = 0;
        var largestFolder = 0;
        for (var i = 0; i < 100; i++)
        {
            var data = RandomBytes(random.Next(1, 3000), seed: i);
            expected.Write(data);
            write = await storage.AppendAsync(write, new MemoryStream(data));
            largestState = Math.Max(largestState, PieceCount(write));
            largestFolder = Math.Max(largestFolder, FolderObjects().Count);
        }

        var composesBefore = Server.ComposeRequests;
        var info = await storage.CompleteWriteAsync(write);

        Assert.Multiple(() =>
        {
            Assert.That(info.Length, Is.EqualTo(expected.Length));
            Assert.That(StoredSha256("many.bin"), Is.EqualTo(Sha256Hex(expected.ToArray())));
            Assert.That(largestState, Is.LessThanOrEqualTo(32), "a completion never needs more than one compose");
            Assert.That(largestFolder, Is.LessThanOrEqualTo(32), "a fold removes the objects it replaces");
            Assert.That(Server.ComposeRequests - composesBefore, Is.EqualTo(1));
            Assert.That(Server.Find(Bucket, "many.bin")!.ComponentCount, Is.EqualTo(100));
            Assert.That(FolderObjects(), Is.Empty);
        });
    }

    [Test]
    public async Task Append_PastTheComponentLimit_CopiesTheWriteIntoOnePlainObjectAndCompletes()
    {
        using var storage = Storage();
        storage.ComponentLimit = 40;
        Server.ComponentLimit = 40;
        try
        {
            var (write, expected) = await AppendManyAsync(storage, "limit.bin", 100, i => 100 + i);

            await storage.CompleteWriteAsync(write);

            Assert.Multiple(() =>
            {
                Assert.That(StoredSha256("limit.bin"), Is.EqualTo(Sha256Hex(expected)));
                Assert.That(Server.Find(Bucket, "limit.bin")!.ComponentCount, Is.LessThanOrEqualTo(40));
                Assert.That(FolderObjects(), Is.Empty);
            });
        }
        finally
        {
            Server.ComponentLimit = 1024;
        }
    }

    [Test]
    public async Task Complete_StoresTheSameTypeDispositionCacheControlAclAndMetadataAsASave()
    {
        using var storage = Storage(o =>
        {
            o.CacheControl = "public, max-age=60";
            o.DefaultAcl = "publicRead";
        });
        FileSaveOptions Options()
        {
            var options = new FileSaveOptions { ContentType = "text/html" };
            options.Metadata["owner"] = "alice";
            options.Metadata["Album"] = "Blue";
            return options;
        }

        var data = RandomBytes(5000);
        await storage.SaveAsync("saved.html", new MemoryStream(data), Options());
        var write = await storage.BeginWriteAsync("resumed.html", Options());
        var info = await storage.CompleteWriteAsync(await storage.AppendAsync(write, new MemoryStream(data)));

        var saved = Server.Find(Bucket, "saved.html")!;
        var resumed = Server.Find(Bucket, "resumed.html")!;
        var read = (await storage.GetMetadataAsync("resumed.html"))!;
        Assert.Multiple(() =>
        {
            Assert.That(resumed.ContentType, Is.EqualTo(saved.ContentType));
            Assert.That(resumed.ContentDisposition, Is.EqualTo(saved.ContentDisposition).And.EqualTo("attachment"));
            Assert.That(resumed.CacheControl, Is.EqualTo(saved.CacheControl));
            Assert.That(resumed.Acl, Is.EqualTo(saved.Acl).And.EqualTo("publicRead"));
            Assert.That(resumed.Metadata, Is.EquivalentTo(saved.Metadata));
            Assert.That(info.Metadata, Is.EquivalentTo(read.Metadata));
            Assert.That(read.Checksums.Keys, Does.Contain("crc32c"), "a composite object has a CRC32C but no MD5");
            Assert.That(StoredSha256("resumed.html"), Is.EqualTo(StoredSha256("saved.html")));
        });
    }

    [Test]
    public async Task Complete_SendsNoBytes_OnlyOneComposeAndDeletes()
    {
        using var storage = Storage();
        var write = await storage.BeginWriteAsync("big.bin");
        for (var i = 0; i < 3; i++)
        {
            write = await storage.AppendAsync(write, new MemoryStream(RandomBytes(GcsStorageOptions.ChunkSizeUnit * 5 + i, seed: i)));
        }

        var before = Server.RequestLog.Count;
        await storage.CompleteWriteAsync(write);

        var completion = Server.RequestLog.Skip(before).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(completion.Where(r => r.Contains("/upload/", StringComparison.Ordinal)), Is.Empty, "no byte is uploaded again");
            Assert.That(completion.Count(r => r.Contains("/compose", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(
                completion.Where(r => r.Contains("rewriteTo", StringComparison.Ordinal) || r.Contains("alt=media", StringComparison.Ordinal)),
                Is.Empty);
            Assert.That(FolderObjects(), Is.Empty);
        });
    }

    [Test]
    public async Task Append_LostWhileAnotherServerContinues_NeverReachesTheFile()
    {
        using var storage = Storage();
        using var other = Storage();
        var first = RandomBytes(1000, seed: 1);
        var retried = RandomBytes(700, seed: 2);
        var recorded = await storage.AppendAsync(await storage.BeginWriteAsync("raced.bin"), new MemoryStream(first));
        using var slow = new GeneratedStream(900, seed: 3) { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };

        // The first server's append stalls, its lease runs out, and the other server appends from the same recorded write.
        var lost = storage.AppendAsync(recorded, slow);
        await slow.FirstRead.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var continued = await other.AppendAsync(recorded, new MemoryStream(retried));
        slow.Gate.SetResult();
        await lost;
        var info = await other.CompleteWriteAsync(continued);

        Assert.That(StoredSha256(info.Name), Is.EqualTo(Sha256Hex([.. first, .. retried])));
        Assert.That(FolderObjects(), Is.Empty);
    }

    [Test]
    public async Task Append_FromAnOlderRecordedWriteAfterAFold_LeavesTheNewerWriteWhole()
    {
        using var storage = Storage();
        var (write, folded) = await AppendManyAsync(storage, "folded.bin", 33, i => 10 + i);
        Assert.That(PieceCount(write), Is.EqualTo(2), "the 33rd append folded the first 32");
        var next = RandomBytes(50, seed: 100);
        var newer = await storage.AppendAsync(write, new MemoryStream(next));

        // A stale server appends from the write recorded before: what it adds is never part of the newer write.
        await storage.AppendAsync(write, new MemoryStream(RandomBytes(60, seed: 101)));
        await storage.CompleteWriteAsync(newer);

        Assert.That(StoredSha256("folded.bin"), Is.EqualTo(Sha256Hex([.. folded, .. next])));
        Assert.That(FolderObjects(), Is.Empty);
    }

    [Test]
    public async Task Complete_FromTheRecordedWrite_AfterAnAppendThatFoldedThenFailed_ComposesTheFold()
    {
        using var storage = Storage();
        var (write, expected) = await AppendManyAsync(storage, "refolded.bin", 32, i => 20 + i);
        using var failing = new GeneratedStream(1000) { FailAt = 10 };

        Assert.That(async () => await storage.AppendAsync(write, failing), Throws.InstanceOf<IOException>());
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(StoredSha256(info.Name), Is.EqualTo(Sha256Hex(expected)));
        Assert.That(FolderObjects(), Is.Empty);
    }

    [Test]
    public async Task Append_RetriedFromTheRecordedWrite_AfterAFoldThatWasNotRecorded_GoesOnFromThatFold()
    {
        using var storage = Storage();
        var (write, expected) = await AppendManyAsync(storage, "retried.bin", 32, i => 20 + i);
        var last = RandomBytes(77, seed: 77);

        await storage.AppendAsync(write, new MemoryStream(RandomBytes(50, seed: 50)));
        var composes = Server.ComposeRequests;
        var retried = await storage.AppendAsync(write, new MemoryStream(last));
        var info = await storage.CompleteWriteAsync(retried);

        Assert.That(StoredSha256(info.Name), Is.EqualTo(Sha256Hex([.. expected, .. last])));
        Assert.That(Server.ComposeRequests - composes, Is.EqualTo(2), "the retry's fold finds the first one; then the completion");
        Assert.That(FolderObjects(), Is.Empty);
    }

    [Test]
    public async Task Append_OfSeveralChunks_IsStreamedInChunkSizeRequests()
    {
        using var storage = Storage();
        var data = RandomBytes((3 * GcsStorageOptions.ChunkSizeUnit * 4) + 17);
        var chunks = Server.ChunkRequests;

        var write = await storage.AppendAsync(await storage.BeginWriteAsync("long.bin"), new UnseekableStream(data));
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(Server.ChunkRequests - chunks, Is.GreaterThanOrEqualTo(4), "a 3 MiB append goes in 1 MiB requests, not held whole");
        Assert.That(StoredSha256(info.Name), Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task Append_WhoseContentFails_CancelsItsUploadSession()
    {
        using var storage = Storage();
        var recorded = await storage.AppendAsync(await storage.BeginWriteAsync("cut.bin"), new MemoryStream(RandomBytes(100)));
        var cancelled = Server.SessionsCancelled;

        using var failing = new GeneratedStream(12 * GcsStorageOptions.ChunkSizeUnit) { FailAt = 5 * GcsStorageOptions.ChunkSizeUnit };

        Assert.That(async () => await storage.AppendAsync(recorded, failing), Throws.InstanceOf<IOException>());

        Assert.That(Server.SessionsCancelled, Is.EqualTo(cancelled + 1));
        Assert.That(Server.OpenSessionsIn(Bucket), Is.Empty);
        await storage.AbortWriteAsync(recorded);
        Assert.That(FolderObjects(), Is.Empty);
    }

    [Test]
    public async Task ListAsync_DuringAWrite_ShowsOnlyFiles()
    {
        using var storage = Storage();
        await storage.SaveAsync("a.txt", new MemoryStream(RandomBytes(10)));
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("b.txt"), new MemoryStream(RandomBytes(10)));

        var names = new List<string>();
        await foreach (var file in storage.ListAsync())
        {
            names.Add(file.Name);
        }

        Assert.That(names, Is.EqualTo(new[] { "a.txt" }));
        Assert.That(FolderObjects(), Has.Count.EqualTo(1));
        await storage.AbortWriteAsync(write);
    }

    [Test]
    public async Task Append_WithAStateThatDoesNotMatch_IsRefused()
    {
        using var storage = Storage();
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("c.bin"), new MemoryStream(RandomBytes(10)));

        Assert.Multiple(() =>
        {
            Assert.That(
                async () => await storage.AppendAsync(new ResumableWrite("c.bin", 11, write.State), new MemoryStream([1])),
                Throws.ArgumentException);
            Assert.That(
                async () => await storage.AppendAsync(new ResumableWrite("c.bin", 0, "{\"id\":\"../x\"}"), new MemoryStream([1])),
                Throws.ArgumentException);
            Assert.That(
                async () => await storage.CompleteWriteAsync(new ResumableWrite("c.bin", 0, "not json")),
                Throws.ArgumentException);
        });
        await storage.AbortWriteAsync(write);
    }

    private static async Task<(ResumableWrite Write, byte[] Content)> AppendManyAsync(GcsStorage storage, string name, int count, Func<int, int> size)
    {
        var content = new MemoryStream();
        var write = await storage.BeginWriteAsync(name);
        for (var i = 0; i < count; i++)
        {
            var data = RandomBytes(size(i), seed: i);
            content.Write(data);
            write = await storage.AppendAsync(write, new MemoryStream(data));
        }

        return (write, content.ToArray());
    }

    private static int PieceCount(ResumableWrite write)
    {
        using var state = JsonDocument.Parse(write.State);
        return state.RootElement.TryGetProperty("pieces", out var pieces) ? pieces.GetArrayLength() : 0;
    }

    private List<string> FolderObjects() => [.. Server.ObjectNames(Bucket).Where(n => n.StartsWith(Folder, StringComparison.Ordinal))];
}

/// <summary>Known bytes as a stream that cannot seek, so the client cannot learn the length up front.</summary>
internal sealed class UnseekableStream(byte[] data) : MemoryStream(data, writable: false)
{
    public override bool CanSeek => false;
}
