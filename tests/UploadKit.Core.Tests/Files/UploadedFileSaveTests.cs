using UploadKit.Tests.Validation;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Files;

public class UploadedFileSaveTests : TempDirectoryTests
{
    private TemporaryUploadedFile CreateTemporaryFile(byte[] content, string fileName = "my song.mp3")
    {
        var path = Path.Combine(Temp, "tmp", "uploadkit-" + Guid.NewGuid().ToString("N") + ".upload");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return new TemporaryUploadedFile(Header(fileName), path, content.Length);
    }

    [Test]
    public async Task SaveAsync_TemporaryFileIntoFileSystemStorage_MovesInsteadOfCopying()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        var content = RandomBytes(200_000);
        await using var file = CreateTemporaryFile(content);
        var temporaryPath = file.TemporaryFilePath!;
        var marker = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(temporaryPath, marker);

        var name = await file.SaveAsync(storage, "tracks/song.mp3");

        Assert.That(name, Is.EqualTo("tracks/song.mp3"));
        Assert.That(File.Exists(temporaryPath), Is.False, "the temporary file was moved");
        Assert.That(file.TemporaryFilePath, Is.Null);
        Assert.That(
            new FileInfo(Path.Combine(Temp, "media", "tracks", "song.mp3")).LastWriteTimeUtc,
            Is.EqualTo(marker),
            "a move keeps the file itself; a copy through a stream would be written now");
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
        Assert.That((await storage.GetMetadataAsync(name))!.ContentType, Is.EqualTo("audio/mpeg"));
    }

    [Test]
    public async Task SaveAsync_NameTakenWhileMoving_ReturnsAlternateName()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        await storage.SaveAsync("song.mp3", new MemoryStream([1]));
        var content = RandomBytes(1000);
        await using var file = CreateTemporaryFile(content);
        var name = await file.SaveAsync(storage, "song.mp3");
        Assert.That(name, Does.Match("^song_[A-Za-z0-9]{7}\\.mp3$"));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task SaveAsync_NoName_UsesSanitizedFileName()
    {
        var storage = new InMemoryStorage();
        var content = RandomBytes(100);
        await using var file = new InMemoryUploadedFile(Header("john's portrait in 2004.jpg", "image/jpeg"), content);
        var name = await file.SaveAsync(storage);
        Assert.That(name, Is.EqualTo("johns_portrait_in_2004.jpg"));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task SaveAsync_FileWithChecksums_StoresServerTypeAndChecksums()
    {
        // Changed with the stored-content-type rule: the client's declared type is no longer what the object gets.
        var storage = new InMemoryStorage();
        var content = RandomBytes(100);
        await using var file = new InMemoryUploadedFile(Header("a.bin", "application/x-thing"), content);
        file.Checksums["sha256"] = Sha256Hex(content);
        var name = await file.SaveAsync(storage, "a.bin");
        var info = await storage.GetMetadataAsync(name);
        Assert.That(info!.ContentType, Is.EqualTo("application/octet-stream"), "an unknown extension and no known signature");
        Assert.That(info.Checksums["sha256"], Is.EqualTo(Sha256Hex(content)));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task SaveAsync_InMemoryFileUnderANameWithoutExtension_StoredWithTheSignaturesType()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        byte[] content = [.. SampleFiles.Png(), .. RandomBytes(1000)];
        await using var file = new InMemoryUploadedFile(Header("upload", "text/html"), content);

        var name = await file.SaveAsync(storage, "picture");

        Assert.That(name, Is.EqualTo("picture"));
        Assert.That((await storage.GetMetadataAsync(name))!.ContentType, Is.EqualTo("image/png"));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "media", "picture")), Is.EqualTo(content));
    }

    [Test]
    public async Task SaveAsync_InMemoryFileShorterThanAnySignature_StoredAsOctetStreamWithItsBytes()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        byte[] content = [0x89, (byte)'P', (byte)'N'];
        await using var file = new InMemoryUploadedFile(Header("upload", "image/png"), content);

        var name = await file.SaveAsync(storage, "tiny");

        Assert.That((await storage.GetMetadataAsync(name))!.ContentType, Is.EqualTo(StoredContentTypes.Unknown));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(Temp, "media", "tiny")), Is.EqualTo(content));
    }

    [Test]
    public async Task SaveAsync_InMemoryFileAfterItsRequestEnded_FailsInTheTaskAndStoresNothing()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        var file = new InMemoryUploadedFile(Header("upload", "image/png"), RandomBytes(100));
        await file.DisposeAsync();

        var saving = file.SaveAsync(storage, "late");

        Assert.ThrowsAsync<ObjectDisposedException>(async () => await saving);
        Assert.That(await storage.ExistsAsync("late"), Is.False);
        var media = Path.Combine(Temp, "media");
        Assert.That(Directory.Exists(media) ? Directory.EnumerateFiles(media, "*", SearchOption.AllDirectories) : [], Is.Empty);
    }

    [Test]
    public async Task SaveAsync_TemporaryFileIntoOtherStorage_CopiesAndKeepsTemporaryFile()
    {
        var storage = new InMemoryStorage();
        var content = RandomBytes(5000);
        await using var file = CreateTemporaryFile(content);
        var name = await file.SaveAsync(storage, "x.mp3");
        Assert.That(File.Exists(file.TemporaryFilePath), Is.True);
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task SaveAsync_MaliciousName_ThrowsAndKeepsTemporaryFile()
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        await using var file = CreateTemporaryFile(RandomBytes(10));
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => file.SaveAsync(storage, "../../etc/passwd"));
        Assert.That(File.Exists(file.TemporaryFilePath), Is.True);
        Assert.That(AllFiles(Path.Combine(Temp, "media")), Is.Empty);
    }
}
