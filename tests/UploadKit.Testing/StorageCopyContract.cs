namespace UploadKit.Testing;

/// <summary>What every storage's <see cref="IFileStorage.CopyAsync"/> must do, run against each backend's real store.</summary>
public static class StorageCopyContract
{
    /// <summary>
    /// A copy has the source's bytes, content type and metadata, the store's own description of it is returned, it
    /// replaces a file of its name, and the source stays.
    /// </summary>
    /// <param name="storage">The storage under test.</param>
    /// <returns>A task.</returns>
    public static async Task CopyKeepsBytesTypeAndMetadataAsync(IFileStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var folder = "copy-" + Guid.NewGuid().ToString("N") + "/";
        var content = RandomBytes(70_000);
        var options = new FileSaveOptions { ContentType = "image/png" };
        options.Metadata["origin"] = "contract";
        var source = await storage.SaveAsync(folder + "a.png", new MemoryStream(content), options);
        await storage.SaveAsync(folder + "b.png", new MemoryStream([1, 2, 3]), new FileSaveOptions { ContentType = "image/png" });
        var sourceInfo = await storage.GetMetadataAsync(source);

        var copy = await storage.CopyAsync(source, folder + "b.png", sourceInfo!.ETag);

        Assert.That(copy.Name, Is.EqualTo(folder + "b.png"));
        Assert.That(copy.Length, Is.EqualTo(content.Length));
        Assert.That(copy.ContentType, Is.EqualTo("image/png"));
        Assert.That(copy.Metadata["origin"], Is.EqualTo("contract"));
        foreach (var (algorithm, value) in sourceInfo.Checksums)
        {
            if (copy.Checksums.TryGetValue(algorithm, out var copied))
            {
                Assert.That(copied, Is.EqualTo(value).IgnoreCase, algorithm);
            }
        }

        Assert.That(await StoredSha256HexAsync(storage, folder + "b.png"), Is.EqualTo(Sha256Hex(content)));
        Assert.That(await StoredSha256HexAsync(storage, source), Is.EqualTo(Sha256Hex(content)));
    }

    /// <summary>A copy made for an entity tag the source no longer has, or of a missing source, fails and makes no copy.</summary>
    /// <param name="storage">The storage under test.</param>
    /// <returns>A task.</returns>
    public static async Task CopyOfChangedOrMissingSourceFailsAsync(IFileStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var folder = "copy-" + Guid.NewGuid().ToString("N") + "/";
        var source = await storage.SaveAsync(folder + "a.bin", new MemoryStream(RandomBytes(1000, seed: 1)));
        var stale = (await storage.GetMetadataAsync(source))!.ETag;
        await storage.SaveAsync(source, new MemoryStream(RandomBytes(1001, seed: 2)), new FileSaveOptions { Overwrite = true });
        Assert.That((await storage.GetMetadataAsync(source))!.ETag, Is.Not.EqualTo(stale), "a replaced file has a new entity tag");

        Assert.ThrowsAsync<FileNotFoundException>(() => storage.CopyAsync(source, folder + "b.bin", stale));
        Assert.ThrowsAsync<FileNotFoundException>(() => storage.CopyAsync(folder + "missing.bin", folder + "c.bin"));
        Assert.That(await storage.ExistsAsync(folder + "b.bin"), Is.False);
        Assert.That(await storage.ExistsAsync(folder + "c.bin"), Is.False);
    }
}
