using System.Buffers;
using System.Text.Json;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

/// <summary>
/// Uploads held in memory are stored in one write, into a nameless file that the name is then linked to (on Linux),
/// or else through a named temporary file: both ways keep a save create-only, atomic and leave nothing when they fail.
/// Every test runs both ways.
/// </summary>
[TestFixture(true)]
[TestFixture(false)]
public class FileSystemStorageMemorySaveTests : TempDirectoryTests
{
    private readonly bool _nameless;

    public FileSystemStorageMemorySaveTests(bool nameless)
    {
        _nameless = nameless;
    }

    private string MetadataFolder => Path.Combine(Temp, ".uploadkit", "meta");

    [TestCase(1024)]
    [TestCase(0)]
    [TestCase(300_000)]
    public async Task SaveAsync_PooledInMemoryFile_StoresItsBytesUnderTheName(int length)
    {
        var storage = Storage();
        var content = RandomBytes(length, seed: length);
        var file = await InMemoryAsync("photo.bin", content);

        var name = await file.SaveAsync(storage, "dir/photo.bin");

        Assert.That(name, Is.EqualTo("dir/photo.bin"));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "dir", "photo.bin")), Is.EqualTo(content));
        Assert.That(AllFiles(Temp), Is.EqualTo(new[] { Path.Combine(Temp, "dir", "photo.bin") }), "no temporary file and no metadata");
        AssertWayTaken(storage);
    }

    [Test]
    public async Task SaveAsync_Unix_AppliesTheFilePermissions()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.That(new FileSystemStorageOptions().FilePermissions, Is.EqualTo("644"));
            return;
        }

        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp, FilePermissions = "640" })
        {
            UsesNamelessFiles = _nameless,
        };

        var name = await storage.SaveAsync("dir/a.bin", new BufferedContent(new ReadOnlySequence<byte>(RandomBytes(10))));

        Assert.That(
            File.GetUnixFileMode(Path.Combine(Temp, name)),
            Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
    }

    [Test]
    public async Task SaveAsync_SavesIntoOneFolder_TakeTheFileOpenedAheadAndLeaveOnlyTheSavedFiles()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp, FilePermissions = "640" })
        {
            UsesNamelessFiles = _nameless,
        };
        var contents = Enumerable.Range(0, 6).Select(i => RandomBytes(1000 + i, seed: i)).ToArray();

        // A storage used for one save opens nothing ahead; the second save into the same folder opens the next file.
        await SaveAsync(storage, "dir/0.bin", contents[0]);
        Assert.That(storage.SpareFileDirectory, Is.Null);
        for (var i = 1; i < contents.Length; i++)
        {
            if (i > 1)
            {
                await WaitForFileOpenedAheadAsync(storage, "dir");
            }

            await SaveAsync(storage, $"dir/{i}.bin", contents[i]);
        }

        await WaitForFileOpenedAheadAsync(storage, "dir");
        Assert.That(storage.SpareFilesUsed, Is.EqualTo(NamelessExpected ? contents.Length - 2 : 0), "saves that took a file opened ahead");

        // Every file holds its own bytes with the storage's permissions; the file opened ahead has no name in the folder.
        var folder = Path.Combine(Temp, "dir");
        Assert.That(AllFiles(Temp), Is.EquivalentTo(Enumerable.Range(0, contents.Length).Select(i => Path.Combine(folder, $"{i}.bin"))));
        for (var i = 0; i < contents.Length; i++)
        {
            var path = Path.Combine(folder, $"{i}.bin");
            Assert.That(await File.ReadAllBytesAsync(path), Is.EqualTo(contents[i]), path);
            if (!OperatingSystem.IsWindows())
            {
                Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
            }
        }
    }

    [Test]
    public async Task SaveAsync_SavesMoveToAnotherFolder_LeaveTheOtherFoldersFileAndOpenAheadForTheNewOne()
    {
        var storage = Storage();
        var content = RandomBytes(100, seed: 3);
        await SaveTwiceIntoAsync(storage, "a", content);

        // The file opened for a/ is not used for b/; a second save into b/ opens one for b/, which the third takes.
        await SaveTwiceIntoAsync(storage, "b", content);
        await SaveAsync(storage, "b/3.bin", content);

        Assert.That(storage.SpareFilesUsed, Is.EqualTo(NamelessExpected ? 1 : 0));
        Assert.That(
            AllFiles(Temp),
            Is.EquivalentTo(new[] { "a/1.bin", "a/2.bin", "b/1.bin", "b/2.bin", "b/3.bin" }.Select(n => Path.Combine(Temp, n))));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "b", "3.bin")), Is.EqualTo(content));
    }

    [Test]
    public async Task SaveAsync_FolderRemovedAfterAFileWasOpenedAhead_StoresTheFileAndKeepsNamelessFiles()
    {
        var storage = Storage();
        var content = RandomBytes(100, seed: 4);
        await SaveTwiceIntoAsync(storage, "a", content);
        Directory.Delete(Path.Combine(Temp, "a"), recursive: true);

        // The file opened ahead cannot take a name in the new folder: the save goes through a named temporary file, and
        // the next one opens nameless files again.
        await SaveAsync(storage, "a/3.bin", content);
        await SaveAsync(storage, "a/4.bin", content);

        Assert.That(AllFiles(Temp), Is.EquivalentTo(new[] { "a/3.bin", "a/4.bin" }.Select(n => Path.Combine(Temp, n))));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "a", "3.bin")), Is.EqualTo(content));
        AssertWayTaken(storage);
    }

    [Test]
    public async Task SaveAsync_ManyAtOnceIntoOneFolder_StoreEveryFileOnce()
    {
        var storage = Storage();
        var contents = Enumerable.Range(0, 40).Select(i => RandomBytes(500 + i, seed: 100 + i)).ToArray();
        await SaveTwiceIntoAsync(storage, "dir", contents[0]);

        await Task.WhenAll(contents.Select((content, i) => Task.Run(() => SaveAsync(storage, $"dir/file-{i}.bin", content))));

        var expected = contents.Select((_, i) => Path.Combine(Temp, "dir", $"file-{i}.bin"))
            .Concat(new[] { "1.bin", "2.bin" }.Select(n => Path.Combine(Temp, "dir", n)));
        Assert.That(AllFiles(Temp), Is.EquivalentTo(expected));
        for (var i = 0; i < contents.Length; i++)
        {
            Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "dir", $"file-{i}.bin")), Is.EqualTo(contents[i]));
        }

        Assert.That(storage.SpareFilesUsed, NamelessExpected ? Is.GreaterThanOrEqualTo(1) : Is.Zero);
    }

    [Test]
    public async Task SaveAsync_ManySegments_WritesThemInOrder()
    {
        var storage = Storage();
        var content = RandomBytes(5000, seed: 7);
        var sequence = Segmented(content, 333);
        Assert.That(sequence.IsSingleSegment, Is.False);

        var name = await storage.SaveAsync("a.bin", new BufferedContent(sequence));

        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, name)), Is.EqualTo(content));
        Assert.That(AllFiles(Temp), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task SaveAsync_NothingBeyondTheName_WritesNoMetadataAndReportsTheNamesType()
    {
        var storage = Storage();

        // The content type the upload is saved with is the one the name gives: nothing to keep beside the file.
        var name = await storage.SaveAsync(
            "notes.txt",
            new BufferedContent(new ReadOnlySequence<byte>(RandomBytes(10))),
            new FileSaveOptions { ContentType = "text/plain", Length = 10 });

        Assert.That(Directory.Exists(MetadataFolder), Is.False);
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.ContentType, Is.EqualTo("text/plain"));
        Assert.That(info.Checksums, Is.Empty);
        Assert.That(info.Length, Is.EqualTo(10));
    }

    [Test]
    public async Task SaveAsync_WithChecksumsAndOtherType_KeepsThemInTheMetadataFile()
    {
        var storage = Storage();
        var content = RandomBytes(100);
        var file = await InMemoryAsync("upload", content);
        file.Checksums["sha256"] = Sha256Hex(content);

        // No extension: the type comes from the signature (none here), and is kept with the checksum.
        var name = await file.SaveAsync(storage, "upload");

        Assert.That(File.Exists(Path.Combine(MetadataFolder, "upload")), Is.True);
        Assert.That(AllFiles(Temp), Has.Length.EqualTo(2), "the file and its metadata, no temporary file");
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.ContentType, Is.EqualTo("application/octet-stream"));
        Assert.That(info.Checksums["sha256"], Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task GetMetadataAsync_MetadataFileOfAnEarlierVersion_IsStillRead()
    {
        var storage = Storage();
        var content = RandomBytes(50);
        var path = Path.Combine(Temp, "old.bin");
        await File.WriteAllBytesAsync(path, content);

        // The metadata file as earlier versions wrote it (through a temporary file and a rename), beside a file saved then.
        var stored = new FileInfo(path);
        Directory.CreateDirectory(MetadataFolder);
        await File.WriteAllTextAsync(Path.Combine(MetadataFolder, "old.bin"), JsonSerializer.Serialize(new
        {
            content = StorageHelpers.MakeETag(stored.LastWriteTimeUtc.Ticks, stored.Length),
            contentType = "image/png",
            contentDisposition = "inline",
            checksums = new Dictionary<string, string> { ["sha256"] = Sha256Hex(content) },
            metadata = new Dictionary<string, string> { ["owner"] = "ann" },
        }));

        var info = await storage.GetMetadataAsync("old.bin");
        Assert.That(info!.ContentType, Is.EqualTo("image/png"));
        Assert.That(info.ContentDisposition, Is.EqualTo("inline"));
        Assert.That(info.Checksums["sha256"], Is.EqualTo(Sha256Hex(content)));
        Assert.That(info.Metadata["owner"], Is.EqualTo("ann"));
        await using var read = await storage.OpenReadAsync("old.bin");
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.That(copy.ToArray(), Is.EqualTo(content));
    }

    [Test]
    public async Task SaveAsync_LeftoverMetadataOfADeletedFile_DoesNotDescribeTheNewOne()
    {
        var storage = Storage();
        var options = new FileSaveOptions { ContentType = "image/png" };
        options.Checksums["sha256"] = new string('0', 64);
        await storage.SaveAsync("a.txt", new BufferedContent(new ReadOnlySequence<byte>(RandomBytes(10, seed: 1))), options);

        // Deleted around the storage: its metadata stays behind.
        File.Delete(Path.Combine(Temp, "a.txt"));
        var name = await storage.SaveAsync("a.txt", new BufferedContent(new ReadOnlySequence<byte>(RandomBytes(10, seed: 2))));

        Assert.That(name, Is.EqualTo("a.txt"));
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.ContentType, Is.EqualTo("text/plain"));
        Assert.That(info.Checksums, Is.Empty);
    }

    [Test]
    public async Task SaveAsync_NameTaken_TakesAnotherAndLeavesTheFirstAlone()
    {
        var storage = Storage();
        var first = RandomBytes(20, seed: 1);
        var second = RandomBytes(30, seed: 2);
        await storage.SaveAsync("same.bin", new BufferedContent(new ReadOnlySequence<byte>(first)));

        var name = await storage.SaveAsync("same.bin", new BufferedContent(new ReadOnlySequence<byte>(second)));

        Assert.That(name, Is.Not.EqualTo("same.bin"));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "same.bin")), Is.EqualTo(first));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, name)), Is.EqualTo(second));
        Assert.That(AllFiles(Temp), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task SaveAsync_ConcurrentSavesOfOneName_NeverReplaceEachOther()
    {
        var storage = Storage();
        for (var round = 0; round < 20; round++)
        {
            var name = $"round{round}/same.bin";
            var contents = Enumerable.Range(0, 32).Select(i => RandomBytes(256, seed: (round * 1000) + i)).ToArray();
            var files = await Task.WhenAll(contents.Select(c => InMemoryAsync("same.bin", c)));
            using var start = new ManualResetEventSlim();
            var saves = files.Select(f => Task.Factory.StartNew(
                () =>
                {
                    start.Wait();
                    return f.SaveAsync(storage, name).GetAwaiter().GetResult();
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)).ToArray();
            start.Set();
            var names = await Task.WhenAll(saves);

            Assert.That(names.Distinct().Count(), Is.EqualTo(contents.Length), "every save got its own name");
            for (var i = 0; i < contents.Length; i++)
            {
                Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, names[i])), Is.EqualTo(contents[i]), $"save {i} kept its own bytes");
            }

            Assert.That(AllFiles(Path.Combine(Temp, $"round{round}")), Has.Length.EqualTo(contents.Length), "no temporary file is left");
        }

        AssertWayTaken(storage);
    }

    [Test]
    public async Task SaveAsync_Cancelled_LeavesNothing()
    {
        var storage = Storage();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        Assert.That(
            async () => await storage.SaveAsync(
                "dir/a.bin", new BufferedContent(new ReadOnlySequence<byte>(RandomBytes(1024))), null, cancelled.Token),
            Throws.InstanceOf<OperationCanceledException>());

        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_MetadataCannotBeWritten_RemovesTheFileAgain()
    {
        var storage = Storage();
        var options = new FileSaveOptions();
        options.Metadata["owner"] = "ann";

        // The storage's reserved folder is a file, so the metadata file cannot be created.
        var blocker = Path.Combine(Temp, ".uploadkit");
        await File.WriteAllBytesAsync(blocker, [1]);

        Assert.That(
            async () => await storage.SaveAsync("a.bin", new BufferedContent(new ReadOnlySequence<byte>(RandomBytes(100))), options),
            Throws.InstanceOf<IOException>());

        Assert.That(AllFiles(Temp), Is.EqualTo(new[] { blocker }), "the stored file went again, and no temporary file is left");
    }

    [Test]
    public async Task SaveAsync_Overwrite_ReplacesTheFileAndItsMetadata()
    {
        var storage = Storage(overwrite: true);
        var options = new FileSaveOptions { ContentType = "image/png" };
        await storage.SaveAsync("a.bin", new BufferedContent(new ReadOnlySequence<byte>(RandomBytes(10, seed: 1))), options);
        var content = RandomBytes(20, seed: 2);

        var name = await storage.SaveAsync("a.bin", new BufferedContent(new ReadOnlySequence<byte>(content)));

        Assert.That(name, Is.EqualTo("a.bin"));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "a.bin")), Is.EqualTo(content));
        Assert.That((await storage.GetMetadataAsync(name))!.ContentType, Is.EqualTo("application/octet-stream"));
        Assert.That(AllFiles(Temp), Has.Length.EqualTo(1), "the old metadata went with the old content");
    }

    private static ReadOnlySequence<byte> Segmented(byte[] content, int segmentLength)
    {
        BufferSegment? first = null;
        BufferSegment? last = null;
        for (var offset = 0; offset < content.Length; offset += segmentLength)
        {
            var memory = content.AsMemory(offset, Math.Min(segmentLength, content.Length - offset));
            last = last is null ? first = new BufferSegment(memory, 0) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private static Task<string> SaveAsync(FileSystemStorage storage, string name, byte[] content) =>
        storage.SaveAsync(name, new BufferedContent(new ReadOnlySequence<byte>(content)));

    /// <summary>
    /// Saves 1.bin and 2.bin into <paramref name="folder"/>, so that the storage opens a file ahead for it, and waits for
    /// that file.
    /// </summary>
    private async Task SaveTwiceIntoAsync(FileSystemStorage storage, string folder, byte[] content)
    {
        await SaveAsync(storage, folder + "/1.bin", content);
        await SaveAsync(storage, folder + "/2.bin", content);
        await WaitForFileOpenedAheadAsync(storage, folder);
    }

    /// <summary>
    /// Waits until the storage has a nameless file open ahead for <paramref name="folder"/>, where nameless files are
    /// taken; elsewhere checks that none is ever opened.
    /// </summary>
    private async Task WaitForFileOpenedAheadAsync(FileSystemStorage storage, string folder)
    {
        if (!NamelessExpected)
        {
            Assert.That(storage.SpareFileDirectory, Is.Null, "named temporary files are never opened ahead");
            return;
        }

        var expected = Path.Join(Path.TrimEndingDirectorySeparator(RealPaths.Resolve(Temp)), folder);
        await AspNetCore.KestrelUploadTests.WaitUntilAsync(() => storage.SpareFileDirectory == expected, "a file of " + folder + " is open ahead");
    }

    private FileSystemStorage Storage(bool overwrite = false) =>
        new(new FileSystemStorageOptions { Location = Temp, Overwrite = overwrite }) { UsesNamelessFiles = _nameless };

    /// <summary>Whether the nameless way is taken: on Linux x64 and Arm64 (ext4, where the tests run) when it is on.</summary>
    private bool NamelessExpected => _nameless && OperatingSystem.IsLinux() &&
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64
            or System.Runtime.InteropServices.Architecture.Arm64;

    /// <summary>The nameless way is taken when it is expected; the named way when it is off.</summary>
    private void AssertWayTaken(FileSystemStorage storage)
    {
        if (NamelessExpected || !_nameless)
        {
            Assert.That(storage.UsesNamelessFiles, Is.EqualTo(_nameless));
        }
    }

    private async Task<InMemoryUploadedFile> InMemoryAsync(string fileName, byte[] content)
    {
        var handler = new MemoryUploadHandler();
        Attach(new UploadOptions { TempFileDirectory = Temp }, null, handler);
        var file = await StreamAsync(handler, Header(fileName, "application/octet-stream"), content, chunkSize: 8192);
        return (InMemoryUploadedFile)file!;
    }

    /// <summary>A content stream over memory, as an in-memory upload's is.</summary>
    private sealed class BufferedContent(ReadOnlySequence<byte> content) : MemoryStream(content.ToArray(), writable: false), IBufferedContent
    {
        public ReadOnlySequence<byte> Unread => content.Slice(Position);

        public void MarkRead() => Position = Length;
    }
}
