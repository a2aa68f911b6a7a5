using Microsoft.Extensions.Options;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

public class FileSystemStorageTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = CreateTempDirectory();

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void Ctor_MissingLocation_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new FileSystemStorage(new FileSystemStorageOptions()));
        Assert.That(ex!.Message, Does.Contain("'Location'"));
    }

    [Test]
    public void Ctor_BadPermissions_ThrowsNamingTheOption()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new FileSystemStorage(new FileSystemStorageOptions { Location = _directory, FilePermissions = "rw-" }));
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

        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = _directory, FilePermissions = "640", DirectoryPermissions = "750" });
        var content = RandomBytes(10);
        var name = await storage.SaveAsync("dir/file.bin", new MemoryStream(content));
        Assert.That(File.GetUnixFileMode(Path.Combine(_directory, "dir", "file.bin")), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
        Assert.That(File.GetUnixFileMode(Path.Combine(_directory, "dir")), Is.EqualTo(
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute));
        Assert.That(await StoredSha256Async(storage, name), Is.EqualTo(Sha256(content)));
    }

    [TestCase(".uploadkit/meta/x")]
    [TestCase("a/.uploadkit-123.tmp")]
    public void SaveAsync_ReservedName_Throws(string name)
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = _directory });
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => storage.SaveAsync(name, new MemoryStream([1])));
        Assert.That(AllFiles(_directory), Is.Empty);
    }

    [Test]
    public async Task SaveAsync_NestedLocation_WritesInsideIt()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(_directory, "media") });
        var content = RandomBytes(64);
        var name = await storage.SaveAsync("a.bin", new MemoryStream(content));
        Assert.That(File.Exists(Path.Combine(_directory, "media", "a.bin")), Is.True);
        Assert.That(await StoredSha256Async(storage, name), Is.EqualTo(Sha256(content)));
    }
}
