using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

/// <summary>
/// The resumable-upload store contract against a real redis-server. Leases are timed by the server's clock, so a
/// lease is let run out by waiting for a short one.
/// </summary>
[Category("Integration")]
public sealed class RedisResumableUploadStoreContractTests : ResumableUploadStoreContract
{
    private RedisStores _stores = null!;

    protected override TimeSpan ShortLease => TimeSpan.FromMilliseconds(500);

    protected override Task<IResumableUploadStore> CreateStoreAsync()
    {
        _stores = new RedisStores();
        return Task.FromResult(_stores.Create());
    }

    protected override Task PassAsync(TimeSpan time) => Task.Delay(time);

    protected override Task DeleteStoreAsync() => _stores.DisposeAsync().AsTask();
}

/// <summary>What the Redis resumable-upload store keeps in Redis, and for how long.</summary>
[Category("Integration")]
public sealed class RedisResumableUploadStoreTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);

    private RedisStores _stores = null!;
    private IResumableUploadStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _stores = new RedisStores();
        _store = _stores.Create();
    }

    [TearDown]
    public Task TearDown() => _stores.DisposeAsync().AsTask();

    [Test]
    public async Task AddRedisStores_InMemoryStoreRegisteredBeforeOrAfter_RedisStoreWins()
    {
        var services = new ServiceCollection();
        services.TryAddSingleton(Mock.Of<IResumableUploadStore>());
        services.AddUploadKit().AddRedisStores(RedisFixture.ConnectionString);
        services.TryAddSingleton(Mock.Of<IResumableUploadStore>());
        await using var provider = services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<IResumableUploadStore>(), Is.TypeOf<RedisResumableUploadStore>());
        Assert.That(provider.GetServices<IResumableUploadStore>().Count(), Is.EqualTo(1));
    }

    [Test]
    public void AddRedisStores_NonPositiveResumableUploadRetention_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddUploadKit().AddRedisStores(o =>
        {
            o.ConnectionString = RedisFixture.ConnectionString;
            o.ResumableUploadRetention = TimeSpan.Zero;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<RedisStoreOptions>>().Value);
        Assert.That(error!.Message, Does.Contain("ResumableUploadRetention"));
    }

    [Test]
    public async Task CreateAsync_Receiving_KeepsTheRecordWithoutExpiryAndIndexesIt()
    {
        var upload = NewUpload(DateTimeOffset.UtcNow.AddMinutes(-1));

        await _store.CreateAsync(upload);

        Assert.That(await _stores.Database.KeyTimeToLiveAsync(_stores.Prefix + "resumable:" + upload.Id), Is.Null);
        Assert.That(
            await _stores.Database.SortedSetScoreAsync(_stores.Prefix + "resumables:receiving", upload.Id),
            Is.EqualTo(upload.ExpiresOn.ToUnixTimeMilliseconds()));
    }

    [Test]
    public async Task TryUpdateAsync_ToAnEndedState_KeepsTheRecordForTheRetentionAndUnindexesIt()
    {
        var upload = NewUpload(DateTimeOffset.UtcNow.AddDays(-1));
        await _store.CreateAsync(upload);
        var token = (await _store.TryAcquireLeaseAsync(upload.Id, Lease))!;
        upload.State = ResumableUploadState.Expired;

        Assert.That(await _store.TryUpdateAsync(upload, token), Is.True);

        var ttl = await _stores.Database.KeyTimeToLiveAsync(_stores.Prefix + "resumable:" + upload.Id);
        Assert.That(ttl, Is.Not.Null.And.LessThanOrEqualTo(RedisStores.Retention).And.GreaterThan(RedisStores.Retention - TimeSpan.FromMinutes(1)));
        Assert.That(await _stores.Database.KeyExistsAsync(_stores.Prefix + "resumables:receiving"), Is.False);

        upload.State = ResumableUploadState.Receiving;
        Assert.That(await _store.TryUpdateAsync(upload, token), Is.True, "back to receiving (a sweep that could not remove the bytes)");
        Assert.That(await _stores.Database.KeyTimeToLiveAsync(_stores.Prefix + "resumable:" + upload.Id), Is.Null);
        Assert.That(await _stores.Database.SortedSetLengthAsync(_stores.Prefix + "resumables:receiving"), Is.EqualTo(1));
    }

    [Test]
    public async Task EndedRecord_AfterTheRetention_IsRemovedByRedis()
    {
        var store = _stores.Create(TimeSpan.FromMilliseconds(300));
        var upload = NewUpload(DateTimeOffset.UtcNow.AddDays(1));
        upload.State = ResumableUploadState.Completed;
        await store.CreateAsync(upload);
        Assert.That(await store.GetAsync(upload.Id), Is.Not.Null);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await store.GetAsync(upload.Id) is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.That(await store.GetAsync(upload.Id), Is.Null);
    }

    [Test]
    public async Task Lease_IsAKeyThatRedisExpires_AndRenewalExtendsIt()
    {
        var upload = NewUpload(DateTimeOffset.UtcNow.AddDays(1));
        await _store.CreateAsync(upload);
        var key = _stores.Prefix + "resumable-lease:" + upload.Id;

        var token = (await _store.TryAcquireLeaseAsync(upload.Id, Lease))!;
        var ttl = await _stores.Database.KeyTimeToLiveAsync(key);
        Assert.That(ttl, Is.Not.Null.And.LessThanOrEqualTo(Lease).And.GreaterThan(Lease - TimeSpan.FromSeconds(10)));

        Assert.That(await _store.TryRenewLeaseAsync(upload.Id, token, TimeSpan.FromMinutes(10)), Is.True);
        Assert.That(await _stores.Database.KeyTimeToLiveAsync(key), Is.GreaterThan(TimeSpan.FromMinutes(9)));

        await _store.ReleaseLeaseAsync(upload.Id, token);
        Assert.That(await _stores.Database.KeyExistsAsync(key), Is.False);
    }

    [Test]
    public async Task TryAcquireLeaseAsync_UnknownUpload_WritesNothing()
    {
        Assert.That(await _store.TryAcquireLeaseAsync("missing", Lease), Is.Null);

        Assert.That(await _stores.KeysAsync(), Is.Empty);
    }

    [Test]
    public async Task DeleteAsync_EveryUpload_LeavesNoKeys()
    {
        var receiving = NewUpload(DateTimeOffset.UtcNow.AddDays(1));
        var ended = NewUpload(DateTimeOffset.UtcNow.AddDays(1));
        ended.State = ResumableUploadState.Terminated;
        await _store.CreateAsync(receiving);
        await _store.CreateAsync(ended);
        Assert.That(await _store.TryAcquireLeaseAsync(receiving.Id, Lease), Is.Not.Null);
        Assert.That(await _store.TryAcquireLeaseAsync(ended.Id, Lease), Is.Not.Null);

        await _store.DeleteAsync(receiving.Id);
        await _store.DeleteAsync(ended.Id);

        Assert.That(await _stores.KeysAsync(), Is.Empty);
    }

    [Test]
    public async Task ListExpiredAsync_IndexEntryWithoutRecord_IsSkippedAndDropped()
    {
        var upload = NewUpload(DateTimeOffset.UtcNow.AddMinutes(-1));
        await _store.CreateAsync(upload);
        await _stores.Database.KeyDeleteAsync(_stores.Prefix + "resumable:" + upload.Id);

        var listed = new List<ResumableUpload>();
        await foreach (var expired in _store.ListExpiredAsync(DateTimeOffset.UtcNow))
        {
            listed.Add(expired);
        }

        Assert.That(listed, Is.Empty);
        Assert.That(await _stores.Database.KeyExistsAsync(_stores.Prefix + "resumables:receiving"), Is.False);
    }

    [Test]
    public async Task TwoServers_ShareRecordsAndLeases()
    {
        var other = _stores.Create();
        var upload = NewUpload(DateTimeOffset.UtcNow.AddDays(1));
        await _store.CreateAsync(upload);
        var token = (await _store.TryAcquireLeaseAsync(upload.Id, Lease))!;

        Assert.That(await other.TryAcquireLeaseAsync(upload.Id, Lease), Is.Null, "the other server waits for the lease");
        upload.Offset = 5_242_880;
        Assert.That(await _store.TryUpdateAsync(upload, token), Is.True);
        await _store.ReleaseLeaseAsync(upload.Id, token);

        var continued = (await other.GetAsync(upload.Id))!;
        Assert.That((continued.Offset, continued.Version), Is.EqualTo((5_242_880L, 1L)));
        var otherToken = await other.TryAcquireLeaseAsync(upload.Id, Lease);
        Assert.That(otherToken, Is.Not.Null);
        continued.Offset = 10_485_760;
        Assert.That(await other.TryUpdateAsync(continued, otherToken!), Is.True);
        Assert.That((await _store.GetAsync(upload.Id))!.Offset, Is.EqualTo(10_485_760));
    }

    [Test]
    public async Task TryAcquireLeaseAsync_TwentyAtOnceFromFourServers_ExactlyOneWins()
    {
        var servers = Enumerable.Range(0, 4).Select(_ => _stores.Create()).ToList();
        var upload = NewUpload(DateTimeOffset.UtcNow.AddDays(1));
        await _store.CreateAsync(upload);
        foreach (var server in servers)
        {
            Assert.That(await server.GetAsync(upload.Id), Is.Not.Null, "each server's connection is open before the race");
        }

        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => servers[i % 4].TryAcquireLeaseAsync(upload.Id, Lease))));

        Assert.That(tokens.Count(t => t is not null), Is.EqualTo(1));
        var stored = await _stores.Database.StringGetAsync(_stores.Prefix + "resumable-lease:" + upload.Id);
        Assert.That((string?)stored, Is.EqualTo(tokens.Single(t => t is not null)));
    }

    private static ResumableUpload NewUpload(DateTimeOffset expiresOn) =>
        new(Guid.NewGuid().ToString("N"), "default") { CreatedOn = DateTimeOffset.UtcNow, ExpiresOn = expiresOn };
}

/// <summary>Redis stores under one fresh key prefix, each as an app server of its own would have it; disposed together.</summary>
internal sealed class RedisStores : IAsyncDisposable
{
    /// <summary>How long ended records are kept, unless a store is created with another retention.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    private readonly List<ServiceProvider> _providers = [];

    public string Prefix { get; } = "test:" + Guid.NewGuid().ToString("N") + ":";

    public IDatabase Database => RedisFixture.Database;

    public IResumableUploadStore Create(TimeSpan? retention = null)
    {
        RedisFixture.Require();
        var services = new ServiceCollection();
        services.AddUploadKit().AddRedisStores(o =>
        {
            o.ConnectionString = RedisFixture.ConnectionString;
            o.KeyPrefix = Prefix;
            o.ResumableUploadRetention = retention ?? Retention;
        });
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IResumableUploadStore>();
    }

    /// <summary>The keys under the prefix.</summary>
    public async Task<string[]> KeysAsync() =>
        (string[])(await Database.ExecuteAsync("KEYS", Prefix + "*"))!;

    public async ValueTask DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        _providers.Clear();
    }
}
