using System.Security.Cryptography;
using UploadKit.Testing;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Files;

public class StoredUploadedFileTests
{
    [Test]
    public async Task CopyToAsync_StoredFile_OpensTheObjectAsynchronouslyWithTheCallersToken()
    {
        var storage = new RecordingStorage(new InMemoryStorage());
        var content = RandomBytes(5000);
        var name = await storage.SaveAsync("a.bin", new MemoryStream(content));
        var file = new StoredUploadedFile(Header("a.bin"), storage, name, content.Length);
        using var cancel = new CancellationTokenSource();

        using var target = new MemoryStream();
        await file.CopyToAsync(target, cancel.Token);

        Assert.That(Sha256Hex(target.ToArray()), Is.EqualTo(Sha256Hex(content)));
        Assert.That(storage.OpenTokens, Is.EqualTo(new[] { cancel.Token }), "the storage was awaited, not waited on");
    }

    [Test]
    public async Task ReadChunksAsync_StoredFile_OpensTheObjectAsynchronouslyWithTheCallersToken()
    {
        var storage = new RecordingStorage(new InMemoryStorage());
        var content = RandomBytes(200_000);
        var name = await storage.SaveAsync("a.bin", new MemoryStream(content));
        var file = new StoredUploadedFile(Header("a.bin"), storage, name, content.Length);
        using var cancel = new CancellationTokenSource();

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await foreach (var chunk in file.ReadChunksAsync(cancellationToken: cancel.Token))
        {
            hash.AppendData(chunk.Span);
        }

        Assert.That(Convert.ToHexStringLower(hash.GetHashAndReset()), Is.EqualTo(Sha256Hex(content)));
        Assert.That(storage.OpenTokens, Is.EqualTo(new[] { cancel.Token }));
    }

    [Test]
    public async Task DisposeAsync_NotKept_RemovesTheStoredObject()
    {
        var storage = new InMemoryStorage();
        var name = await storage.SaveAsync("a.bin", new MemoryStream(RandomBytes(100)));
        var file = new StoredUploadedFile(Header("a.bin"), storage, name, 100);

        await file.DisposeAsync();
        await file.DisposeAsync();

        Assert.That(await storage.ExistsAsync(name), Is.False, "an object the endpoint did not keep goes with the request");
        Assert.Throws<ObjectDisposedException>(file.Keep);
    }

    [Test]
    public async Task DisposeAsync_Kept_LeavesTheStoredObject()
    {
        var storage = new InMemoryStorage();
        var content = RandomBytes(100);
        var name = await storage.SaveAsync("a.bin", new MemoryStream(content));
        var file = new StoredUploadedFile(Header("a.bin"), storage, name, content.Length);

        file.Keep();
        await file.DisposeAsync();

        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task SaveAsync_SameStorageSameName_KeepsWithoutCopying()
    {
        var storage = new RecordingStorage(new InMemoryStorage());
        var content = RandomBytes(100);
        var name = await storage.SaveAsync("a.bin", new MemoryStream(content));
        var file = new StoredUploadedFile(Header("a.bin"), storage, name, content.Length);

        Assert.That(await file.SaveAsync(storage, name), Is.EqualTo(name));
        await file.DisposeAsync();

        Assert.That(storage.Saved, Is.EqualTo(new[] { name }), "no copy was made");
        Assert.That(storage.Deleted, Is.Empty);
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task SaveAsync_SameStorageOtherName_MovesTheObject()
    {
        var storage = new InMemoryStorage();
        var content = RandomBytes(100);
        var name = await storage.SaveAsync("incoming/a.bin", new MemoryStream(content));
        var file = new StoredUploadedFile(Header("a.bin"), storage, name, content.Length);
        file.Checksums["sha256"] = Sha256Hex(content);

        var saved = await file.SaveAsync(storage, "kept/a.bin");
        await file.DisposeAsync();

        Assert.That(saved, Is.EqualTo("kept/a.bin"));
        Assert.That(await storage.ExistsAsync(name), Is.False, "the original does not stay behind");
        Assert.That(await StoredSha256HexAsync(storage, saved), Is.EqualTo(Sha256Hex(content)), "the copy is kept at request end");
        Assert.That((await storage.GetMetadataAsync(saved))!.Checksums["sha256"], Is.EqualTo(Sha256Hex(content)), "the copy carries the checksums");
        Assert.That(file.StoredName, Is.EqualTo(saved));
    }

    [Test]
    public async Task SaveAsync_OtherStorage_MovesTheObject()
    {
        var source = new InMemoryStorage();
        var target = new InMemoryStorage();
        var content = RandomBytes(100);
        var name = await source.SaveAsync("a.bin", new MemoryStream(content));
        var file = new StoredUploadedFile(Header("a.bin"), source, name, content.Length);

        var saved = await file.SaveAsync(target, "a.bin");
        await file.DisposeAsync();

        Assert.That(await source.ExistsAsync(name), Is.False);
        Assert.That(await StoredSha256HexAsync(target, saved), Is.EqualTo(Sha256Hex(content)));
        Assert.That(file.Storage, Is.SameAs(target));
    }

    [Test]
    public async Task SaveAsync_TargetFails_OriginalRemovedAtRequestEndOnly()
    {
        var source = new InMemoryStorage();
        var content = RandomBytes(100);
        var name = await source.SaveAsync("a.bin", new MemoryStream(content));
        var file = new StoredUploadedFile(Header("a.bin"), source, name, content.Length);

        Assert.ThrowsAsync<SuspiciousFileNameException>(() => file.SaveAsync(source, "../escape.bin"));
        Assert.That(await StoredSha256HexAsync(source, name), Is.EqualTo(Sha256Hex(content)), "a failed save leaves the original");

        await file.DisposeAsync();
        Assert.That(await source.ExistsAsync(name), Is.False);
    }

    [Test]
    public async Task OpenReadStreamAsync_InMemoryFile_ReturnsItsBytes()
    {
        var content = RandomBytes(100);
        await using var file = new InMemoryUploadedFile(Header(), content);
        await using var stream = await file.OpenReadStreamAsync();
        Assert.That(await Sha256HexAsync(stream), Is.EqualTo(Sha256Hex(content)));
    }
}

/// <summary>A storage that records how it was used.</summary>
internal sealed class RecordingStorage(IFileStorage inner) : DelegatingStorage(inner)
{
    public List<CancellationToken> OpenTokens { get; } = [];

    public List<string> Deleted { get; } = [];

    public List<string> Saved { get; } = [];

    public override async Task<string> SaveAsync(
        string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        var saved = await Inner.SaveAsync(name, content, options, cancellationToken);
        Saved.Add(saved);
        return saved;
    }

    public override Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default)
    {
        OpenTokens.Add(cancellationToken);
        return Inner.OpenReadAsync(name, cancellationToken);
    }

    public override Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        Deleted.Add(name);
        return Inner.DeleteAsync(name, cancellationToken);
    }
}
