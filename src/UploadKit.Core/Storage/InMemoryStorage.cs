using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace UploadKit;

/// <summary>
/// Keeps files in memory for the life of the instance: Django's <c>InMemoryStorage</c>, meant for tests.
/// It follows the same name rules as every storage and never shows a partly saved file.
/// </summary>
public sealed class InMemoryStorage : IFileStorage
{
    private const int MaxAttempts = 100;

    private readonly ConcurrentDictionary<string, Entry> _files = new(StringComparer.Ordinal);
    private readonly string? _baseUrl;
    private readonly bool _overwrite;
    private long _version;

    /// <summary>Creates an empty storage with default settings.</summary>
    public InMemoryStorage()
        : this(new InMemoryStorageOptions())
    {
    }

    /// <summary>Creates an empty storage.</summary>
    /// <param name="options">The storage's settings.</param>
    public InMemoryStorage(InMemoryStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _baseUrl = options.BaseUrl;
        _overwrite = options.Overwrite;
    }

    /// <inheritdoc />
    public async Task<string> SaveAsync(string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        name = FileStorageNames.Validate(name);
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var data = buffer.ToArray();
        var overwrite = options?.Overwrite ?? _overwrite;
        var candidate = name;
        for (var attempt = 0; ; attempt++)
        {
            var entry = new Entry(data, Describe(candidate, data, options));
            if (overwrite)
            {
                _files[candidate] = entry;
                return candidate;
            }

            if (_files.TryAdd(candidate, entry))
            {
                return candidate;
            }

            if (attempt >= MaxAttempts)
            {
                throw new IOException($"No free name was found for '{name}'.");
            }

            candidate = FileStorageNames.GetAlternateName(name);
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default)
    {
        name = FileStorageNames.Validate(name);
        if (!_files.TryGetValue(name, out var entry))
        {
            throw new FileNotFoundException($"No file is named '{name}'.", name);
        }

        return Task.FromResult<Stream>(new MemoryStream(entry.Data, writable: false));
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_files.TryRemove(FileStorageNames.Validate(name), out _));

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_files.ContainsKey(FileStorageNames.Validate(name)));

    /// <inheritdoc />
    public Task<StoredFileInfo?> GetMetadataAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_files.TryGetValue(FileStorageNames.Validate(name), out var entry) ? entry.Info : null);

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredFileInfo> ListAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        prefix ??= string.Empty;
        StorageHelpers.ValidatePrefix(prefix);
        var entries = _files.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p.Value.Info).ToList();
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var info in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>The copy shares the source's bytes, which no save changes in place: the copy costs no memory.</remarks>
    public Task<StoredFileInfo> CopyAsync(string sourceName, string destinationName, string? sourceETag = null, CancellationToken cancellationToken = default)
    {
        sourceName = FileStorageNames.Validate(sourceName);
        destinationName = FileStorageNames.Validate(destinationName);
        if (!_files.TryGetValue(sourceName, out var source) || (sourceETag is not null && !string.Equals(source.Info.ETag, sourceETag, StringComparison.Ordinal)))
        {
            throw new FileNotFoundException($"No file named '{sourceName}' with the expected content exists.", sourceName);
        }

        var info = new StoredFileInfo(destinationName, source.Data.Length)
        {
            ContentType = source.Info.ContentType,
            LastModified = DateTimeOffset.UtcNow,
            ETag = StorageHelpers.MakeETag(Interlocked.Increment(ref _version), source.Data.Length),
            Checksums = source.Info.Checksums,
            Metadata = source.Info.Metadata,
        };
        _files[destinationName] = new Entry(source.Data, info);
        return Task.FromResult(info);
    }

    /// <inheritdoc />
    public Task<string?> GetUrlAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(StorageHelpers.BuildUrl(_baseUrl, FileStorageNames.Validate(name)));

    private StoredFileInfo Describe(string name, byte[] data, FileSaveOptions? options)
    {
        var contentType = StoredContentTypes.GetContentType(name, options);
        return new(name, data.Length)
        {
            ContentType = contentType,
            ContentDisposition = StoredContentTypes.GetContentDisposition(contentType, options),
            LastModified = DateTimeOffset.UtcNow,
            ETag = StorageHelpers.MakeETag(Interlocked.Increment(ref _version), data.Length),
            Checksums = StorageHelpers.Freeze(options?.Checksums),
            Metadata = StorageHelpers.Freeze(options?.Metadata),
        };
    }

    private sealed record Entry(byte[] Data, StoredFileInfo Info);
}
