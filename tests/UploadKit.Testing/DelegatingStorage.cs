namespace UploadKit.Testing;

/// <summary>
/// A storage that hands every call to <paramref name="inner"/>; tests derive from it to watch, delay or change one
/// call. A copy is left to <see cref="IFileStorage.CopyAsync"/>'s own implementation, so it goes through this
/// storage's reads and saves.
/// </summary>
/// <param name="inner">The storage that does the work.</param>
public abstract class DelegatingStorage(IFileStorage inner) : IFileStorage
{
    /// <summary>The storage that does the work.</summary>
    protected IFileStorage Inner { get; } = inner;

    /// <inheritdoc />
    public virtual Task<string> SaveAsync(
        string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default) =>
        Inner.SaveAsync(name, content, options, cancellationToken);

    /// <inheritdoc />
    public virtual Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default) =>
        Inner.OpenReadAsync(name, cancellationToken);

    /// <inheritdoc />
    public virtual Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
        Inner.DeleteAsync(name, cancellationToken);

    /// <inheritdoc />
    public virtual Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) =>
        Inner.ExistsAsync(name, cancellationToken);

    /// <inheritdoc />
    public virtual Task<StoredFileInfo?> GetMetadataAsync(string name, CancellationToken cancellationToken = default) =>
        Inner.GetMetadataAsync(name, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<StoredFileInfo> ListAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
        Inner.ListAsync(prefix, cancellationToken);

    /// <inheritdoc />
    public virtual Task<string?> GetUrlAsync(string name, CancellationToken cancellationToken = default) =>
        Inner.GetUrlAsync(name, cancellationToken);
}
