namespace UploadKit;

/// <summary>The properties of a stored file.</summary>
public sealed class StoredFileInfo
{
    /// <summary>Creates the properties of a file.</summary>
    /// <param name="name">The file's name in its storage.</param>
    /// <param name="length">The file's length in bytes.</param>
    public StoredFileInfo(string name, long length)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Length = length;
    }

    /// <summary>Gets the file's name in its storage.</summary>
    public string Name { get; }

    /// <summary>
    /// Gets the registry name of the storage holding the file, where whoever described the file knows it: set on the
    /// sealed file a completed direct upload returns, so that the app's record can name both; <see langword="null"/>
    /// on what a storage describes of itself (<see cref="IFileStorage.GetMetadataAsync"/>, <see cref="IFileStorage.ListAsync"/>).
    /// </summary>
    public string? StorageName { get; init; }

    /// <summary>Gets the file's length in bytes.</summary>
    public long Length { get; }

    /// <summary>Gets the stored media type, if the storage keeps one.</summary>
    public string? ContentType { get; init; }

    /// <summary>Gets the stored <c>Content-Disposition</c>, if the file has one.</summary>
    public string? ContentDisposition { get; init; }

    /// <summary>Gets when the file was last modified, if known.</summary>
    public DateTimeOffset? LastModified { get; init; }

    /// <summary>Gets the storage's entity tag for the content, if it has one.</summary>
    public string? ETag { get; init; }

    /// <summary>Gets checksums known for the content, by algorithm name, as lower-case hexadecimal.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; init; } = UploadFileHeader.EmptyParameters;

    /// <summary>Gets user metadata stored with the file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = UploadFileHeader.EmptyParameters;
}
