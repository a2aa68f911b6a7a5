using UploadKit.Testing;

namespace UploadKit.Storage.S3.Tests;

/// <summary>
/// The resumable-write contract on s3rver, each storage under a key prefix of its own, appends shaped around S3's 5 MiB
/// part minimum.
/// </summary>
[Category("Integration")]
public sealed class S3ResumableStorageContractTests : ResumableStorageContract
{
    private readonly List<string> _prefixes = [];

    protected override int PartSize => S3StorageOptions.MinimumPartSize;

    protected override Task<IFileStorage> CreateStorageAsync()
    {
        var prefix = "resumable-" + Guid.NewGuid().ToString("N");
        _prefixes.Add(prefix);
        return Task.FromResult<IFileStorage>(CreateStorage(prefix));
    }

    protected override Task<IFileStorage> CreateSiblingStorageAsync() => Task.FromResult(Track(CreateStorage(_prefixes[^1])));

    /// <summary>The objects of the storages' reserved folders (resumable writes' pieces) and their unfinished multipart uploads.</summary>
    protected override Task<IReadOnlyList<string>> LeftoversAsync() => S3Leftovers.ListAsync(_prefixes);

    private static S3Storage CreateStorage(string prefix) =>
        S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["KeyPrefix"] = prefix, ["Overwrite"] = "false" });
}
