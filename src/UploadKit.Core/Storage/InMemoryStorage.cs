using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace UploadKit;

/// <summary>
/// Keeps files in memory for the life of the instance: Django's <c>InMemoryStorage</c>, meant for tests.
/// It follows the same name rules as every storage and never shows a partly saved file.
/// </summary>
public sealed class InMemoryStorage : FileStorage, IResumableFileStorage
{
    private readonly ConcurrentDictionary<string, Entry> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MemoryStream> _writes = new(StringComparer.Ordinal);
    private readonly string? _baseUrl;
    private readonly TimeProvider _time;
    private long _version;

    /// <summary>Creates an empty storage with default settings.</summary>
    public InMemoryStorage()
        : this(new InMemoryStorageOptions())
    {
    }

    /// <summary>Creates an empty storage.</summary>
    /// <param name="options">The storage's settings.</param>
    public InMemoryStorage(InMemoryStorageOptions options)
        : this(options, TimeProvider.System)
    {
    }

    /// <summary>Creates an empty storage whose modification times come from <paramref name="timeProvider"/>.</summary>
    /// <param name="options">The storage's settings.</param>
    /// <param name="timeProvider">The clock for <see cref="StoredFileInfo.LastModified"/>.</param>
    public InMemoryStorage(InMemoryStorageOptions options, TimeProvider timeProvider)
        : this(options, timeProvider, "InMemory")
    {
    }

    internal InMemoryStorage(InMemoryStorageOptions options, TimeProvider timeProvider, string storageName)
        : base(storageName, (options ?? throw new ArgumentNullException(nameof(options))).Overwrite)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _baseUrl = options.BaseUrl;
        _time = timeProvider;
    }

    /// <inheritdoc />
    /// <remarks>The whole content is read into memory first; a name is then taken atomically.</remarks>
    protected override bool ChecksNameBeforeWrite => false;

    /// <inheritdoc />
    protected override async Task<string> SaveCoreAsync(Stream content, StorageSave save, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        var data = buffer.ToArray();
        while (true)
        {
            var entry = new Entry(data, Describe(save.Name, data, save));
            if (save.Overwrite)
            {
                _files[save.Name] = entry;
                return save.Name;
            }

            if (_files.TryAdd(save.Name, entry))
            {
                return save.Name;
            }

            save.NextName();
        }
    }

    /// <inheritdoc />
    protected override Task<Stream> OpenReadCoreAsync(string name, CancellationToken cancellationToken)
    {
        if (!_files.TryGetValue(name, out var entry))
        {
            throw new FileNotFoundException($"No file is named '{name}'.", name);
        }

        return Task.FromResult<Stream>(new MemoryStream(entry.Data, writable: false));
    }

    /// <inheritdoc />
    protected override Task<bool> DeleteCoreAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_files.TryRemove(name, out _));

    /// <inheritdoc />
    protected override Task<bool> ExistsCoreAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_files.ContainsKey(name));

    /// <inheritdoc />
    protected override Task<StoredFileInfo?> GetMetadataCoreAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(_files.TryGetValue(name, out var entry) ? entry.Info : null);

    /// <inheritdoc />
    protected override async IAsyncEnumerable<StoredFileInfo> ListCoreAsync(
        string prefix, string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
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
    protected override Task<StoredFileInfo> CopyCoreAsync(
        string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken)
    {
        if (!_files.TryGetValue(sourceName, out var source) ||
            (sourceETag is not null && !string.Equals(source.Info.ETag, sourceETag, StringComparison.Ordinal)))
        {
            throw new FileNotFoundException($"No file named '{sourceName}' with the expected content exists.", sourceName);
        }

        var info = new StoredFileInfo(destinationName, source.Data.Length)
        {
            ContentType = source.Info.ContentType,
            LastModified = _time.GetUtcNow(),
            ETag = StorageHelpers.MakeETag(Interlocked.Increment(ref _version), source.Data.Length),
            Checksums = source.Info.Checksums,
            Metadata = source.Info.Metadata,
        };
        _files[destinationName] = new Entry(source.Data, info);
        return Task.FromResult(info);
    }

    /// <inheritdoc />
    protected override Task<string?> GetUrlCoreAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(StorageHelpers.BuildUrl(_baseUrl, name));

    /// <inheritdoc />
    public Task<ResumableWrite> BeginWriteAsync(string name, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        name = ValidateName(name);
        return Task.FromResult(new ResumableWrite(name, 0, ResumableWriteState.Create(options).Serialize()));
    }

    /// <inheritdoc />
    public async Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var state = ResumableWriteState.Parse(write);
        var buffer = _writes.GetOrAdd(state.Id, _ => new MemoryStream());
        using var appended = new MemoryStream();
        await content.CopyToAsync(appended, cancellationToken).ConfigureAwait(false);
        lock (buffer)
        {
            // Bytes past the recorded length belong to an append that was never recorded: replaced.
            buffer.SetLength(Math.Min(buffer.Length, write.Length));
            if (buffer.Length != write.Length)
            {
                throw new InvalidOperationException("The write holds fewer bytes than its recorded length.");
            }

            buffer.Position = write.Length;
            appended.WriteTo(buffer);
        }

        return new ResumableWrite(write.Name, write.Length + appended.Length, write.State);
    }

    /// <inheritdoc />
    public async Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var state = ResumableWriteState.Parse(write);
        byte[] data = [];
        if (_writes.TryGetValue(state.Id, out var buffer))
        {
            lock (buffer)
            {
                data = buffer.GetBuffer().AsSpan(0, (int)Math.Min(buffer.Length, write.Length)).ToArray();
            }
        }

        if (data.Length != write.Length)
        {
            throw new InvalidOperationException("The write holds fewer bytes than its recorded length.");
        }

        var name = await SaveAsync(write.Name, new MemoryStream(data, writable: false), state.ToSaveOptions(data.Length), cancellationToken)
            .ConfigureAwait(false);
        _writes.TryRemove(state.Id, out _);
        return _files[name].Info;
    }

    /// <inheritdoc />
    public Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        _writes.TryRemove(ResumableWriteState.Parse(write).Id, out _);
        return Task.CompletedTask;
    }

    /// <summary>Gets how many resumable writes hold bytes: neither completed nor aborted.</summary>
    internal int PendingWriteCount => _writes.Count;

    private StoredFileInfo Describe(string name, byte[] data, StorageSave save)
    {
        var options = save.Options;
        return new(name, data.Length)
        {
            ContentType = save.ContentType,
            ContentDisposition = save.ContentDisposition,
            LastModified = _time.GetUtcNow(),
            ETag = StorageHelpers.MakeETag(Interlocked.Increment(ref _version), data.Length),
            Checksums = StorageHelpers.Freeze(options?.Checksums),
            Metadata = StorageHelpers.Freeze(options?.Metadata),
        };
    }

    private sealed record Entry(byte[] Data, StoredFileInfo Info);
}
