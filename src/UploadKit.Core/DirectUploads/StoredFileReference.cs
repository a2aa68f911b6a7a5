namespace UploadKit;

/// <summary>
/// A confirmed stored object, to keep on the app's record: which storage holds it, under which name, and what it was
/// verified to be.
/// </summary>
public sealed class StoredFileReference
{
    /// <summary>Creates a reference.</summary>
    /// <param name="storageName">The registry name of the storage holding the object.</param>
    /// <param name="name">The object name in that storage.</param>
    /// <param name="length">The object's length in bytes.</param>
    public StoredFileReference(string storageName, string name, long length)
    {
        ArgumentException.ThrowIfNullOrEmpty(storageName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        StorageName = storageName;
        Name = name;
        Length = length;
    }

    /// <summary>Gets the registry name of the storage holding the object.</summary>
    public string StorageName { get; }

    /// <summary>Gets the object name in that storage.</summary>
    public string Name { get; }

    /// <summary>Gets the object's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Gets the object's media type.</summary>
    public string? ContentType { get; init; }

    /// <summary>Gets the file name the client gave.</summary>
    public string? FileName { get; init; }

    /// <summary>Gets the object's SHA-256 as lower-case hexadecimal, where it was checked or recorded by the storage.</summary>
    public string? ChecksumSha256 { get; init; }

    /// <summary>Gets the storage's entity tag of the object when it was confirmed, to detect a later change.</summary>
    public string? ETag { get; init; }

    /// <summary>Gets a URL a client can read the object from, through its storage's <see cref="IFileStorage.GetUrlAsync"/>.</summary>
    /// <param name="storages">The app's storages.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The URL; <see langword="null"/> if the storage has no URL for files.</returns>
    /// <exception cref="KeyNotFoundException">The storage is no longer configured.</exception>
    public Task<string?> GetUrlAsync(IStorageRegistry storages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storages);
        return storages[StorageName].GetUrlAsync(Name, cancellationToken);
    }
}
