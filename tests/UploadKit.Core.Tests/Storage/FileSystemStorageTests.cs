using Microsoft.Extensions.Options;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

public class FileSystemStorageTests : TempDirectoryTests
{
    [Test]
    public void Ctor_MissingLocation_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new FileSystemStorage(new FileSystemStorageOptions()));
        Assert.That(ex!.Message, Does.Contain("'Location'"));
    }

    [Test]
    public void Ctor_BadPermissions_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new FileSystemStorage(new FileSystemStorageOptions
        {
            Location = Temp,
            FilePermissions = "rw-"
        }));
        Assert.That(ex!.Message, Does.Contain("'FilePermissions'"));
    }

    [Test]
    public async Task SaveAsync_Unix_AppliesFileAndDirectoryPermissions()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.That(new FileSystemStorageOptions().FilePermissions, Is.EqualTo("644"));
            return;
        }

        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp, FilePermissions = "640", DirectoryPermissions = "750" });
        var content = RandomBytes(10);
        var name = await storage.SaveAsync("dir/file.bin", new MemoryStream(content));
        Assert.That(
            File.GetUnixFileMode(Path.Combine(Temp, "dir", "file.bin")),
            Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
        Assert.That(File.GetUnixFileMode(Path.Combine(Temp, "dir")), Is.EqualTo(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [TestCase(".uploadkit/meta/x")]
    [TestCase("a/.uploadkit-123.tmp")]
    public void SaveAsync_ReservedName_Throws(string name)
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp });
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync(name, new MemoryStream([1])));
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_NestedLocation_WritesInsideIt()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        var content = RandomBytes(64);
        var name = await storage.SaveAsync("a.bin", new MemoryStream(content));
        Assert.That(File.Exists(Path.Combine(Temp, "media", "a.bin")), Is.True);
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task GetMetadataAsync_ContentReplacedBeforeItsMetadata_DoesNotReportOldMetadata()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp, Overwrite = true });
        var old = RandomBytes(100, seed: 1);
        var options = new FileSaveOptions { ContentType = "text/plain" };
        options.Checksums["sha256"] = Sha256Hex(old);
        await storage.SaveAsync("a.bin", new MemoryStream(old), options);

        // What a reader sees after an overwriting save replaced the bytes and before it replaced the metadata.
        var replacement = RandomBytes(200, seed: 2);
        var temp = Path.Combine(Temp, "replacement.tmp");
        await File.WriteAllBytesAsync(temp, replacement);
        File.Move(temp, Path.Combine(Temp, "a.bin"), overwrite: true);

        var info = await storage.GetMetadataAsync("a.bin");
        Assert.That(info!.Length, Is.EqualTo(replacement.Length));
        Assert.That(info.ContentType, Is.Not.EqualTo("text/plain"), "the old content type does not describe the new bytes");
        Assert.That(info.Checksums, Is.Empty, "the old checksum does not describe the new bytes");
        Assert.That(await StoredSha256HexAsync(storage, "a.bin"), Is.EqualTo(Sha256Hex(replacement)));
    }

    [Test]
    public async Task SaveAsync_Overwrite_ReplacesContentAndMetadataTogether()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp, Overwrite = true });
        await storage.SaveAsync("a.bin", new MemoryStream(RandomBytes(100, seed: 1)), new FileSaveOptions { ContentType = "text/plain" });
        var content = RandomBytes(300, seed: 3);
        var options = new FileSaveOptions { ContentType = "image/png" };
        options.Checksums["sha256"] = Sha256Hex(content);
        Assert.That(await storage.SaveAsync("a.bin", new MemoryStream(content), options), Is.EqualTo("a.bin"));

        var info = await storage.GetMetadataAsync("a.bin");
        Assert.That(info!.ContentType, Is.EqualTo("image/png"));
        Assert.That(info.Checksums["sha256"], Is.EqualTo(Sha256Hex(content)));
        Assert.That(await StoredSha256HexAsync(storage, "a.bin"), Is.EqualTo(Sha256Hex(content)));
        Assert.That(AllFiles(Temp).Where(f => f.EndsWith(".tmp", StringComparison.Ordinal)), Is.Empty);
    }
}

public class FileSystemStorageConcurrencyTests : TempDirectoryTests
{
    [Test]
    public async Task SaveAsync_ConcurrentSavesOfOneName_NeverReplaceEachOther()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp });
        for (var round = 0; round < 30; round++)
        {
            var name = $"round{round}/same.bin";
            var contents = Enumerable.Range(0, 64).Select(i => RandomBytes(256, seed: (round * 1000) + i)).ToArray();
            using var start = new ManualResetEventSlim();
            var saves = contents.Select(c => RaceAsync(start, () => storage.SaveAsync(name, new MemoryStream(c)))).ToArray();
            start.Set();
            var names = await Task.WhenAll(saves);

            Assert.That(names.Distinct().Count(), Is.EqualTo(contents.Length), "every save got its own name");
            for (var i = 0; i < contents.Length; i++)
            {
                Assert.That(await StoredSha256HexAsync(storage, names[i]), Is.EqualTo(Sha256Hex(contents[i])), $"save {i} kept its own bytes");
            }

            Assert.That(AllFiles(Path.Combine(Temp, $"round{round}")), Has.Length.EqualTo(contents.Length), "no temporary file is left");
        }
    }

    [Test]
    public async Task SaveByMovingAsync_ConcurrentSavesOfOneName_NeverReplaceEachOther()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp });
        var temp = Path.Combine(Temp, "incoming");
        Directory.CreateDirectory(temp);
        for (var round = 0; round < 30; round++)
        {
            var name = $"round{round}/same.bin";
            var contents = Enumerable.Range(0, 64).Select(i => RandomBytes(256, seed: (round * 1000) + i)).ToArray();
            var files = contents.Select((c, i) =>
            {
                var path = Path.Combine(temp, $"upload{round}-{i}");
                File.WriteAllBytes(path, c);
                return new TemporaryUploadedFile(Header("same.bin"), path, c.Length);
            }).ToArray();

            using var start = new ManualResetEventSlim();
            var saves = files.Select(f => RaceAsync(start, () => f.SaveAsync(storage, name))).ToArray();
            start.Set();
            var names = await Task.WhenAll(saves);

            Assert.That(names.Distinct().Count(), Is.EqualTo(contents.Length), "every save got its own name");
            for (var i = 0; i < contents.Length; i++)
            {
                Assert.That(await StoredSha256HexAsync(storage, names[i]), Is.EqualTo(Sha256Hex(contents[i])), $"save {i} kept its own bytes");
            }

            Assert.That(AllFiles(Path.Combine(Temp, $"round{round}")), Has.Length.EqualTo(contents.Length), "no temporary file is left");
        }

        Assert.That(AllFiles(temp), Is.Empty, "every upload was moved");
    }

    /// <summary>Runs <paramref name="save"/> on its own thread once <paramref name="start"/> is set, so that saves really overlap.</summary>
    private static Task<string> RaceAsync(ManualResetEventSlim start, Func<Task<string>> save) =>
        Task.Factory.StartNew(
            () =>
            {
                start.Wait();
                return save().GetAwaiter().GetResult();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
}
