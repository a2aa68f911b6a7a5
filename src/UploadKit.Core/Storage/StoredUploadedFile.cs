namespace UploadKit;

/// <summary>
/// An uploaded file that was streamed straight into a storage by <see cref="StorageStreamingHandler"/>: it refers to
/// the stored object, which stays when the request ends.
/// </summary>
public sealed class StoredUploadedFile : UploadedFile
{
    internal StoredUploadedFile(UploadFileHeader header, IFileStorage storage, string storedName, long length)
        : base(header, length)
    {
        Storage = storage;
        StoredName = storedName;
    }

    /// <summary>Gets the storage holding the file.</summary>
    public IFileStorage Storage { get; }

    /// <summary>Gets the name the file was stored under (the name actually used).</summary>
    public string StoredName { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Blocks the calling thread while the storage opens the object (a network call for an object store); it is here
    /// for <see cref="Microsoft.AspNetCore.Http.IFormFile"/>. Prefer <see cref="OpenReadStreamAsync"/>.
    /// </remarks>
    public override Stream OpenReadStream() => Storage.OpenReadAsync(StoredName).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<Stream> OpenReadStreamAsync(CancellationToken cancellationToken = default) =>
        Storage.OpenReadAsync(StoredName, cancellationToken);

    private protected override async Task<string> SaveCoreAsync(IFileStorage storage, string name, FileSaveOptions options, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(storage, Storage) && string.Equals(name, StoredName, StringComparison.Ordinal))
        {
            return StoredName;
        }

        var content = await Storage.OpenReadAsync(StoredName, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            return await storage.SaveAsync(name, content, options, cancellationToken).ConfigureAwait(false);
        }
    }
}
