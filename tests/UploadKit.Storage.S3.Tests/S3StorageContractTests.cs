using UploadKit.Testing;

namespace UploadKit.Storage.S3.Tests;

/// <summary>The storage contract on s3rver: each storage under a key prefix of its own in the test bucket.</summary>
[Category("Integration")]
public sealed class S3StorageContractTests : StorageContract
{
    private readonly List<string> _prefixes = [];

    protected override Task<IFileStorage> CreateStorageAsync(bool overwrite)
    {
        var prefix = "contract-" + Guid.NewGuid().ToString("N");
        _prefixes.Add(prefix);
        return Task.FromResult<IFileStorage>(S3rverFixture.CreateStorage(new Dictionary<string, string?>
        {
            ["KeyPrefix"] = prefix,
            ["Overwrite"] = overwrite ? "true" : "false",
        }));
    }

    /// <summary>Multipart uploads the storage started and neither completed nor aborted, and objects of its reserved folder.</summary>
    protected override Task<IReadOnlyList<string>> LeftoversAsync() => S3Leftovers.ListAsync(_prefixes);
}
