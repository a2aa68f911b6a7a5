using System.Text;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

/// <summary>What every built-in storage does the same way, run against each of them.</summary>
[TestFixture("FileSystem")]
[TestFixture("InMemory")]
public class StorageContractTests(string backend) : TempDirectoryTests
{
    private IFileStorage _storage = null!;

    [SetUp]
    public void SetUp()
    {
        _storage = Create(overwrite: false);
    }

    private IFileStorage Create(bool overwrite) => backend == "FileSystem"
        ? new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media"), BaseUrl = "/media/", Overwrite = overwrite })
        : new InMemoryStorage(new InMemoryStorageOptions { BaseUrl = "/media/", Overwrite = overwrite });

    [Test]
    public async Task SaveAsync_UploadsOfActiveOrMisdeclaredContent_StoredWithServerTypeAndAttachment()
    {
        var outcome = await UploadKit.Testing.StoredContentScenarios.RunAsync(_storage);

        Assert.That(UploadKit.Testing.StoredContentScenarios.Violations(outcome), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_UnknownLengthStream_StoresSameBytes()
    {
        var content = RandomBytes(300_000);
        var name = await _storage.SaveAsync("tracks/song.mp3", new UnknownLengthStream(content));
        Assert.That(name, Is.EqualTo("tracks/song.mp3"));
        Assert.That(await StoredSha256HexAsync(_storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task SaveAsync_EmptyStream_StoresEmptyFile()
    {
        var name = await _storage.SaveAsync("empty.txt", new MemoryStream());
        var info = await _storage.GetMetadataAsync(name);
        Assert.That(info!.Length, Is.Zero);
        Assert.That(await StoredSha256HexAsync(_storage, name), Is.EqualTo(Sha256Hex([])));
    }

    [Test]
    public async Task SaveAsync_NameTaken_ReturnsAlternateNameAndKeepsBoth()
    {
        var first = RandomBytes(1000, 1);
        var second = RandomBytes(1000, 2);
        var name1 = await _storage.SaveAsync("tracks/song.mp3", new MemoryStream(first));
        var name2 = await _storage.SaveAsync("tracks/song.mp3", new MemoryStream(second));
        Assert.That(name1, Is.EqualTo("tracks/song.mp3"));
        Assert.That(name2, Does.Match("^tracks/song_[A-Za-z0-9]{7}\\.mp3$"));
        Assert.That(await StoredSha256HexAsync(_storage, name1), Is.EqualTo(Sha256Hex(first)));
        Assert.That(await StoredSha256HexAsync(_storage, name2), Is.EqualTo(Sha256Hex(second)));
    }

    [Test]
    public async Task SaveAsync_ConcurrentSavesOfOneName_GetDistinctNames()
    {
        var contents = Enumerable.Range(0, 16).Select(i => RandomBytes(5000, i)).ToArray();
        var names = await Task.WhenAll(contents.Select(c => Task.Run(() => _storage.SaveAsync("a.bin", new MemoryStream(c)))));
        Assert.That(names.Distinct().Count(), Is.EqualTo(16));
        for (var i = 0; i < names.Length; i++)
        {
            Assert.That(await StoredSha256HexAsync(_storage, names[i]), Is.EqualTo(Sha256Hex(contents[i])));
        }
    }

    [Test]
    public async Task SaveAsync_OverwriteConfigured_ReplacesFile()
    {
        var storage = Create(overwrite: true);
        await storage.SaveAsync("a.txt", new MemoryStream("old"u8.ToArray()));
        var name = await storage.SaveAsync("a.txt", new MemoryStream("new"u8.ToArray()));
        Assert.That(name, Is.EqualTo("a.txt"));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex("new"u8)));
    }

    [Test]
    public async Task SaveAsync_OverwriteRequestedPerSave_ReplacesFile()
    {
        await _storage.SaveAsync("a.txt", new MemoryStream("old"u8.ToArray()));
        var name = await _storage.SaveAsync("a.txt", new MemoryStream("new"u8.ToArray()), new FileSaveOptions { Overwrite = true });
        Assert.That(name, Is.EqualTo("a.txt"));
        Assert.That(await StoredSha256HexAsync(_storage, name), Is.EqualTo(Sha256Hex("new"u8)));
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
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => _storage.SaveAsync(name, new MemoryStream("x"u8.ToArray())));
        Assert.That(AllFiles(Temp), Is.Empty);
        Assert.That(await ToListAsync(_storage.ListAsync()), Is.Empty);
    }

    [TestCase("../escape.txt")]
    [TestCase("/etc/passwd")]
    [TestCase("a\0.txt")]
    public void OtherOperations_MaliciousName_Throw(string name)
    {
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => _storage.OpenReadAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => _storage.ExistsAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => _storage.DeleteAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => _storage.GetMetadataAsync(name));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => _storage.GetUrlAsync(name));
    }

    [Test]
    public async Task SaveAsync_StreamFailsPartWay_LeavesNothing()
    {
        Assert.ThrowsAsync<IOException>(() => _storage.SaveAsync("broken.bin", new UnknownLengthStream(RandomBytes(100_000), failAt: 50_000)));
        Assert.That(await _storage.ExistsAsync("broken.bin"), Is.False);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_Cancelled_LeavesNothing()
    {
        using var cts = new CancellationTokenSource();
        var pause = new TaskCompletionSource();
        var stream = new UnknownLengthStream(RandomBytes(100_000), pauseAt: pause.Task, pausePosition: 40_000);
        var save = _storage.SaveAsync("cancelled.bin", stream, cancellationToken: cts.Token);
        await stream.Reached.Task;
        await cts.CancelAsync();
        Assert.That(async () => await save, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await _storage.ExistsAsync("cancelled.bin"), Is.False);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_InProgress_IsNotVisibleToReaders()
    {
        var pause = new TaskCompletionSource();
        var content = RandomBytes(100_000);
        var stream = new UnknownLengthStream(content, pauseAt: pause.Task, pausePosition: 40_000);
        var save = _storage.SaveAsync("slow.bin", stream);
        await stream.Reached.Task;
        Assert.That(await _storage.ExistsAsync("slow.bin"), Is.False);
        Assert.That(await _storage.GetMetadataAsync("slow.bin"), Is.Null);
        Assert.That(await ToListAsync(_storage.ListAsync()), Is.Empty);
        pause.SetResult();
        var name = await save;
        Assert.That(await StoredSha256HexAsync(_storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public void OpenReadAsync_Missing_ThrowsFileNotFound() =>
        Assert.ThrowsAsync<FileNotFoundException>(() => _storage.OpenReadAsync("missing.txt"));

    [Test]
    public async Task DeleteAsync_Existing_RemovesAndReturnsTrue()
    {
        var name = await _storage.SaveAsync("a/b.txt", new MemoryStream("x"u8.ToArray()), new FileSaveOptions { ContentType = "text/plain" });
        Assert.That(await _storage.DeleteAsync(name), Is.True);
        Assert.That(await _storage.ExistsAsync(name), Is.False);
        Assert.That(await _storage.DeleteAsync(name), Is.False);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task GetMetadataAsync_SavedWithOptions_ReturnsTypeChecksumsAndMetadata()
    {
        var content = Encoding.UTF8.GetBytes("hello");
        var options = new FileSaveOptions { ContentType = "text/x-custom" };
        options.Checksums["sha256"] = Sha256Hex(content);
        options.Metadata["owner"] = "42";
        var before = DateTimeOffset.UtcNow.AddMinutes(-1);
        var name = await _storage.SaveAsync("notes/hello.txt", new MemoryStream(content), options);
        var info = await _storage.GetMetadataAsync(name);
        Assert.That(info, Is.Not.Null);
        Assert.That(info!.Name, Is.EqualTo("notes/hello.txt"));
        Assert.That(info.Length, Is.EqualTo(5));
        Assert.That(info.ContentType, Is.EqualTo("text/x-custom"));
        Assert.That(info.Checksums["sha256"], Is.EqualTo(Sha256Hex(content)));
        Assert.That(info.Metadata["owner"], Is.EqualTo("42"));
        Assert.That(info.LastModified, Is.GreaterThan(before));
        Assert.That(info.ETag, Does.StartWith("\"").And.EndWith("\""));
        Assert.That(await StoredSha256HexAsync(_storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task GetMetadataAsync_NoContentTypeGiven_GuessesFromExtension()
    {
        var name = await _storage.SaveAsync("a.png", new MemoryStream([1, 2, 3]));
        Assert.That((await _storage.GetMetadataAsync(name))!.ContentType, Is.EqualTo("image/png"));
        Assert.That(await StoredSha256HexAsync(_storage, name), Is.EqualTo(Sha256Hex([1, 2, 3])));
    }

    [Test]
    public async Task ListAsync_Prefix_ReturnsMatchingFilesInNameOrder()
    {
        foreach (var name in new[] { "tracks/b.mp3", "tracks/a.mp3", "tracks/sub/c.mp3", "images/x.png", "tracksheet.txt" })
        {
            await _storage.SaveAsync(name, new MemoryStream(Encoding.UTF8.GetBytes(name)), new FileSaveOptions { ContentType = "application/x-test" });
        }

        var listed = await ToListAsync(_storage.ListAsync("tracks/"));
        Assert.That(listed.Select(f => f.Name), Is.EqualTo(new[] { "tracks/a.mp3", "tracks/b.mp3", "tracks/sub/c.mp3" }));
        Assert.That(listed[0].Length, Is.EqualTo("tracks/a.mp3".Length));
        Assert.That(await StoredSha256HexAsync(_storage, "tracks/sub/c.mp3"), Is.EqualTo(Sha256Hex(Encoding.UTF8.GetBytes("tracks/sub/c.mp3"))));
        Assert.That((await ToListAsync(_storage.ListAsync())).Count, Is.EqualTo(5));
        Assert.That(await ToListAsync(_storage.ListAsync("nothing/")), Is.Empty);
    }

    [Test]
    public void ListAsync_EscapingPrefix_Throws() =>
        Assert.ThrowsAsync<SuspiciousFileNameException>(async () => await ToListAsync(_storage.ListAsync("../")));

    [Test]
    public async Task GetUrlAsync_NameWithSpecialCharacters_EncodesEachSegment()
    {
        Assert.That(await _storage.GetUrlAsync("tracks/my song#1.mp3"), Is.EqualTo("/media/tracks/my%20song%231.mp3"));
    }

    private static async Task<List<StoredFileInfo>> ToListAsync(IAsyncEnumerable<StoredFileInfo> items)
    {
        var list = new List<StoredFileInfo>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    [Test]
    public Task CopyAsync_KeepsBytesTypeAndMetadata() => UploadKit.Testing.StorageCopyContract.CopyKeepsBytesTypeAndMetadataAsync(_storage);

    [Test]
    public Task CopyAsync_ReplacedOrMissingSource_FailsAndCopiesNothing() => UploadKit.Testing.StorageCopyContract.CopyOfChangedOrMissingSourceFailsAsync(_storage);
}
