using UploadKit.Testing;

namespace UploadKit.Tests.Storage;

/// <summary>The resumable-write contract on the local disk: bytes wait in the storage's reserved folder.</summary>
public sealed class FileSystemResumableStorageContractTests : ResumableStorageContract
{
    private string? _directory;
    private string? _location;

    protected override Task<IFileStorage> CreateStorageAsync()
    {
        _directory ??= Directory.CreateTempSubdirectory("uploadkit-tests-").FullName;
        _location = Path.Combine(_directory, "media-" + Guid.NewGuid().ToString("N"));
        return CreateSiblingStorageAsync();
    }

    protected override Task<IFileStorage> CreateSiblingStorageAsync() =>
        Task.FromResult(Track(new FileSystemStorage(new FileSystemStorageOptions { Location = _location! })));

    /// <summary>Files in the reserved folder other than metadata: waiting writes and temporary files.</summary>
    protected override Task<IReadOnlyList<string>> LeftoversAsync() => Task.FromResult<IReadOnlyList<string>>(
        [.. Directory.EnumerateFiles(_directory!, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(_directory!, path).Replace('\\', '/'))
            .Where(path => path.Contains(".uploadkit", StringComparison.Ordinal) && !path.Contains("/.uploadkit/meta/", StringComparison.Ordinal))]);

    protected override Task DeleteStoreAsync()
    {
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }

        return Task.CompletedTask;
    }
}

/// <summary>The resumable-write contract in memory.</summary>
public sealed class InMemoryResumableStorageContractTests : ResumableStorageContract
{
    private InMemoryStorage? _storage;

    protected override Task<IFileStorage> CreateStorageAsync()
    {
        _storage = new InMemoryStorage(new InMemoryStorageOptions());
        return Task.FromResult<IFileStorage>(_storage);
    }

    /// <summary>The same instance: an in-memory store is one process's.</summary>
    protected override Task<IFileStorage> CreateSiblingStorageAsync() => Task.FromResult<IFileStorage>(_storage!);

    protected override Task<IReadOnlyList<string>> LeftoversAsync() =>
        Task.FromResult<IReadOnlyList<string>>(_storage!.PendingWriteCount == 0 ? [] : [$"{_storage.PendingWriteCount} pending writes"]);
}
