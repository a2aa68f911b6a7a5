namespace UploadKit;

/// <summary>
/// An uploaded file streamed to a temporary file: Django's <c>TemporaryUploadedFile</c>. The file is deleted
/// when the request ends unless it was moved into a storage first.
/// </summary>
public sealed class TemporaryUploadedFile : UploadedFile
{
    private string? _path;

    internal TemporaryUploadedFile(UploadFileHeader header, string path, long length)
        : base(header, length)
    {
        _path = path;
    }

    /// <inheritdoc />
    public override string? TemporaryFilePath => _path;

    /// <inheritdoc />
    public override Stream OpenReadStream() =>
        new FileStream(
            _path ?? throw new InvalidOperationException("The temporary file was moved or deleted."),
            FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>
    /// Moves the temporary file to <paramref name="destinationPath"/> (a rename where both are on one disk),
    /// after which the request no longer deletes it.
    /// </summary>
    /// <param name="destinationPath">Where the file goes; it must not exist unless <paramref name="overwrite"/> is set.</param>
    /// <param name="overwrite">Whether an existing file is replaced.</param>
    public void MoveTo(string destinationPath, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(destinationPath);
        var path = _path ?? throw new InvalidOperationException("The temporary file was already moved or deleted.");
        File.Move(path, destinationPath, overwrite);
        _path = null;
    }

    /// <inheritdoc />
    protected override ValueTask DisposeAsyncCore()
    {
        var path = Interlocked.Exchange(ref _path, null);
        if (path is not null)
        {
            TemporaryFiles.TryDelete(path);
        }

        return ValueTask.CompletedTask;
    }
}
