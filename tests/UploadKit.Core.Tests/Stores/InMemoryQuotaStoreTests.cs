using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Tests.Stores;

public class InMemoryQuotaStoreTests
{
    [Test]
    public async Task TryReserveAsync_ManyConcurrentCallers_ReserveExactlyUpToLimit()
    {
        var store = new InMemoryQuotaStore(TimeProvider.System);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => store.TryReserveAsync("alice", 10, 500))));

        Assert.That(results.Count(r => r), Is.EqualTo(50));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(500));
    }

    [Test]
    public async Task ReleaseAsync_MoreThanUsed_StopsAtZero()
    {
        var store = new InMemoryQuotaStore(TimeProvider.System);
        await store.TryReserveAsync("alice", 10, 100);

        await store.ReleaseAsync("alice", 50);

        Assert.That(await store.GetUsageAsync("alice"), Is.Zero);
        Assert.That(await store.TryReserveAsync("alice", 100, 100), Is.True);
    }

    [Test]
    public async Task TrySetReservationAsync_LeaseRunsOut_ReservationStopsCounting()
    {
        // A server that stops mid-upload never ends its reservation: the lease does.
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var store = new InMemoryQuotaStore(clock);
        Assert.That(await store.TrySetReservationAsync("alice", "upload-1", 600, 1000, TimeSpan.FromMinutes(5)), Is.True);
        Assert.That(
            await store.TrySetReservationAsync("alice", "upload-2", 600, 1000, TimeSpan.FromMinutes(5)),
            Is.False,
            "both together would cross the limit");

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.That(await store.TrySetReservationAsync("alice", "upload-1", 700, 1000, TimeSpan.FromMinutes(5)), Is.True, "grown and renewed");
        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(700), "still within the renewed lease");

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(await store.GetUsageAsync("alice"), Is.Zero);
        Assert.That(await store.TrySetReservationAsync("alice", "upload-2", 1000, 1000, TimeSpan.FromMinutes(5)), Is.True);
    }

    [Test]
    public Task Reservations_ReachTheLimitAndKeepWhatEndsKept() =>
        QuotaStoreContract.ReservationsReachTheLimitAndKeepWhatEndsKeptAsync(new InMemoryQuotaStore(TimeProvider.System));

    [Test]
    public async Task TrySetReservationAsync_LeaseOfTimeSpanMaxValue_NeverRunsOut()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var store = new InMemoryQuotaStore(clock);

        Assert.That(await store.TrySetReservationAsync("alice", "upload-1", 10, 100, TimeSpan.MaxValue), Is.True);
        clock.Advance(TimeSpan.FromDays(3650));

        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(10));
    }

    [Test]
    public async Task TryReserveAsync_Refused_LeavesNothingBehind()
    {
        var store = new InMemoryQuotaStore(TimeProvider.System);

        Assert.That(await store.TryReserveAsync("bob", 100, 10), Is.False);
        Assert.That(await store.TrySetReservationAsync("bob", "upload-1", 100, 10, TimeSpan.FromMinutes(5)), Is.False);

        Assert.That(await store.GetUsageAsync("bob"), Is.Zero);
    }

    [Test]
    public void TryReserveAsync_ZeroBytes_Throws()
    {
        var store = new InMemoryQuotaStore(TimeProvider.System);

        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.TryReserveAsync("alice", 0, 100));
    }
}
