using Microsoft.Extensions.Logging.Abstractions;
using UploadKit.Testing;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>
/// The resumable-write contract on the in-process GCS server: storages under a key prefix of a bucket of their own,
/// uploading in chunks of 256 KiB, so that appends around a chunk are the sizes the contract shapes around.
/// </summary>
[Category("Integration")]
public sealed class GcsResumableStorageContractTests : ResumableStorageContract
{
    private const string KeyPrefix = "media/";
    private string? _bucket;

    private static FakeGcs.FakeGcsServer Server => GcsServerFixture.Server;

    protected override int PartSize => GcsStorageOptions.ChunkSizeUnit;

    protected override Task<IFileStorage> CreateStorageAsync()
    {
        _bucket = "resumable-" + Guid.NewGuid().ToString("N")[..12];
        Server.CreateBucketDirectly(_bucket);
        return CreateSiblingStorageAsync();
    }

    protected override Task<IFileStorage> CreateSiblingStorageAsync()
    {
        var options = GcsServerFixture.OptionsFor(_bucket!);
        options.KeyPrefix = KeyPrefix;
        return Task.FromResult(Track(new GcsStorage("contract", options, NullLogger.Instance, TimeProvider.System)));
    }

    /// <summary>
    /// Objects of the write folders (pieces, folds), objects outside the storage's prefix, upload sessions into the
    /// bucket never finished nor cancelled, and requests the server did not understand.
    /// </summary>
    protected override Task<IReadOnlyList<string>> LeftoversAsync()
    {
        var leftovers = new List<string>();
        leftovers.AddRange(Server.ObjectNames(_bucket!)
            .Where(name => !name.StartsWith(KeyPrefix, StringComparison.Ordinal)
                || name.StartsWith(KeyPrefix + ".uploadkit/", StringComparison.Ordinal))
            .Select(name => "object " + name));
        leftovers.AddRange(Server.OpenSessionsIn(_bucket!).Select(name => "open upload session for " + name));
        while (Server.ProtocolErrors.TryDequeue(out var error))
        {
            leftovers.Add("the server did not understand: " + error);
        }

        return Task.FromResult<IReadOnlyList<string>>(leftovers);
    }
}
