namespace UploadKit;

/// <summary>
/// A storage that keeps files on a local disk and can take over an upload's temporary file by moving it,
/// instead of copying its bytes.
/// </summary>
internal interface ILocalFileStorage
{
    /// <summary>Saves <paramref name="file"/> by moving its temporary file into the storage.</summary>
    /// <param name="name">The wanted name.</param>
    /// <param name="file">The uploaded file; its temporary file is gone afterwards, whatever the outcome.</param>
    /// <param name="options">Content type, checksums and overwrite choice.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The name actually used.</returns>
    Task<string> SaveByMovingAsync(string name, TemporaryUploadedFile file, FileSaveOptions options, CancellationToken cancellationToken);
}
