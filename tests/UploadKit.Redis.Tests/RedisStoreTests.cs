using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UploadKit;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

[Category("Integration")]
public class RedisStoreTests
{
    private ServiceProvider _services = null!;
    private string _prefix = null!;

    [SetUp]
    public void SetUp()
    {
        RedisFixture.Require();
        _prefix = "test:" + Guid.NewGuid().ToString("N") + ":";
        var services = new ServiceCollection();
        services.AddUploadKit().AddRedisStores(o =>
        {
            o.ConnectionString = RedisFixture.ConnectionString;
            o.KeyPrefix = _prefix;
        });
        _services = services.BuildServiceProvider();
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Test]
    public void AddRedisStores_AfterAddUploadKit_ReplacesInMemoryStores()
    {
        Assert.That(_services.GetRequiredService<IUploadProgressStore>(), Is.TypeOf<RedisUploadProgressStore>());
        Assert.That(_services.GetRequiredService<IQuotaStore>(), Is.TypeOf<RedisQuotaStore>());
        Assert.That(_services.GetRequiredService<IUploadSessionStore>(), Is.TypeOf<RedisUploadSessionStore>());
        Assert.That(_services.GetServices<IQuotaStore>().Count(), Is.EqualTo(1));
    }

    [Test]
    public void AddRedisStores_WithoutConnectionString_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddUploadKit().AddRedisStores(o => o.KeyPrefix = "x:");
        using var provider = services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<RedisStoreOptions>>().Value);
    }

    [Test]
    public void AddRedisStores_SessionRetentionNotLongerThanSweepGracePeriod_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddUploadKit().AddRedisStores(o =>
        {
            o.ConnectionString = RedisFixture.ConnectionString;
            o.SessionRetention = TimeSpan.FromMinutes(30);
        });
        services.Configure<DirectUploadOptions>(o => o.SweepGracePeriod = TimeSpan.FromHours(1));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<RedisStoreOptions>>().Value);
        Assert.That(error!.Message, Does.Contain("SweepGracePeriod"));
    }

    [Test]
    public async Task ProgressStore_SetAndGet_RoundTripsWithTimeToLive()
    {
        var store = _services.GetRequiredService<IUploadProgressStore>();
        var progress = new UploadProgress(Guid.NewGuid().ToString("N"))
        {
            OwnerId = "alice",
            BytesReceived = 42,
            BytesExpected = 100,
            State = UploadProgressState.Receiving,
            FileName = "a.bin",
            UpdatedOn = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
        };

        await store.SetAsync(progress, TimeSpan.FromSeconds(30));
        var read = await store.GetAsync(progress.Id);
        var ttl = await RedisFixture.Database.KeyTimeToLiveAsync(_prefix + "progress:" + progress.Id);

        Assert.That(read, Is.Not.Null);
        Assert.That(
            (read!.OwnerId, read.BytesReceived, read.BytesExpected, read.State, read.FileName, read.UpdatedOn),
            Is.EqualTo((progress.OwnerId, progress.BytesReceived, progress.BytesExpected, progress.State, progress.FileName, progress.UpdatedOn)));
        Assert.That(ttl, Is.Not.Null.And.LessThanOrEqualTo(TimeSpan.FromSeconds(30)).And.GreaterThan(TimeSpan.FromSeconds(20)));
    }

    [Test]
    public async Task ProgressStore_AfterTimeToLive_ReturnsNull()
    {
        var store = _services.GetRequiredService<IUploadProgressStore>();
        var id = Guid.NewGuid().ToString("N");
        await store.SetAsync(new UploadProgress(id), TimeSpan.FromMilliseconds(50));

        await Task.Delay(200);

        Assert.That(await store.GetAsync(id), Is.Null);
    }

    [Test]
    public async Task QuotaStore_ManyConcurrentReservations_ReserveExactlyUpToLimit()
    {
        var store = _services.GetRequiredService<IQuotaStore>();

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => store.TryReserveAsync("alice", 10, 500)));

        Assert.That(results.Count(r => r), Is.EqualTo(50));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(500));
    }

    [Test]
    public async Task QuotaStore_ReleaseMoreThanUsed_StopsAtZero()
    {
        var store = _services.GetRequiredService<IQuotaStore>();
        await store.TryReserveAsync("alice", 10, 100);

        await store.ReleaseAsync("alice", 50);

        Assert.That(await store.GetUsageAsync("alice"), Is.Zero);
        Assert.That(await store.TryReserveAsync("alice", 100, 100), Is.True);
    }

    [Test]
    public async Task QuotaStore_ReservationLeaseRunsOut_StopsCounting()
    {
        // A server that stops mid-upload never ends its reservation; the lease, timed by Redis itself, does.
        var store = _services.GetRequiredService<IQuotaStore>();
        Assert.That(await store.TrySetReservationAsync("alice", "upload-1", 600, 1000, TimeSpan.FromMilliseconds(300)), Is.True);
        Assert.That(await store.TrySetReservationAsync("alice", "upload-2", 600, 1000, TimeSpan.FromMinutes(5)), Is.False);
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(600));

        await Task.Delay(TimeSpan.FromMilliseconds(600));

        Assert.That(await store.GetUsageAsync("alice"), Is.Zero);
        Assert.That(await store.TrySetReservationAsync("alice", "upload-2", 1000, 1000, TimeSpan.FromMinutes(5)), Is.True);
    }

    [Test]
    public async Task QuotaStore_KeysThatLookLikeAnothersReservations_DoNotMeetThem()
    {
        var store = _services.GetRequiredService<IQuotaStore>();
        Assert.That(await store.TryReserveAsync("bob:reservations", 10, 100), Is.True);
        Assert.That(await store.TryReserveAsync("bob:leases", 10, 100), Is.True);

        Assert.That(await store.TrySetReservationAsync("bob", "upload-1", 100, 100, TimeSpan.FromMinutes(5)), Is.True);
        Assert.That(await store.GetUsageAsync("bob"), Is.EqualTo(100));
        Assert.That(await store.GetUsageAsync("bob:reservations"), Is.EqualTo(10));
    }

    [Test]
    public Task QuotaStore_Reservations_ReachTheLimitAndKeepWhatEndsKept() =>
        QuotaStoreContract.ReservationsReachTheLimitAndKeepWhatEndsKeptAsync(_services.GetRequiredService<IQuotaStore>());

    [Test]
    public async Task SessionStore_CreateAndGet_RoundTripsEveryField()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var session = NewSession(DateTimeOffset.UtcNow.AddMinutes(10));

        await store.CreateAsync(session);
        var read = await store.GetAsync(session.Id);

        Assert.That(read, Is.Not.Null);
        Assert.That(
            (
                read!.StorageName,
                read.ObjectName,
                read.ExpiresOn,
                read.State,
                read.OwnerId,
                read.FileName,
                read.ContentType,
                read.ExpectedLength,
                read.MaxLength,
                read.ChecksumSha256,
                read.FieldName,
                read.CreatedOn,
                read.RejectionReason),
            Is.EqualTo((
                session.StorageName,
                session.ObjectName,
                session.ExpiresOn,
                UploadSessionState.Pending,
                session.OwnerId,
                session.FileName,
                session.ContentType,
                session.ExpectedLength,
                session.MaxLength,
                session.ChecksumSha256,
                session.FieldName,
                session.CreatedOn,
                (string?)null)));
    }

    [Test]
    public async Task SessionStore_CreateSameIdTwice_Throws()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var session = NewSession(DateTimeOffset.UtcNow.AddMinutes(10));
        await store.CreateAsync(session);

        Assert.ThrowsAsync<InvalidOperationException>(() => store.CreateAsync(session));
    }

    [Test]
    public async Task SessionStore_CreatedSession_ExpiresAfterRetention()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var session = NewSession(DateTimeOffset.UtcNow.AddMinutes(10));

        await store.CreateAsync(session);
        var ttl = await RedisFixture.Database.KeyTimeToLiveAsync(_prefix + "session:" + session.Id);

        Assert.That(
            ttl, Is.Not.Null.And.GreaterThan(TimeSpan.FromHours(24)).And.LessThanOrEqualTo(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(10)));
    }

    [Test]
    public async Task SessionStore_ConcurrentTransitions_ExactlyOneWins()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var session = NewSession(DateTimeOffset.UtcNow.AddMinutes(10));
        await store.CreateAsync(session);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            store.TryTransitionAsync(
                session.Id, UploadSessionState.Pending, i % 2 == 0 ? UploadSessionState.Completed : UploadSessionState.Expired)));
        var read = await store.GetAsync(session.Id);

        Assert.That(results.Count(r => r), Is.EqualTo(1));
        Assert.That(read!.State, Is.AnyOf(UploadSessionState.Completed, UploadSessionState.Expired));
    }

    [Test]
    public async Task SessionStore_TransitionToRejected_KeepsReason()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var session = NewSession(DateTimeOffset.UtcNow.AddMinutes(10));
        await store.CreateAsync(session);

        var changed = await store.TryTransitionAsync(
            session.Id, UploadSessionState.Pending, UploadSessionState.Rejected, "The file is not a PNG image.");
        var read = await store.GetAsync(session.Id);

        Assert.That(changed, Is.True);
        Assert.That(read!.State, Is.EqualTo(UploadSessionState.Rejected));
        Assert.That(read.RejectionReason, Is.EqualTo("The file is not a PNG image."));
    }

    [Test]
    public async Task SessionStore_TransitionUnknownId_ReturnsFalse()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();

        Assert.That(await store.TryTransitionAsync("missing", UploadSessionState.Pending, UploadSessionState.Completed), Is.False);
        Assert.That(await RedisFixture.Database.KeyExistsAsync(_prefix + "session:missing"), Is.False, "a failed transition creates nothing");
    }

    [Test]
    public async Task SessionStore_ListExpired_ReturnsOnlyPendingSessionsPastExpiry()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var now = DateTimeOffset.UtcNow;
        var expired = NewSession(now.AddMinutes(-5));
        var confirmed = NewSession(now.AddMinutes(-5));
        var current = NewSession(now.AddMinutes(5));
        var deleted = NewSession(now.AddMinutes(-5));
        foreach (var session in new[] { expired, confirmed, current, deleted })
        {
            await store.CreateAsync(session);
        }

        await store.TryTransitionAsync(confirmed.Id, UploadSessionState.Pending, UploadSessionState.Completed);
        await store.DeleteAsync(deleted.Id);
        var listed = new List<string>();
        await foreach (var session in store.ListExpiredAsync(now))
        {
            listed.Add(session.Id);
        }

        Assert.That(listed, Is.EqualTo(new[] { expired.Id }));
    }

    [Test]
    public async Task SessionStore_ExpiredThenBackToPending_IsListedForTheNextSweep()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var now = DateTimeOffset.UtcNow;
        var session = NewSession(now.AddMinutes(-5));
        await store.CreateAsync(session);

        Assert.That(await store.TryTransitionAsync(session.Id, UploadSessionState.Pending, UploadSessionState.Expired), Is.True);
        Assert.That(
            await store.TryTransitionAsync(session.Id, UploadSessionState.Expired, UploadSessionState.Pending),
            Is.True,
            "a sweep whose delete failed");
        var listed = new List<string>();
        await foreach (var expired in store.ListExpiredAsync(now))
        {
            listed.Add(expired.Id);
        }

        Assert.That(listed, Is.EqualTo(new[] { session.Id }));
    }

    [Test]
    public async Task SessionStore_ListEnded_ReturnsEndedSessionsPastTheGivenTimeUntilDeleted()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var now = DateTimeOffset.UtcNow;
        var completed = NewSession(now.AddMinutes(-5));
        var cancelled = NewSession(now.AddMinutes(-5));
        var pending = NewSession(now.AddMinutes(-5));
        var recent = NewSession(now.AddMinutes(5));
        var reopened = NewSession(now.AddMinutes(-5));
        foreach (var session in new[] { completed, cancelled, pending, recent, reopened })
        {
            await store.CreateAsync(session);
        }

        await store.TryTransitionAsync(completed.Id, UploadSessionState.Pending, UploadSessionState.Completed);
        await store.TryTransitionAsync(cancelled.Id, UploadSessionState.Pending, UploadSessionState.Cancelled);
        await store.TryTransitionAsync(recent.Id, UploadSessionState.Pending, UploadSessionState.Rejected, "bad");
        await store.TryTransitionAsync(reopened.Id, UploadSessionState.Pending, UploadSessionState.Expired);
        await store.TryTransitionAsync(reopened.Id, UploadSessionState.Expired, UploadSessionState.Pending);

        Assert.That(await ListEndedAsync(store, now), Is.EquivalentTo(new[] { completed.Id, cancelled.Id }));
        Assert.That(await ListEndedAsync(store, now.AddMinutes(10)), Is.EquivalentTo(new[] { completed.Id, cancelled.Id, recent.Id }));

        await store.DeleteAsync(completed.Id);
        Assert.That(await ListEndedAsync(store, now.AddMinutes(10)), Is.EquivalentTo(new[] { cancelled.Id, recent.Id }));
        Assert.That(await RedisFixture.Database.SortedSetLengthAsync(_prefix + "sessions:ended"), Is.EqualTo(2));
    }

    [Test]
    public async Task SessionStore_Delete_RemovesRecordAndIndexEntry()
    {
        var store = _services.GetRequiredService<IUploadSessionStore>();
        var session = NewSession(DateTimeOffset.UtcNow.AddMinutes(-1));
        await store.CreateAsync(session);

        await store.DeleteAsync(session.Id);

        Assert.That(await store.GetAsync(session.Id), Is.Null);
        Assert.That(await RedisFixture.Database.SortedSetLengthAsync(_prefix + "sessions:pending"), Is.Zero);
    }

    internal static UploadSession NewSession(DateTimeOffset expiresOn) =>
        new(Guid.NewGuid().ToString("N"), "default", "uploads/" + Guid.NewGuid().ToString("N") + ".png", TruncateToMilliseconds(expiresOn))
        {
            OwnerId = "alice",
            FileName = "cat.png",
            ContentType = "image/png",
            ExpectedLength = 1234,
            MaxLength = 10_000,
            ChecksumSha256 = new string('a', 64),
            FieldName = "avatar",
            CreatedOn = TruncateToMilliseconds(DateTimeOffset.UtcNow),
        };

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    private static async Task<List<string>> ListEndedAsync(IUploadSessionStore store, DateTimeOffset expiredBefore)
    {
        var listed = new List<string>();
        await foreach (var session in store.ListEndedAsync(expiredBefore))
        {
            listed.Add(session.Id);
        }

        return listed;
    }
}
