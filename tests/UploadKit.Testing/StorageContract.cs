using System.Security.Cryptography;
using System.Text;

namespace UploadKit.Testing;

/// <summary>
/// What every storage does the same way, run against each backend's real store (or its emulator): a backend's test
/// project derives a fixture from this class and gives it a fresh, empty storage per test.
/// </summary>
public abstract class StorageContract
{
    private readonly List<IFileStorage> _storages = [];

    /// <summary>Gets the storage under test: fresh and empty, create-only (overwrite off).</summary>
    protected IFileStorage Storage { get; private set; } = null!;

    /// <summary>Gets how many saves of one name run at once in the concurrency test.</summary>
    protected virtual int ConcurrentSaves => 16;

    /// <summary>Creates the storage under test.</summary>
    [SetUp]
    public async Task CreateContractStorageAsync() => Storage = await NewStorageAsync(overwrite: false);

    /// <summary>Disposes every storage the test created, then checks that nothing was left behind.</summary>
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
    public async Task SaveAsync_UploadsOfActiveOrMisdeclaredContent_StoredWithServerTypeAndAttachment()
    {
        var outcome = await StoredContentScenarios.RunAsync(Storage);

        Assert.That(StoredContentScenarios.Violations(outcome), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_UnknownLengthStream_StoresSameBytes()
    {
        var content = RandomBytes(300_000);
        var name = await Storage.SaveAsync("tracks/song.mp3", new ContractStream(content));
        Assert.That(name, Is.EqualTo("tracks/song.mp3"));
        Assert.That(await StoredSha256Async(name), Is.EqualTo(Sha256(content)));
        Assert.That((await Storage.GetMetadataAsync(name))!.Length, Is.EqualTo(content.Length));
    }

    [Test]
    public async Task SaveAsync_EmptyStream_StoresEmptyFile()
    {
        var name = await Storage.SaveAsync("empty.txt", new MemoryStream());
        var info = await Storage.GetMetadataAsync(name);
        Assert.That(info!.Length, Is.Zero);
        Assert.That(await StoredSha256Async(name), Is.EqualTo(Sha256([])));
    }

    [Test]
    public async Task SaveAsync_NameTaken_ReturnsAlternateNameAndKeepsBoth()
    {
        var first = RandomBytes(1000, 1);
        var second = RandomBytes(1000, 2);
        var name1 = await Storage.SaveAsync("tracks/song.mp3", new MemoryStream(first));
        var name2 = await Storage.SaveAsync("tracks/song.mp3", new MemoryStream(second));
        Assert.That(name1, Is.EqualTo("tracks/song.mp3"));
        Assert.That(name2, Does.Match("^tracks/song_[A-Za-z0-9]{7}\\.mp3$"));
        Assert.That(await StoredSha256Async(name1), Is.EqualTo(Sha256(first)));
        Assert.That(await StoredSha256Async(name2), Is.EqualTo(Sha256(second)));
        Assert.That((await Storage.GetMetadataAsync(name2))!.ContentType, Is.EqualTo("audio/mpeg"), "the free name keeps the extension's type");
    }

    [Test]
    public async Task SaveAsync_ConcurrentSavesOfOneName_GetDistinctNames()
    {
        var contents = Enumerable.Range(0, ConcurrentSaves).Select(i => RandomBytes(5000, i)).ToArray();
        var names = await Task.WhenAll(contents.Select(c => Task.Run(() => Storage.SaveAsync("a.bin", new MemoryStream(c)))));
        Assert.That(names.Distinct().Count(), Is.EqualTo(ConcurrentSaves));
        for (var i = 0; i < names.Length; i++)
        {
            Assert.That(await StoredSha256Async(names[i]), Is.EqualTo(Sha256(contents[i])));
        }
    }

    [Test]
    public async Task SaveAsync_OverwriteConfigured_ReplacesFile()
    {
        var storage = await NewStorageAsync(overwrite: true);
        await storage.SaveAsync("a.txt", new MemoryStream("old"u8.ToArray()));
        var name = await storage.SaveAsync("a.txt", new MemoryStream("new"u8.ToArray()));
        Assert.That(name, Is.EqualTo("a.txt"));
        Assert.That(await Sha256Async(storage, name), Is.EqualTo(Sha256("new"u8.ToArray())));
        Assert.That(await NamesAsync(storage), Is.EqualTo(new[] { "a.txt" }));
    }

    [Test]
    public async Task SaveAsync_OverwriteRequestedPerSave_ReplacesFile()
    {
        await Storage.SaveAsync("a.txt", new MemoryStream("old"u8.ToArray()));
        var name = await Storage.SaveAsync("a.txt", new MemoryStream("new"u8.ToArray()), new FileSaveOptions { Overwrite = true });
        Assert.That(name, Is.EqualTo("a.txt"));
        Assert.That(await StoredSha256Async(name), Is.EqualTo(Sha256("new"u8.ToArray())));
        Assert.That(await NamesAsync(Storage), Is.EqualTo(new[] { "a.txt" }));
    }

    [Test]
    public async Task SaveAsync_OverwriteRefusedPerSave_KeepsFileOfOverwritingStorage()
    {
        var storage = await NewStorageAsync(overwrite: true);
        await storage.SaveAsync("a.txt", new MemoryStream("old"u8.ToArray()));
        var name = await storage.SaveAsync("a.txt", new MemoryStream("new"u8.ToArray()), new FileSaveOptions { Overwrite = false });
        Assert.That(name, Does.Match("^a_[A-Za-z0-9]{7}\\.txt$"));
        Assert.That(await Sha256Async(storage, "a.txt"), Is.EqualTo(Sha256("old"u8.ToArray())));
        Assert.That(await Sha256Async(storage, name), Is.EqualTo(Sha256("new"u8.ToArray())));
    }

    [TestCase("../escape.txt")]
    [TestCase("a/../../escape.txt")]
    [TestCase("/etc/passwd")]
    [TestCase("C:/windows/win.ini")]
    [TestCase("c:escape.txt")]
    [TestCase("a\\..\\escape.txt")]
    [TestCase("a\0.txt")]
    [TestCase("a/./b.txt")]
    [TestCase("a//b.txt")]
    [TestCase("")]
    [TestCase("  ")]
    public async Task SaveAsync_MaliciousName_ThrowsAndWritesNothing(string name)
    {
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.SaveAsync(name, new MemoryStream("x"u8.ToArray())));
        Assert.That(await NamesAsync(Storage), Is.Empty);
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [TestCase("../escape.txt")]
    [TestCase("/etc/passwd")]
    [TestCase("a\0.txt")]
    public void OtherOperations_MaliciousName_Throw(string name)
    {
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.OpenReadAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.ExistsAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.DeleteAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.GetMetadataAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.GetUrlAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.CopyAsync(name, "copy.txt"));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => Storage.CopyAsync("a.txt", name));
    }

    [TestCase("my song #1 (live).mp3")]
    [TestCase("café/naïve résumé.txt")]
    [TestCase("100%+done?x=y;z.bin")]
    [TestCase("日本語/歌.txt")]
    [TestCase("emoji 🎵.ogg")]
    [TestCase("archive.tar.gz")]
    [TestCase("-leading-dash")]
    public async Task Operations_UnusualName_KeepTheNameExactly(string name)
    {
        var content = Encoding.UTF8.GetBytes(name);
        var saved = await Storage.SaveAsync(name, new MemoryStream(content));
        Assert.That(saved, Is.EqualTo(name));
        Assert.That(await Storage.ExistsAsync(name), Is.True);
        Assert.That(await StoredSha256Async(name), Is.EqualTo(Sha256(content)));
        Assert.That((await Storage.GetMetadataAsync(name))!.Name, Is.EqualTo(name));
        Assert.That(await NamesAsync(Storage), Is.EqualTo(new[] { name }));
        Assert.That(await Storage.DeleteAsync(name), Is.True);
        Assert.That(await Storage.ExistsAsync(name), Is.False);
    }

    [Test]
    public async Task SaveAsync_StreamFailsPartWay_LeavesNothing()
    {
        Assert.ThrowsAsync<IOException>(() => Storage.SaveAsync("broken.bin", new ContractStream(RandomBytes(100_000), failAt: 50_000)));
        Assert.That(await Storage.ExistsAsync("broken.bin"), Is.False);
        Assert.That(await NamesAsync(Storage), Is.Empty);
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_Cancelled_LeavesNothing()
    {
        using var cts = new CancellationTokenSource();
        var pause = new TaskCompletionSource();
        var stream = new ContractStream(RandomBytes(100_000), pauseAt: pause.Task, pausePosition: 40_000);
        var save = Storage.SaveAsync("cancelled.bin", stream, cancellationToken: cts.Token);
        await stream.Reached.Task;
        await cts.CancelAsync();
        Assert.That(async () => await save, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await Storage.ExistsAsync("cancelled.bin"), Is.False);
        Assert.That(await NamesAsync(Storage), Is.Empty);
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_InProgress_IsNotVisibleToReaders()
    {
        var pause = new TaskCompletionSource();
        var content = RandomBytes(100_000);
        var stream = new ContractStream(content, pauseAt: pause.Task, pausePosition: 40_000);
        var save = Storage.SaveAsync("slow.bin", stream);
        await stream.Reached.Task;
        Assert.That(await Storage.ExistsAsync("slow.bin"), Is.False);
        Assert.That(await Storage.GetMetadataAsync("slow.bin"), Is.Null);
        Assert.That(await NamesAsync(Storage), Is.Empty);
        pause.SetResult();
        var name = await save;
        Assert.That(await StoredSha256Async(name), Is.EqualTo(Sha256(content)));
    }

    [Test]
    public async Task Operations_MissingFile_ReportMissing()
    {
        Assert.ThrowsAsync<FileNotFoundException>(() => Storage.OpenReadAsync("missing.txt"));
        Assert.That(await Storage.ExistsAsync("missing.txt"), Is.False);
        Assert.That(await Storage.GetMetadataAsync("missing.txt"), Is.Null);
        Assert.That(await Storage.DeleteAsync("missing.txt"), Is.False);
        Assert.ThrowsAsync<FileNotFoundException>(() => Storage.CopyAsync("missing.txt", "copy.txt"));
        Assert.That(await Storage.ExistsAsync("copy.txt"), Is.False);
    }

    [Test]
    public async Task DeleteAsync_Existing_RemovesAndReturnsTrue()
    {
        var name = await Storage.SaveAsync("a/b.txt", new MemoryStream("x"u8.ToArray()), new FileSaveOptions { ContentType = "text/plain" });
        Assert.That(await Storage.DeleteAsync(name), Is.True);
        Assert.That(await Storage.ExistsAsync(name), Is.False);
        Assert.That(await Storage.DeleteAsync(name), Is.False);
        Assert.That(await NamesAsync(Storage), Is.Empty);
        Assert.That(await LeftoversAsync(), Is.Empty);
    }

    [Test]
    public async Task GetMetadataAsync_SavedWithOptions_ReturnsSizeTypeMetadataAndTag()
    {
        var content = Encoding.UTF8.GetBytes("hello");
        var options = new FileSaveOptions { ContentType = "text/x-custom" };
        options.Checksums["sha256"] = Sha256(content);
        options.Metadata["owner"] = "42";
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var name = await Storage.SaveAsync("notes/hello.txt", new MemoryStream(content), options);
        var info = await Storage.GetMetadataAsync(name);
        Assert.That(info, Is.Not.Null);
        Assert.That(info!.Name, Is.EqualTo("notes/hello.txt"));
        Assert.That(info.Length, Is.EqualTo(5));
        Assert.That(info.ContentType, Is.EqualTo("text/x-custom"));
        Assert.That(info.Metadata["owner"], Is.EqualTo("42"));
        Assert.That(info.LastModified, Is.GreaterThan(before));
        Assert.That(info.ETag, Is.Not.Null.And.Not.Empty);
        if (info.Checksums.TryGetValue("sha256", out var sha256))
        {
            Assert.That(sha256, Is.EqualTo(Sha256(content)).IgnoreCase);
        }

        Assert.That(await StoredSha256Async(name), Is.EqualTo(Sha256(content)));
    }

    [TestCase("a.png", "image/png")]
    [TestCase("docs/report.pdf", "application/pdf")]
    [TestCase("data.unknownext", "application/octet-stream")]
    public async Task SaveAsync_NoContentTypeGiven_GuessesFromName(string name, string contentType)
    {
        var saved = await Storage.SaveAsync(name, new MemoryStream([1, 2, 3]));
        Assert.That((await Storage.GetMetadataAsync(saved))!.ContentType, Is.EqualTo(contentType));
        Assert.That(await StoredSha256Async(saved), Is.EqualTo(Sha256([1, 2, 3])));
    }

    [Test]
    public async Task ListAsync_Prefix_ReturnsMatchingFilesInNameOrder()
    {
        foreach (var name in new[] { "tracks/b.mp3", "tracks/a.mp3", "tracks/sub/c.mp3", "images/x.png", "tracksheet.txt" })
        {
            await Storage.SaveAsync(name, new MemoryStream(Encoding.UTF8.GetBytes(name)), new FileSaveOptions { ContentType = "application/x-test" });
        }

        var listed = await ListAsync(Storage, "tracks/");
        Assert.That(listed.Select(f => f.Name), Is.EqualTo(new[] { "tracks/a.mp3", "tracks/b.mp3", "tracks/sub/c.mp3" }));
        Assert.That(listed[0].Length, Is.EqualTo("tracks/a.mp3".Length));
        Assert.That(await StoredSha256Async("tracks/sub/c.mp3"), Is.EqualTo(Sha256(Encoding.UTF8.GetBytes("tracks/sub/c.mp3"))));
        Assert.That(
            (await ListAsync(Storage, "track")).Select(f => f.Name),
            Is.EqualTo(new[] { "tracks/a.mp3", "tracks/b.mp3", "tracks/sub/c.mp3", "tracksheet.txt" }));
        Assert.That(await NamesAsync(Storage), Has.Count.EqualTo(5));
        Assert.That(await ListAsync(Storage, "nothing/"), Is.Empty);
    }

    [TestCase("../")]
    [TestCase("/etc/")]
    [TestCase("a/../../")]
    [TestCase("a\\b")]
    public void ListAsync_EscapingPrefix_Throws(string prefix) =>
        Assert.ThrowsAsync<SuspiciousFileNameException>(async () => await ListAsync(Storage, prefix));

    [Test]
    public async Task OpenReadAsync_LargeFile_StreamsTheStoredBytes()
    {
        var content = RandomBytes(3 * 1024 * 1024 + 17, seed: 9);
        var name = await Storage.SaveAsync("large.bin", new ContractStream(content));
        await using var stream = await Storage.OpenReadAsync(name);
        var head = new byte[1000];
        await stream.ReadExactlyAsync(head);
        Assert.That(head, Is.EqualTo(content[..1000]));
        using var rest = new MemoryStream();
        await stream.CopyToAsync(rest);
        Assert.That(Sha256([.. head, .. rest.ToArray()]), Is.EqualTo(Sha256(content)));
    }

    [Test]
    public Task CopyAsync_KeepsBytesTypeAndMetadata() => StorageCopyContract.CopyKeepsBytesTypeAndMetadataAsync(Storage);

    [Test]
    public Task CopyAsync_ReplacedOrMissingSource_FailsAndCopiesNothing() => StorageCopyContract.CopyOfChangedOrMissingSourceFailsAsync(Storage);

    /// <summary>Creates a fresh, empty storage on the backend (each call its own folder, bucket, container or prefix).</summary>
    /// <param name="overwrite">The storage's overwrite setting.</param>
    /// <returns>The storage.</returns>
    protected abstract Task<IFileStorage> CreateStorageAsync(bool overwrite);

    /// <summary>
    /// Lists what the store holds for the test's storages outside what the storage itself lists: temporary files,
    /// unfinished multipart uploads, uncommitted blocks. Empty by default.
    /// </summary>
    /// <returns>A description of each leftover.</returns>
    protected virtual Task<IReadOnlyList<string>> LeftoversAsync() => Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>Removes what the test's storages kept in the store (a folder, a container, a bucket); nothing by default.</summary>
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

    /// <summary>The SHA-256 of a stored file, read through the storage under test.</summary>
    /// <param name="name">The file's name.</param>
    /// <returns>The hash.</returns>
    protected Task<string> StoredSha256Async(string name) => Sha256Async(Storage, name);

    private static async Task<string> Sha256Async(IFileStorage storage, string name)
    {
        await using var stream = await storage.OpenReadAsync(name);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
    }

    private static async Task<List<StoredFileInfo>> ListAsync(IFileStorage storage, string? prefix = null)
    {
        var list = new List<StoredFileInfo>();
        await foreach (var item in storage.ListAsync(prefix))
        {
            list.Add(item);
        }

        return list;
    }

    private static async Task<List<string>> NamesAsync(IFileStorage storage) => [.. (await ListAsync(storage)).Select(f => f.Name)];

    private async Task<IFileStorage> NewStorageAsync(bool overwrite)
    {
        var storage = await CreateStorageAsync(overwrite);
        _storages.Add(storage);
        return storage;
    }
}
