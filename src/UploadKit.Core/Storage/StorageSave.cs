namespace UploadKit;

/// <summary>
/// One save's policy, decided by <see cref="FileStorage"/> before a backend writes: the name to write under, whether an
/// existing object is replaced, the content type and disposition to store, and the free-name loop
/// (Django's <c>get_available_name</c>) with its one attempt limit.
/// </summary>
public sealed class StorageSave
{
    private readonly FileStorage _storage;
    private int _attempts = 1;

    internal StorageSave(FileStorage storage, string name, FileSaveOptions? options, bool overwrite, string? storageDisposition)
    {
        _storage = storage;
        RequestedName = name;
        Name = name;
        Options = options;
        Overwrite = overwrite;
        ContentType = StoredContentTypes.GetContentType(name, options);
        ContentDisposition = StoredContentTypes.GetContentDisposition(ContentType, options, storageDisposition);
    }

    /// <summary>Gets the valid name the caller asked for.</summary>
    public string RequestedName { get; }

    /// <summary>Gets the name to write under now: the requested one, or the alternate the last <see cref="NextName"/> chose.</summary>
    public string Name { get; private set; }

    /// <summary>Gets whether the write replaces an existing object; when <see langword="false"/> it must be create-only.</summary>
    public bool Overwrite { get; }

    /// <summary>Gets the media type to store: the one the save gave, else the one the requested name's extension gives.</summary>
    public string ContentType { get; }

    /// <summary>Gets the <c>Content-Disposition</c> to store: the save's, else the storage's, else <c>attachment</c> for active content;
    /// <see langword="null"/> for none.</summary>
    public string? ContentDisposition { get; }

    /// <summary>Gets the save's options (checksums, metadata, length hint), or <see langword="null"/>.</summary>
    public FileSaveOptions? Options { get; }

    /// <summary>Gets the checksums to record or verify, by algorithm, as lower-case hexadecimal.</summary>
    public IDictionary<string, string> Checksums => Options?.Checksums ?? EmptyValues;

    /// <summary>Gets the user metadata to store.</summary>
    public IDictionary<string, string> Metadata => Options?.Metadata ?? EmptyValues;

    private static IDictionary<string, string> EmptyValues { get; } =
        new System.Collections.ObjectModel.ReadOnlyDictionary<string, string>(new Dictionary<string, string>());

    /// <summary>
    /// Moves to a fresh name beside the requested one (<see cref="FileStorageNames.GetAlternateName"/>), after a
    /// create-only write found <see cref="Name"/> taken.
    /// </summary>
    /// <returns>The new <see cref="Name"/>.</returns>
    /// <exception cref="IOException"><see cref="FileStorage.MaxNameAttempts"/> names were tried.</exception>
    public string NextName()
    {
        if (_attempts >= FileStorage.MaxNameAttempts)
        {
            throw new IOException($"Storage '{_storage.StorageName}' found no free name for " +
                $"'{RequestedName}' after {FileStorage.MaxNameAttempts} attempts.");
        }

        _attempts++;
        var alternate = FileStorageNames.GetAlternateName(RequestedName);
        _storage.OnNameTaken(Name, alternate);
        Name = alternate;
        return alternate;
    }

    /// <summary>Moves to the next name that does not exist yet, after a create-only write found <see cref="Name"/> taken.</summary>
    /// <param name="cancellationToken">Cancels the checks.</param>
    /// <returns>The new <see cref="Name"/>.</returns>
    /// <exception cref="IOException"><see cref="FileStorage.MaxNameAttempts"/> names were tried.</exception>
    public async Task<string> NextFreeNameAsync(CancellationToken cancellationToken = default)
    {
        NextName();
        await SkipTakenNamesAsync(cancellationToken).ConfigureAwait(false);
        return Name;
    }

    /// <summary>Moves past names that exist, so the write starts at a free one.</summary>
    internal async Task SkipTakenNamesAsync(CancellationToken cancellationToken)
    {
        while (await _storage.ExistsAsync(Name, cancellationToken).ConfigureAwait(false))
        {
            NextName();
        }
    }
}
