using System.Security.Cryptography;

namespace UploadKit.Testing;

/// <summary>
/// What every storage that takes resumable uploads does the same way (<see cref="IResumableFileStorage"/>), run against
/// each backend's real store or its emulator: a backend's test project derives a fixture from this class.
/// </summary>
public abstract class ResumableStorageContract
{
    private readonly List<IFileStorage> _storages = [];

    /// <summary>Gets the storage under test: fresh and empty, create-only.</summary>
    protected IFileStorage Storage { get; private set; } = null!;

    /// <summary>Gets the storage under test as a resumable one.</summary>
    protected IResumableFileStorage Resumable => (IResumableFileStorage)Storage;

    /// <summary>Gets the size appends are shaped around: the store's smallest part (5 MiB for S3), or a buffer size.</summary>
    protected virtual int PartSize => 64 * 1024;

    /// <summary>Creates the storage under test.</summary>
    [SetUp]
    public async Task CreateContractStorageAsync() => Storage = await NewStorageAsync();

    /// <summary>Disposes every storage the test created and removes what they kept.</summary>
    [TearDown]
    public async Task DisposeContractStoragesAsync()
    {
        foreach (var storage in _storages)
        {
            (storage as IDisposable)?.Dispose();
        }

        _storages.Clear();
        await DeleteStoreAsync();
    }

    [Test]
    public async Task Appends_OfEverySizeAroundAPart_CompleteToTheSameBytes()
    {
        var sizes = new[] { 1, PartSize - 1, PartSize + 1, 7, PartSize, 2 * PartSize + 3, 0, 5 };
        var content = RandomBytes(sizes.Sum());
        var write = await Resumable.BeginWriteAsync("videos/clip.bin");
        var offset = 0;
        foreach (var size in sizes)
        {
            write = await Resumable.AppendAsync(write, new ContractStream(content[offset..(offset + size)]));
            offset += size;
            Assert.That(write.Length, Is.EqualTo(offset));
        }

        var info = await Resumable.CompleteWriteAsync(write);

        Assert.That(info.Name, Is.EqualTo("videos/clip.bin"));
        Assert.That(info.Length, Is.EqualTo(content.Length));
        Assert.That(await StoredSha256Async(info.Name), Is.EqualTo(Sha256(content)));
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task Complete_WithoutAppends_StoresAnEmptyFile()
    {
        var write = await Resumable.BeginWriteAsync("empty.txt");

        var info = await Resumable.CompleteWriteAsync(write);

        Assert.That(info.Length, Is.Zero);
        Assert.That((await Storage.GetMetadataAsync(info.Name))!.Length, Is.Zero);
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task Append_ThatWasNotRecorded_IsReplacedByTheNextAppendFromTheRecordedWrite()
    {
        var first = RandomBytes(PartSize + 10, seed: 1);
        var discarded = RandomBytes(PartSize + 20, seed: 2);
        var second = RandomBytes(PartSize / 2, seed: 3);
        var recorded = await Resumable.AppendAsync(await Resumable.BeginWriteAsync("a.bin"), new ContractStream(first));
        await Resumable.AppendAsync(recorded, new ContractStream(discarded));

        var write = await Resumable.AppendAsync(recorded, new ContractStream(second));
        var info = await Resumable.CompleteWriteAsync(write);

        Assert.That(await StoredSha256Async(info.Name), Is.EqualTo(Sha256([.. first, .. second])));
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task Append_WhoseContentFails_LeavesTheRecordedWriteToContinue()
    {
        var first = RandomBytes(PartSize + 1, seed: 4);
        var broken = RandomBytes(2 * PartSize, seed: 5);
        var rest = RandomBytes(100, seed: 6);
        var recorded = await Resumable.AppendAsync(await Resumable.BeginWriteAsync("b.bin"), new ContractStream(first));

        Assert.That(
            async () => await Resumable.AppendAsync(recorded, new ContractStream(broken, failAt: PartSize + 7)),
            Throws.InstanceOf<IOException>());
        var info = await Resumable.CompleteWriteAsync(await Resumable.AppendAsync(recorded, new ContractStream(rest)));

        Assert.That(await StoredSha256Async(info.Name), Is.EqualTo(Sha256([.. first, .. rest])));
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task Abort_RemovesEverything_AndMayBeRepeated()
    {
        var write = await Resumable.BeginWriteAsync("gone.bin");
        write = await Resumable.AppendAsync(write, new ContractStream(RandomBytes(PartSize + 3)));
        await Resumable.AppendAsync(write, new ContractStream(RandomBytes(PartSize + 5)));

        await Resumable.AbortWriteAsync(write);
        await Resumable.AbortWriteAsync(write);

        Assert.That(await Storage.ExistsAsync("gone.bin"), Is.False);
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task Abort_AfterTheFirstAppendWasNotRecorded_RemovesWhatThatAppendWrote()
    {
        var begun = await Resumable.BeginWriteAsync("lost-first.bin");
        await Resumable.AppendAsync(begun, new ContractStream(RandomBytes(PartSize + 11, seed: 11)));

        await Resumable.AbortWriteAsync(begun);

        Assert.That(await Storage.ExistsAsync("lost-first.bin"), Is.False);
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task Complete_WhenTheNameIsTaken_UsesAFreeNameAndKeepsTheExistingFile()
    {
        var existing = RandomBytes(10, seed: 7);
        var content = RandomBytes(PartSize + 9, seed: 8);
        var write = await Resumable.BeginWriteAsync("report.pdf");
        await Storage.SaveAsync("report.pdf", new MemoryStream(existing));

        var info = await Resumable.CompleteWriteAsync(await Resumable.AppendAsync(write, new ContractStream(content)));

        Assert.That(info.Name, Is.Not.EqualTo("report.pdf"));
        Assert.That(info.Name, Does.StartWith("report_").And.EndWith(".pdf"));
        Assert.That(await StoredSha256Async("report.pdf"), Is.EqualTo(Sha256(existing)));
        Assert.That(await StoredSha256Async(info.Name), Is.EqualTo(Sha256(content)));
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task Complete_KeepsTheMediaTypeAndMetadataGivenAtTheStart()
    {
        var options = new FileSaveOptions { ContentType = "text/plain" };
        options.Metadata["owner"] = "alice";
        var write = await Resumable.BeginWriteAsync("notes.txt", options);

        var info = await Resumable.CompleteWriteAsync(await Resumable.AppendAsync(write, new ContractStream("hello"u8.ToArray())));

        var stored = await Storage.GetMetadataAsync(info.Name);
        Assert.That(stored!.ContentType, Does.StartWith("text/plain"));
        Assert.That(stored.Metadata["owner"], Is.EqualTo("alice"));
    }

    [Test]
    public async Task Write_ContinuesOnAnotherInstanceOfTheStorage_FromItsRecordedState()
    {
        var first = RandomBytes(PartSize + 2, seed: 9);
        var second = RandomBytes(PartSize + 4, seed: 10);
        var recorded = await Resumable.AppendAsync(await Resumable.BeginWriteAsync("moved.bin"), new ContractStream(first));
        var other = (IResumableFileStorage)await CreateSiblingStorageAsync();
        var carried = new ResumableWrite(recorded.Name, recorded.Length, recorded.State);

        var info = await other.CompleteWriteAsync(await other.AppendAsync(carried, new ContractStream(second)));

        Assert.That(await StoredSha256Async(info.Name), Is.EqualTo(Sha256([.. first, .. second])));
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public void Begin_WithAnUnsafeName_IsRefused() =>
        Assert.That(async () => await Resumable.BeginWriteAsync("../outside.bin"), Throws.InstanceOf<SuspiciousFileNameException>());

    /// <summary>Creates a fresh, empty, create-only storage on the backend (its own folder, container or prefix).</summary>
    /// <returns>The storage; it must implement <see cref="IResumableFileStorage"/>.</returns>
    protected abstract Task<IFileStorage> CreateStorageAsync();

    /// <summary>
    /// Creates a second instance over the same store location as <see cref="Storage"/>, as another app server would
    /// have.
    /// </summary>
    /// <returns>The storage.</returns>
    protected abstract Task<IFileStorage> CreateSiblingStorageAsync();

    /// <summary>Lists what the store holds for the test's storages beyond their files: temporary files, parts, blocks, side objects.</summary>
    /// <returns>A description of each leftover.</returns>
    protected abstract Task<IReadOnlyList<string>> LeftoversAsync();

    /// <summary>Removes what the test's storages kept in the store; nothing by default.</summary>
    /// <returns>A task.</returns>
    protected virtual Task DeleteStoreAsync() => Task.CompletedTask;

    /// <summary>Deterministic pseudo-random bytes.</summary>
    /// <param name="length">How many.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The bytes.</returns>
    protected static byte[] RandomBytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The SHA-256 of <paramref name="bytes"/> as lower-case hexadecimal.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The hash.</returns>
    protected static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Registers a storage the test created, so that it is disposed after the test.</summary>
    /// <param name="storage">The storage.</param>
    /// <returns><paramref name="storage"/>.</returns>
    protected IFileStorage Track(IFileStorage storage)
    {
        _storages.Add(storage);
        return storage;
    }

    private async Task<IFileStorage> NewStorageAsync() => Track(await CreateStorageAsync());

    private async Task<string> StoredSha256Async(string name)
    {
        await using var stream = await Storage.OpenReadAsync(name);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
    }
}
