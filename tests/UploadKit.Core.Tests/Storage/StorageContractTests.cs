using System.Text;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Testing;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

/// <summary>The storage contract on the local disk; every file the storage writes stays below a fresh folder.</summary>
public sealed class FileSystemStorageContractTests : StorageContract
{
    private string? _directory;

    protected override Task<IFileStorage> CreateStorageAsync(bool overwrite)
    {
        _directory ??= Directory.CreateTempSubdirectory("uploadkit-tests-").FullName;
        var location = Path.Combine(_directory, "media-" + Guid.NewGuid().ToString("N"));
        return Task.FromResult<IFileStorage>(new FileSystemStorage(new FileSystemStorageOptions
        {
            Location = location,
            BaseUrl = "/media/",
            Overwrite = overwrite
        }));
    }

    protected override Task<IReadOnlyList<string>> LeftoversAsync() => Task.FromResult<IReadOnlyList<string>>(AllFiles(_directory!));

    protected override Task DeleteStoreAsync()
    {
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }

        return Task.CompletedTask;
    }

    [Test]
    public Task LocalStorage_ChecksumsAndUrls_AsSaved() => LocalStorageTests.ChecksumsAndUrlsAsync(Storage);
}

/// <summary>The storage contract in memory.</summary>
public sealed class InMemoryStorageContractTests : StorageContract
{
    protected override Task<IFileStorage> CreateStorageAsync(bool overwrite) =>
        Task.FromResult<IFileStorage>(new InMemoryStorage(new InMemoryStorageOptions { BaseUrl = "/media/", Overwrite = overwrite }));

    [Test]
    public Task LocalStorage_ChecksumsAndUrls_AsSaved() => LocalStorageTests.ChecksumsAndUrlsAsync(Storage);

    [Test]
    public async Task SaveAsync_ModificationTime_ComesFromTheTimeProvider()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var storage = new InMemoryStorage(new InMemoryStorageOptions(), time);
        var name = await storage.SaveAsync("a.txt", new MemoryStream("a"u8.ToArray()));
        Assert.That((await storage.GetMetadataAsync(name))!.LastModified, Is.EqualTo(time.GetUtcNow()));

        time.Advance(TimeSpan.FromHours(1));
        var copy = await storage.CopyAsync(name, "b.txt");
        Assert.That(copy.LastModified, Is.EqualTo(time.GetUtcNow()));
    }
}

/// <summary>What the two local storages keep beyond the contract: the checksums given at save time, and URLs under their base URL.</summary>
internal static class LocalStorageTests
{
    public static async Task ChecksumsAndUrlsAsync(IFileStorage storage)
    {
        var content = Encoding.UTF8.GetBytes("hello");
        var options = new FileSaveOptions { ContentType = "text/x-custom" };
        options.Checksums["sha256"] = Sha256Hex(content);
        var name = await storage.SaveAsync("notes/hello.txt", new MemoryStream(content), options);
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.Checksums["sha256"], Is.EqualTo(Sha256Hex(content)));
        Assert.That(info.ETag, Does.StartWith("\"").And.EndWith("\""));
        Assert.That(await storage.GetUrlAsync("tracks/my song#1.mp3"), Is.EqualTo("/media/tracks/my%20song%231.mp3"));
    }
}
