namespace UploadKit;

/// <summary>
/// The base of every built-in storage, and of a custom one: Django's <c>Storage</c>, whose <c>save()</c> runs the policy
/// (validation, <c>get_available_name</c>, content type) and leaves the writing to <c>_save()</c>. This class validates
/// every name and listing prefix once, decides the content type and disposition an object is stored with, applies the
/// overwrite setting, and finds a free name with one attempt limit (<see cref="MaxNameAttempts"/>); a backend implements
/// only the primitives of its store (the <c>…CoreAsync</c> methods), which receive names already validated.
/// </summary>
/// <remarks>
/// A backend's <see cref="SaveCoreAsync"/> writes the content under <see cref="StorageSave.Name"/>. When it writes
/// create-only and finds the name taken, it asks <see cref="StorageSave.NextName"/> (or
/// <see cref="StorageSave.NextFreeNameAsync"/>) for the next candidate and tries again, or fails with an
/// <see cref="IOException"/> when its content cannot be read a second time. Whatever it does, a failed or cancelled
/// save leaves nothing behind.
/// </remarks>
public abstract class FileStorage : IFileStorage
{
    /// <summary>How many names a save tries before it gives up with an <see cref="IOException"/>: 100.</summary>
    public const int MaxNameAttempts = 100;

    private readonly bool _overwrite;
    private readonly string? _contentDisposition;

    /// <summary>Creates the base of a storage.</summary>
    /// <param name="storageName">The storage's name, for error messages (its name in the registry); empty for the type's name.</param>
    /// <param name="overwrite">Whether a save replaces a file of the same name unless the save says otherwise
    /// (<see cref="FileSaveOptions.Overwrite"/>).</param>
    /// <param name="contentDisposition">The <c>Content-Disposition</c> new objects get unless a save says otherwise; <see langword="null"/> for the
    /// rule of <see cref="StoredContentTypes.GetContentDisposition"/>.</param>
    protected FileStorage(string storageName, bool overwrite, string? contentDisposition = null)
    {
        StorageName = string.IsNullOrEmpty(storageName) ? GetType().Name : storageName;
        _overwrite = overwrite;
        _contentDisposition = string.IsNullOrEmpty(contentDisposition) ? null : contentDisposition;
    }

    /// <summary>Gets the storage's name, as used in error messages.</summary>
    public string StorageName { get; }

    /// <summary>
    /// Gets whether a create-only save first skips names that exist (one <see cref="ExistsCoreAsync"/> call per name)
    /// before it writes. Stores whose writes can only be made conditional at the end (a multipart completion, a block
    /// list commit) need the check, so that a taken name is found before the content is read; a store that can retry
    /// the write itself cheaply turns it off.
    /// </summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    protected virtual bool ChecksNameBeforeWrite => true;

    /// <inheritdoc />
    /// <exception cref="IOException">No free name was found in <see cref="MaxNameAttempts"/> attempts, or another writer took the name while content
    /// that cannot be read again was being written.</exception>
    public async Task<string> SaveAsync(string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        name = ValidateName(name);
        var save = CreateSave(name, options);
        if (!save.Overwrite && ChecksNameBeforeWrite)
        {
            await save.SkipTakenNamesAsync(cancellationToken).ConfigureAwait(false);
        }

        return await SaveCoreAsync(content, save, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default) =>
        OpenReadCoreAsync(ValidateName(name), cancellationToken);

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
        DeleteCoreAsync(ValidateName(name), cancellationToken);

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) =>
        ExistsCoreAsync(ValidateName(name), cancellationToken);

    /// <inheritdoc />
    public Task<StoredFileInfo?> GetMetadataAsync(string name, CancellationToken cancellationToken = default) =>
        GetMetadataCoreAsync(ValidateName(name), cancellationToken);

    /// <inheritdoc />
    /// <exception cref="SuspiciousFileNameException">The prefix's folder part is not a valid name, so the listing would leave the
    /// storage.</exception>
    public IAsyncEnumerable<StoredFileInfo> ListAsync(string? prefix = null, CancellationToken cancellationToken = default)
    {
        prefix ??= string.Empty;
        var folder = StorageHelpers.ValidatePrefix(prefix);
        return ListCoreAsync(prefix, folder, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredFileInfo> CopyAsync(
        string sourceName, string destinationName, string? sourceETag = null, CancellationToken cancellationToken = default) =>
        CopyCoreAsync(ValidateName(sourceName), ValidateName(destinationName), sourceETag, cancellationToken);

    /// <inheritdoc />
    public Task<string?> GetUrlAsync(string name, CancellationToken cancellationToken = default) =>
        GetUrlCoreAsync(ValidateName(name), cancellationToken);

    /// <summary>
    /// Checks a name (<see cref="FileStorageNames.Validate"/>). A storage with names of its own to refuse overrides this and
    /// calls the base first.
    /// </summary>
    /// <param name="name">The name a caller passed.</param>
    /// <returns>The valid name.</returns>
    /// <exception cref="SuspiciousFileNameException">The name escapes the storage or is not a valid name.</exception>
    protected virtual string ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return FileStorageNames.Validate(name);
    }

    /// <summary>Starts the policy of one save of <paramref name="name"/>, for a backend's own entry points that save (such as a move from a temporary
    /// file).</summary>
    /// <param name="name">A name already validated by <see cref="ValidateName"/>.</param>
    /// <param name="options">The save's options.</param>
    /// <returns>The save: the first candidate name, the overwrite choice, content type and disposition.</returns>
    protected StorageSave CreateSave(string name, FileSaveOptions? options) =>
        new(this, name, options, options?.Overwrite ?? _overwrite, _contentDisposition);

    /// <summary>Called when a save finds a name taken and moves on to another; a backend logs it here.</summary>
    /// <param name="name">The taken name.</param>
    /// <param name="alternateName">The name tried next.</param>
    protected internal virtual void OnNameTaken(string name, string alternateName)
    {
    }

    /// <summary>
    /// Writes <paramref name="content"/> under <see cref="StorageSave.Name"/>: replacing an existing object when
    /// <see cref="StorageSave.Overwrite"/> is on, and otherwise create-only, moving to <see cref="StorageSave.NextName"/>
    /// when the name turns out taken. Stores <see cref="StorageSave.ContentType"/>, <see cref="StorageSave.ContentDisposition"/>
    /// and the save's checksums and metadata with it. A failed or cancelled write leaves nothing behind.
    /// </summary>
    /// <param name="content">The bytes; read once, to the end.</param>
    /// <param name="save">The save's policy and its current name.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The name the content was stored under.</returns>
    protected abstract Task<string> SaveCoreAsync(Stream content, StorageSave save, CancellationToken cancellationToken);

    /// <summary>Opens a stored object for reading, streaming it from the store.</summary>
    /// <param name="name">A valid name.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>The content.</returns>
    /// <exception cref="FileNotFoundException">No object has that name.</exception>
    protected abstract Task<Stream> OpenReadCoreAsync(string name, CancellationToken cancellationToken);

    /// <summary>Deletes a stored object.</summary>
    /// <param name="name">A valid name.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns><see langword="true"/> if an object was deleted.</returns>
    protected abstract Task<bool> DeleteCoreAsync(string name, CancellationToken cancellationToken);

    /// <summary>Tells whether an object exists.</summary>
    /// <param name="name">A valid name.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns><see langword="true"/> if it exists.</returns>
    protected abstract Task<bool> ExistsCoreAsync(string name, CancellationToken cancellationToken);

    /// <summary>Reads an object's properties.</summary>
    /// <param name="name">A valid name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The properties, or <see langword="null"/> if no object has that name.</returns>
    protected abstract Task<StoredFileInfo?> GetMetadataCoreAsync(string name, CancellationToken cancellationToken);

    /// <summary>Lists the objects whose names start with <paramref name="prefix"/>, in name order where the store lists in order.</summary>
    /// <param name="prefix">A checked prefix, empty for every object.</param>
    /// <param name="folder">The prefix's folder part (up to its last <c>/</c>), a valid name or empty.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The objects.</returns>
    protected abstract IAsyncEnumerable<StoredFileInfo> ListCoreAsync(string prefix, string folder, CancellationToken cancellationToken);

    /// <summary>
    /// Copies an object within the store (see <see cref="IFileStorage.CopyAsync"/>). The default reads the object and saves
    /// it under the new name, replacing a file there; a store that copies natively overrides it.
    /// </summary>
    /// <param name="sourceName">A valid name of the object to copy.</param>
    /// <param name="destinationName">A valid name of the copy.</param>
    /// <param name="sourceETag">The entity tag the source must still have, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>The copy's properties.</returns>
    /// <exception cref="FileNotFoundException">The source is missing or no longer has <paramref name="sourceETag"/>.</exception>
    protected virtual Task<StoredFileInfo> CopyCoreAsync(
        string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken) =>
        StorageHelpers.CopyThroughAppAsync(this, sourceName, destinationName, sourceETag, cancellationToken);

    /// <summary>Gets a URL a client can read the object from.</summary>
    /// <param name="name">A valid name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The URL, or <see langword="null"/> if the storage has none for files.</returns>
    protected abstract Task<string?> GetUrlCoreAsync(string name, CancellationToken cancellationToken);
}
