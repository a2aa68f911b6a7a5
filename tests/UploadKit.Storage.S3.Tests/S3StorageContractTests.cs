using Amazon.S3.Model;
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

    /// <summary>Multipart uploads the storage started and neither completed nor aborted.</summary>
    protected override async Task<IReadOnlyList<string>> LeftoversAsync()
    {
        using var client = S3rverFixture.CreateClient();
        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3rverFixture.BucketName });
        return [.. (uploads.MultipartUploads ?? []).Where(u => _prefixes.Exists(p => u.Key.StartsWith(
            p + "/", StringComparison.Ordinal))).Select(u => $"multipart upload of {u.Key}")];
    }
}
