using Microsoft.Extensions.Logging.Abstractions;
using UploadKit.Testing;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>The storage contract on the in-process GCS server: each storage in a bucket of its own.</summary>
[Category("Integration")]
public sealed class GcsStorageContractTests : StorageContract
{
    private readonly List<string> _buckets = [];

    private static FakeGcs.FakeGcsServer Server => GcsServerFixture.Server;

    protected override Task<IFileStorage> CreateStorageAsync(bool overwrite)
    {
        var bucket = "contract-" + Guid.NewGuid().ToString("N")[..12];
        Server.CreateBucketDirectly(bucket);
        _buckets.Add(bucket);
        var options = GcsServerFixture.OptionsFor(bucket);
        options.Overwrite = overwrite;
        return Task.FromResult<IFileStorage>(new GcsStorage("contract", options, NullLogger.Instance, TimeProvider.System));
    }

    /// <summary>Resumable sessions the storage opened and never finished, and every request the server did not understand.</summary>
    protected override Task<IReadOnlyList<string>> LeftoversAsync()
    {
        var leftovers = new List<string>();
        while (Server.ProtocolErrors.TryDequeue(out var error))
        {
            leftovers.Add("the server did not understand: " + error);
        }

        return Task.FromResult<IReadOnlyList<string>>(leftovers);
    }

    [Test]
    public async Task OpenReadAsync_KeepsNoCopyOnDisk()
    {
        var content = RandomBytes(2 * 1024 * 1024, seed: 5);
        var name = await Storage.SaveAsync("big.bin", new MemoryStream(content));
        var before = TemporaryCopies();

        await using var stream = await Storage.OpenReadAsync(name);
        var head = new byte[10];
        await stream.ReadExactlyAsync(head);

        Assert.That(TemporaryCopies(), Is.EquivalentTo(before), "no temporary file holds the object while it is read");
        Assert.That(stream.CanSeek, Is.False, "the object is read as it arrives, not from a local copy");
        Assert.That(head, Is.EqualTo(content[..10]));
    }

    private static string[] TemporaryCopies() => Directory.GetFiles(Path.GetTempPath(), "uploadkit-gcs-*");
}
