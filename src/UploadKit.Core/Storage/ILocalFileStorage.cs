namespace UploadKit;

/// <summary>
/// A storage that keeps files on a local disk and can take over an upload's temporary file by moving it, or give a
/// stored file a second name, instead of copying bytes.
/// </summary>
internal interface ILocalFileStorage
{
    /// <summary>Saves an upload's temporary file by moving it into the storage.</summary>
    /// <param name="name">The wanted name.</param>
    /// <param name="moveTo">Moves the temporary file to the path it is given; the file is gone afterwards, whatever the outcome.</param>
    /// <param name="options">Content type, checksums and overwrite choice.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The name actually used.</returns>
    Task<string> SaveByMovingAsync(string name, Action<string> moveTo, FileSaveOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Gives a stored file a second name without copying its bytes (a hard link; a copy where the file system has no
    /// links), replacing a file of that name: with a delete of the first name, a rename that never leaves the file
    /// without a name.
    /// </summary>
    /// <param name="sourceName">The file's name.</param>
    /// <param name="destinationName">The second name.</param>
    /// <param name="sourceETag">The entity tag the file must still have; <see langword="null"/> for any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The file's properties under its second name.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist, or no longer has the entity tag.</exception>
    Task<StoredFileInfo> LinkAsync(string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken);
}
