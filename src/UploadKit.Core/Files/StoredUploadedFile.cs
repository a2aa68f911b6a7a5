using Microsoft.Extensions.Logging;

namespace UploadKit;

/// <summary>
/// An uploaded file that was streamed straight into a storage by <see cref="StorageStreamingHandler"/>: it refers to
/// the stored object.
/// </summary>
/// <remarks>
/// Like a temporary file, the stored object is removed when the request ends unless the endpoint keeps it: with
/// <see cref="Keep"/>, or by saving the file with <see cref="UploadedFile.SaveAsync"/>. A save is a move: into the same
/// storage under the stored name it only keeps the object; under another name or into another storage it copies the
/// object and then removes the original (unless <see cref="Keep"/> kept it), and this file then refers to the copy. So a file the endpoint does not
/// use (a file in an unexpected field, a request answered with an error) leaves nothing behind.
/// </remarks>
public sealed class StoredUploadedFile : UploadedFile
{
    private const int Pending = 0;
    private const int Kept = 1;
    private const int Released = 2;

    private int _state;
    private readonly ILogger? _logger;
    private (IFileStorage Storage, string Name)? _leftover;

    // The logger reports an object that could not be removed.
    internal StoredUploadedFile(UploadFileHeader header, IFileStorage storage, string storedName, long length, ILogger? logger = null)
        : base(header, length)
    {
        Storage = storage;
        StoredName = storedName;
        _logger = logger;
    }

    /// <summary>Gets the storage holding the file.</summary>
    public IFileStorage Storage { get; private set; }

    /// <summary>Gets the name the file is stored under (the name actually used).</summary>
    public string StoredName { get; private set; }

    /// <summary>
    /// Keeps the stored object when the request ends, where it is, under <see cref="StoredName"/>. Without this (or a
    /// <see cref="UploadedFile.SaveAsync"/>), the object is removed at the end of the request.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The request has ended and the object was removed.</exception>
    /// <remarks>
    /// Like a save, a kept object is removed again if the request then fails (see <see cref="UploadedFile.SaveAsync"/>),
    /// unless <see cref="UploadForm.KeepSavedFiles"/> kept it.
    /// </remarks>
    public void Keep()
    {
        KeepWhereItIs();
        SaveScope?.Saved(this, Storage, StoredName);
    }

    private void KeepWhereItIs()
    {
        if (Interlocked.CompareExchange(ref _state, Kept, Pending) == Released)
        {
            throw new ObjectDisposedException(nameof(StoredUploadedFile), "The stored object was removed when its request ended.");
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Blocks the calling thread while the storage opens the object (a network call for an object store); it is here
    /// for <see cref="Microsoft.AspNetCore.Http.IFormFile"/>. Prefer <see cref="OpenReadStreamAsync"/>.
    /// </remarks>
    public override Stream OpenReadStream() => Storage.OpenReadAsync(StoredName).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<Stream> OpenReadStreamAsync(CancellationToken cancellationToken = default) =>
        Storage.OpenReadAsync(StoredName, cancellationToken);

    private protected override async Task<string> SaveCoreAsync(
        IFileStorage storage, string name, FileSaveOptions options, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(storage, Storage) && string.Equals(name, StoredName, StringComparison.Ordinal))
        {
            // The save records itself in the request's scope.
            KeepWhereItIs();
            return StoredName;
        }

        if (Volatile.Read(ref _state) == Released)
        {
            throw new ObjectDisposedException(nameof(StoredUploadedFile), "The stored object was removed when its request ended.");
        }

        string saved;
        var content = await Storage.OpenReadAsync(StoredName, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            saved = await storage.SaveAsync(name, content, options, cancellationToken).ConfigureAwait(false);
        }

        // A move: the copy is kept and the original goes, now or, if that fails, when the request ends.
        var original = (Storage, StoredName);
        var wasKept = Interlocked.Exchange(ref _state, Kept) == Kept;
        Storage = storage;
        StoredName = saved;
        if (!ReferenceEquals(original.Storage, storage) || !string.Equals(original.StoredName, saved, StringComparison.Ordinal))
        {
            if (wasKept)
            {
                // The endpoint kept the original itself: saving it elsewhere as well leaves it be.
                return saved;
            }

            if (!await StorageHelpers.TryDeleteAsync(original.Storage, original.StoredName).ConfigureAwait(false))
            {
                _leftover = original;
            }
        }

        return saved;
    }

    /// <inheritdoc />
    /// <remarks>Removes the stored object unless it was kept.</remarks>
    protected override async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.CompareExchange(ref _state, Released, Pending) == Pending)
        {
            await StorageHelpers.TryDeleteAsync(Storage, StoredName, _logger).ConfigureAwait(false);
        }

        if (_leftover is { } leftover)
        {
            _leftover = null;
            await StorageHelpers.TryDeleteAsync(leftover.Storage, leftover.Name, _logger).ConfigureAwait(false);
        }
    }
}
