using System.Security.Cryptography;
using Azure.Storage.Blobs.Models;
using UploadKit.Storage.Azure.Internal;

namespace UploadKit.Storage.Azure.Tests.Integration;

/// <summary>Resumable writes on Azurite where Azure has risks of its own: block ids, tails, the block limit, names, properties.</summary>
[Category("Integration")]
public sealed class AzureResumableWriteTests
{
    private const int BlockSize = 1024;
    private readonly List<string> _containers = [];

    [TearDown]
    public Task DeleteContainersAsync() => AzuriteServer.DeleteContainersAsync(_containers);

    [Test]
    public async Task Append_StagedLateFromTheSameRecordedWrite_IsNotCommitted()
    {
        // Server A lost its lock mid-append; server B appended from the same recorded write and recorded its own. A's
        // blocks, staged after B's at the same positions, must not replace them.
        var storage = await CreateStorageAsync();
        var recorded = await storage.AppendAsync(await storage.BeginWriteAsync("late.bin"), new PatternStream(1500, 1));
        var byB = await storage.AppendAsync(recorded, new PatternStream(2500, 2));
        await storage.AppendAsync(recorded, new PatternStream(2500, 3));

        var info = await storage.CompleteWriteAsync(byB);

        Assert.That(await ReadAsync(storage, info.Name), Is.EqualTo([.. PatternStream.Bytes(1500, 1), .. PatternStream.Bytes(2500, 2)]));
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Appends_OfAnySize_StageWholeBlocks_KeepingShortTailsAside()
    {
        var storage = await CreateStorageAsync();
        var (write, expected) = await AppendAllAsync(storage, "tails.bin", [1, 3, (2 * BlockSize) + 5, BlockSize, 0, 700], seed: 10);

        var blocks = await StagedBlockSizesAsync(storage, write);
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(blocks, Is.EqualTo(new long[] { BlockSize, BlockSize, BlockSize }));
        Assert.That(info.Length, Is.EqualTo(expected.Length));
        Assert.That(await ReadAsync(storage, info.Name), Is.EqualTo(expected));
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Appends_OfOneByte_CostNoBlocks()
    {
        var storage = await CreateStorageAsync(blockSize: 64);
        var write = await storage.BeginWriteAsync("bytes.bin");
        var expected = PatternStream.Bytes(200, 15);
        foreach (var value in expected)
        {
            write = await storage.AppendAsync(write, new MemoryStream([value]));
        }

        var blocks = await StagedBlockSizesAsync(storage, write);
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(blocks, Is.EqualTo(new long[] { 64, 64, 64 }));
        Assert.That(await ReadAsync(storage, info.Name), Is.EqualTo(expected));
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Appends_EndingInAQuarterMiBOrMore_StageItAsAShortBlock()
    {
        var storage = await CreateStorageAsync(blockSize: 512 * 1024);
        var (write, expected) = await AppendAllAsync(storage, "short.bin", [300 * 1024, 10, 512 * 1024, 100], seed: 16);

        var blocks = await StagedBlockSizesAsync(storage, write);
        var info = await storage.CompleteWriteAsync(write);

        Assert.That(blocks, Is.EqualTo(new long[] { 300 * 1024, 512 * 1024 }));
        Assert.That(await ReadAsync(storage, info.Name), Is.EqualTo(expected));
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Append_AfterTheKeptTailWasAborted_FailsClearly()
    {
        var storage = await CreateStorageAsync();
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("gone.bin"), new PatternStream(BlockSize + 10, 17));
        await storage.AbortWriteAsync(write);

        Assert.That(
            async () => await storage.AppendAsync(write, new PatternStream(10, 18)),
            Throws.InstanceOf<IOException>().With.Message.Contains("cannot continue"));
        Assert.That(async () => await storage.CompleteWriteAsync(write), Throws.InstanceOf<IOException>());
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Append_PastTheBlockLimit_IsRefusedAndTheRecordedWriteContinues()
    {
        var storage = await CreateStorageAsync();
        var begun = await storage.BeginWriteAsync("full.bin");
        var state = AzureResumableWriteState.Parse(begun);
        var tag = AzureResumableWriteState.NewTag();
        var near = (AzureResumableWriteState.MaxBlockCount - 1) * (long)BlockSize;
        var full = new ResumableWrite(begun.Name, near, state.With(new() { Tag = tag, Length = near }, null).Serialize());

        var refused = Assert.ThrowsAsync<IOException>(async () => await storage.AppendAsync(full, new PatternStream(2 * BlockSize, 20)));
        var last = await storage.AppendAsync(full, new PatternStream(BlockSize, 21));

        Assert.That(refused!.Message, Does.Contain("50000"));
        Assert.That(last.Length, Is.EqualTo(near + BlockSize));
        Assert.That(
            async () => await storage.AppendAsync(last, new PatternStream(1, 22)),
            Throws.InstanceOf<IOException>());
        await storage.AbortWriteAsync(last);
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Abort_RemovesUncommittedBlocks_AzureWouldOtherwiseKeepForAWeek()
    {
        var storage = await CreateStorageAsync();
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("kept.bin"), new PatternStream(3000, 30));
        var before = await AzureLeftovers.FindAsync(_containers);

        await storage.AbortWriteAsync(write);

        Assert.That(before, Has.Some.Contains("2 uncommitted blocks").And.Some.Contains(".tail-"));
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Complete_AfterAbort_FailsAndStoresNothing()
    {
        var storage = await CreateStorageAsync();
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("aborted.bin"), new PatternStream(2000, 40));
        await storage.AbortWriteAsync(write);

        Assert.That(async () => await storage.CompleteWriteAsync(write), Throws.InstanceOf<IOException>());
        Assert.That(await storage.ListAsync().ToListAsync(), Is.Empty);
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Writes_OfTheSameName_CompleteUnderTwoNames_NeitherLosingItsBlocks()
    {
        var storage = await CreateStorageAsync();
        var first = await storage.AppendAsync(await storage.BeginWriteAsync("photo.jpg"), new PatternStream(2500, 50));
        var second = await storage.AppendAsync(await storage.BeginWriteAsync("photo.jpg"), new PatternStream(1800, 51));
        await storage.SaveAsync("photo.jpg", new PatternStream(10, 52));

        var one = await storage.CompleteWriteAsync(await storage.AppendAsync(first, new PatternStream(100, 53)));
        var two = await storage.CompleteWriteAsync(second);

        Assert.That(new[] { one.Name, two.Name }, Is.Unique.And.All.Match("^photo_[A-Za-z0-9]{7}\\.jpg$"));
        Assert.That(await ReadAsync(storage, one.Name), Is.EqualTo([.. PatternStream.Bytes(2500, 50), .. PatternStream.Bytes(100, 53)]));
        Assert.That(await ReadAsync(storage, two.Name), Is.EqualTo(PatternStream.Bytes(1800, 51)));
        Assert.That(await ReadAsync(storage, "photo.jpg"), Is.EqualTo(PatternStream.Bytes(10, 52)));
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Complete_OnAnOverwritingStorage_ReplacesTheFile()
    {
        var storage = await CreateStorageAsync("\"Overwrite\": true");
        await storage.SaveAsync("same.txt", new PatternStream(10, 60));
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("same.txt"), new PatternStream(1500, 61));

        var info = await storage.CompleteWriteAsync(write);

        Assert.That(info.Name, Is.EqualTo("same.txt"));
        Assert.That(await ReadAsync(storage, "same.txt"), Is.EqualTo(PatternStream.Bytes(1500, 61)));
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Complete_StoresTheSamePropertiesAndMetadataKeysAsASave()
    {
        var storage = await CreateStorageAsync("\"CacheControl\": \"max-age=60\"");
        FileSaveOptions Options()
        {
            var options = new FileSaveOptions();
            options.Metadata["owner"] = "alice";
            options.Metadata["trackId"] = "42";
            return options;
        }

        var saved = await storage.SaveAsync("saved.html", new PatternStream(1500, 70), Options());
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("resumed.html", Options()), new PatternStream(1500, 70));
        var info = await storage.CompleteWriteAsync(write);

        var expected = (await storage.GetBlob(saved).GetPropertiesAsync()).Value;
        var actual = (await storage.GetBlob(info.Name).GetPropertiesAsync()).Value;
        Assert.Multiple(() =>
        {
            Assert.That(actual.ContentType, Is.EqualTo(expected.ContentType).And.EqualTo("text/html"));
            Assert.That(actual.ContentDisposition, Is.EqualTo(expected.ContentDisposition).And.StartsWith("attachment"));
            Assert.That(actual.CacheControl, Is.EqualTo(expected.CacheControl).And.EqualTo("max-age=60"));
            Assert.That(actual.Metadata, Is.EquivalentTo(expected.Metadata));
            Assert.That(info.Metadata["owner"], Is.EqualTo("alice"));
        });
    }

    [Test]
    public async Task Write_StaysOutOfTheStoragesNames_UntilItCompletes()
    {
        var storage = await CreateStorageAsync();
        var write = await storage.AppendAsync(await storage.BeginWriteAsync("hidden.bin"), new PatternStream(1500, 80));
        var staging = storage.GetStagingBlob(AzureResumableWriteState.Parse(write));
        await staging.CommitBlockListAsync([]);

        Assert.That(await storage.ListAsync().ToListAsync(), Is.Empty);
        Assert.That(await storage.ExistsAsync("hidden.bin"), Is.False);
        Assert.That(
            async () => await storage.SaveAsync(staging.Name, new PatternStream(1, 81)),
            Throws.InstanceOf<SuspiciousFileNameException>());
        Assert.That(async () => await storage.BeginWriteAsync(".uploadkit/x.bin"), Throws.InstanceOf<SuspiciousFileNameException>());
        await storage.AbortWriteAsync(write);
        Assert.That(await AzureLeftovers.FindAsync(_containers), Is.Empty);
    }

    [Test]
    public async Task Append_WithAStateFromAnotherStorage_IsRefused()
    {
        var storage = await CreateStorageAsync();
        var foreign = new ResumableWrite("a.bin", 0, "{\"Id\":\"0123456789abcdef0123456789abcdef\"}");
        var misstated = new ResumableWrite("a.bin", 5, (await storage.BeginWriteAsync("a.bin")).State);

        Assert.That(async () => await storage.AppendAsync(foreign, new PatternStream(1, 90)), Throws.ArgumentException);
        Assert.That(async () => await storage.AppendAsync(misstated, new PatternStream(1, 91)), Throws.ArgumentException);
    }

    private static async Task<long[]> StagedBlockSizesAsync(AzureBlobStorage storage, ResumableWrite write)
    {
        var staging = storage.GetStagingBlob(AzureResumableWriteState.Parse(write));
        var blocks = (await staging.GetBlockListAsync(BlockListTypes.Uncommitted)).Value.UncommittedBlocks;
        return [.. blocks.Select(b => b.SizeLong)];
    }

    private static async Task<byte[]> ReadAsync(IFileStorage storage, string name)
    {
        await using var stream = await storage.OpenReadAsync(name);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private Task<AzureBlobStorage> CreateStorageAsync(string extraOptions = "", int blockSize = BlockSize) =>
        AzuriteServer.CreateStorageAsync(
            _containers, $"\"ChunkSize\": {blockSize}, \"MaxConcurrency\": 3" + (extraOptions.Length > 0 ? ", " + extraOptions : ""));

    /// <summary>Appends content of each size (seeds from <paramref name="seed"/> on) to a new write of <paramref name="name"/>.</summary>
    private static async Task<(ResumableWrite Write, byte[] Expected)> AppendAllAsync(
        AzureBlobStorage storage, string name, int[] sizes, int seed)
    {
        var write = await storage.BeginWriteAsync(name);
        var expected = new List<byte>();
        for (var i = 0; i < sizes.Length; i++)
        {
            write = await storage.AppendAsync(write, new PatternStream(sizes[i], seed + i));
            expected.AddRange(PatternStream.Bytes(sizes[i], seed + i));
        }

        return (write, expected.ToArray());
    }
}
