using System.Collections.Concurrent;
using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Moq.Protected;

namespace UploadKit.Storage.Azure.Tests;

/// <summary>Block staging, checked against a mocked block blob client so failures and concurrency can be controlled.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class AzureBlobStorageSaveTests
{
    private readonly Mock<BlockBlobClient> _blob = new();
    private readonly ConcurrentDictionary<string, byte[]> _staged = new();
    private readonly List<string> _committed = [];
    private int _inFlight;
    private int _maxInFlight;
    private int _stageCalls;

    [SetUp]
    public void SetUpBlob()
    {
        _blob.SetupGet(b => b.Name).Returns("a.bin");
        _blob.Setup(b => b.ExistsAsync(It.IsAny<CancellationToken>())).ReturnsAsync(Response.FromValue(false, Mock.Of<Response>()));
        _blob.Setup(b => b.CommitBlockListAsync(It.IsAny<IEnumerable<string>>(), It.IsAny<CommitBlockListOptions>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IEnumerable<string> ids, CommitBlockListOptions _, CancellationToken _) =>
            {
                _committed.AddRange(ids);
                return Response.FromValue<BlobContentInfo>(null!, Mock.Of<Response>());
            });
    }

    [Test]
    public async Task SaveAsync_ManyBlocks_StagesAtMostMaxConcurrencyAtOnceAndCommitsInOrder()
    {
        StageWith(failOnCall: null);
        var storage = CreateStorage(blockSize: 16, maxConcurrency: 3);

        var name = await storage.SaveAsync("a.bin", new PatternStream(16 * 50 + 5, 40));

        Assert.That(name, Is.EqualTo("a.bin"));
        Assert.That(_maxInFlight, Is.InRange(2, 3));
        Assert.That(_committed, Has.Count.EqualTo(51).And.Unique);
        Assert.That(_committed.Select(id => id.Length).Distinct().Count(), Is.EqualTo(1), "Block ids of one blob must have one length.");
        var stored = _committed.SelectMany(id => _staged[id]).ToArray();
        Assert.That(SHA256.HashData(stored), Is.EqualTo(PatternStream.Sha256(16 * 50 + 5, 40)));
    }

    [Test]
    public void SaveAsync_StagingFails_CommitsNothing()
    {
        StageWith(failOnCall: 3);
        var storage = CreateStorage(blockSize: 16, maxConcurrency: 2);

        var ex = Assert.ThrowsAsync<RequestFailedException>(() => storage.SaveAsync("a.bin", new PatternStream(16 * 20, 41)));

        Assert.That(ex!.Status, Is.EqualTo(500));
        _blob.Verify(
            b => b.CommitBlockListAsync(It.IsAny<IEnumerable<string>>(), It.IsAny<CommitBlockListOptions>(), It.IsAny<CancellationToken>()),
            Times.Never);
        Assert.That(_stageCalls, Is.LessThan(20), "Reading stops once a block failed.");
    }

    private void StageWith(int? failOnCall)
    {
        _blob.Setup(b => b.StageBlockAsync(
            It.IsAny<string>(), It.IsAny<Stream>(), It.IsAny<BlockBlobStageBlockOptions>(), It.IsAny<CancellationToken>()))
            .Returns(async (string id, Stream content, BlockBlobStageBlockOptions _, CancellationToken cancellationToken) =>
            {
                var call = Interlocked.Increment(ref _stageCalls);
                var now = Interlocked.Increment(ref _inFlight);
                InterlockedMax(ref _maxInFlight, now);
                try
                {
                    using var copy = new MemoryStream();
                    await content.CopyToAsync(copy, cancellationToken);
                    await Task.Delay(2, cancellationToken);
                    if (call == failOnCall)
                    {
                        throw new RequestFailedException(500, "The server failed.");
                    }

                    _staged[id] = copy.ToArray();
                    return Response.FromValue<BlockInfo>(null!, Mock.Of<Response>());
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            });
    }

    private AzureBlobStorage CreateStorage(int blockSize, int maxConcurrency)
    {
        var container = new Mock<BlobContainerClient>();
        container.SetupGet(c => c.Name).Returns("media");
        container.Protected().Setup<BlockBlobClient>("GetBlockBlobClientCore", ItExpr.IsAny<string>()).Returns(_blob.Object);
        var service = new Mock<BlobServiceClient>();
        service.Setup(s => s.GetBlobContainerClient("media")).Returns(container.Object);
        var options = new AzureBlobStorageOptions { Container = "media", ChunkSize = blockSize, MaxConcurrency = maxConcurrency };
        return new AzureBlobStorage("azure", service.Object, options);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
