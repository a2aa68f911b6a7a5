namespace UploadKit;

/// <summary>
/// A place files are kept: Django's Storage API in async form. Implementations validate every name with
/// <see cref="FileStorageNames.Validate"/> and never overwrite an existing file unless asked to.
/// </summary>
public interface IFileStorage
{
    /// <summary>
    /// Saves <paramref name="content"/> under <paramref name="name"/>, or under a fresh name derived from it
    /// if the name is taken and overwriting is off (Django's <c>get_available_name</c>). A failed save leaves
    /// nothing behind.
    /// </summary>
    /// <param name="name">The wanted name, a relative path with <c>/</c> separators.</param>
    /// <param name="content">The bytes; its length need not be known.</param>
    /// <param name="options">Content type, metadata and overwrite choice; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Cancels the save, which then leaves nothing behind.</param>
    /// <returns>The name actually used.</returns>
    /// <exception cref="SuspiciousFileNameException"><paramref name="name"/> escapes the storage or is not a valid name.</exception>
    Task<string> SaveAsync(string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>Opens a stored file for reading.</summary>
    /// <param name="name">The file's name.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <returns>A readable stream; dispose it when done.</returns>
    /// <exception cref="FileNotFoundException">No file has that name.</exception>
    Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Deletes a stored file. Deleting a missing file is not an error.</summary>
    /// <param name="name">The file's name.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns><see langword="true"/> if a file was deleted; <see langword="false"/> if there was none.</returns>
    Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Tells whether a file exists.</summary>
    /// <param name="name">The file's name.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns><see langword="true"/> if the file exists.</returns>
    Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Reads a stored file's properties: size, content type, modification time, ETag and checksums.</summary>
    /// <param name="name">The file's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The properties, or <see langword="null"/> if no file has that name.</returns>
    Task<StoredFileInfo?> GetMetadataAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists stored files whose names start with <paramref name="prefix"/>.</summary>
    /// <param name="prefix">A name prefix, such as <c>"tracks/"</c>; <see langword="null"/> or empty for every file.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>The files, in name order where the backend lists in order.</returns>
    IAsyncEnumerable<StoredFileInfo> ListAsync(string? prefix = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Copies a stored file to another name in the same storage, inside the store wherever it can: S3 <c>CopyObject</c>
    /// (a multipart copy above 5 GiB), an Azure copy within the account, a GCS rewrite, a copy on the local disk. The
    /// bytes then never pass through the app. The copy keeps the file's content type, checksums and user metadata, and
    /// replaces a file of the destination's name, as the stores' own copies do: copy only to a name no one else writes.
    /// </summary>
    /// <remarks>
    /// Every built-in storage copies natively. The default implementation, for other storages, reads the file and saves
    /// it under the new name, so the bytes pass through the app once.
    /// </remarks>
    /// <param name="sourceName">The name of the file to copy.</param>
    /// <param name="destinationName">The name of the copy.</param>
    /// <param name="sourceETag">
    /// The entity tag the source must still have (<see cref="StoredFileInfo.ETag"/> from <see cref="GetMetadataAsync"/>),
    /// so that exactly the content that was checked is copied; <see langword="null"/> to copy whatever the source holds.
    /// </param>
    /// <param name="cancellationToken">Cancels the copy, which then leaves no partial copy behind.</param>
    /// <returns>The copy's properties, as the store reports them after the copy.</returns>
    /// <exception cref="FileNotFoundException">The source does not exist, or no longer has the entity tag <paramref name="sourceETag"/>.</exception>
    /// <exception cref="SuspiciousFileNameException">A name escapes the storage or is not a valid name.</exception>
    Task<StoredFileInfo> CopyAsync(
        string sourceName, string destinationName, string? sourceETag = null, CancellationToken cancellationToken = default) =>
        StorageHelpers.CopyThroughAppAsync(this, sourceName, destinationName, sourceETag, cancellationToken);

    /// <summary>
    /// Gets a URL a client can read the file from (Django's <c>url()</c>): a public or custom-domain URL,
    /// a signed, expiring URL for private files, or a path under the app's media prefix.
    /// </summary>
    /// <param name="name">The file's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The URL, absolute or app-relative; <see langword="null"/> if the storage has no URL for files.</returns>
    Task<string?> GetUrlAsync(string name, CancellationToken cancellationToken = default);
}
