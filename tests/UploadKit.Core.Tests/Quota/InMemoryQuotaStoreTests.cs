using UploadKit.Quota;

namespace UploadKit.Tests.Quota;

public class InMemoryQuotaStoreTests
{
    [Test]
    public async Task TryReserveAsync_ManyConcurrentCallers_ReserveExactlyUpToLimit()
    {
        var store = new InMemoryQuotaStore();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => store.TryReserveAsync("alice", 10, 500))));

        Assert.That(results.Count(r => r), Is.EqualTo(50));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(500));
    }

    [Test]
    public async Task ReleaseAsync_MoreThanUsed_StopsAtZero()
    {
        var store = new InMemoryQuotaStore();
        await store.TryReserveAsync("alice", 10, 100);

        await store.ReleaseAsync("alice", 50);

        Assert.That(await store.GetUsageAsync("alice"), Is.Zero);
        Assert.That(await store.TryReserveAsync("alice", 100, 100), Is.True);
    }

    [Test]
    public void TryReserveAsync_ZeroBytes_Throws()
    {
        var store = new InMemoryQuotaStore();

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.TryReserveAsync("alice", 0, 100));
    }
}
