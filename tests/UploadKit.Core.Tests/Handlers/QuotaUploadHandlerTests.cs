using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Handlers;

public class QuotaUploadHandlerTests : TempDirectoryTests
{
    private const long Limit = 1_000_000;

    private Task<TestApp> StartAsync(IQuotaStore? store = null, Action<QuotaOptions>? configure = null, bool kestrel = false) =>
        UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                .WithUploadHandlers(_ => new QuotaUploadHandler(), _ => new TemporaryFileUploadHandler()),
            services: s =>
            {
                s.AddTestAuthentication();
                s.Configure<QuotaOptions>(o =>
                {
                    o.Name = "user storage";
                    o.LimitBytes = Limit;
                    configure?.Invoke(o);
                });
                if (store is not null)
                {
                    s.AddSingleton(store);
                }
            },
            kestrel: kestrel);

    internal static HttpRequestMessage Upload(string? user, byte[] data, bool chunked = false)
    {
        var request = TestAuthentication.Request(HttpMethod.Post, "/upload", user);
        request.Content = UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "data.bin", data), chunked);
        return request;
    }

    [Test]
    public async Task Upload_WithinQuota_KeepsFileBytesAsUsage()
    {
        await using var app = await StartAsync();
        var data = RandomBytes(600_000);

        var response = await app.Client.SendAsync(Upload("alice", data));
        var report = await response.Content.ReadFromJsonAsync<FormReport>();
        var usage = await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(report!.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
        Assert.That(usage, Is.EqualTo(data.Length), "the reservation ahead is given back down to the bytes kept");
    }

    [Test]
    public async Task Upload_FillsQuotaExactly_Accepted()
    {
        await using var app = await StartAsync();

        var response = await app.Client.SendAsync(Upload("alice", RandomBytes((int)Limit)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.EqualTo(Limit));
    }

    [Test]
    public async Task Upload_CrossesQuota_Answers413NamingQuotaAndReleasesReservation()
    {
        Handlers.ByteCounter counter = null!;
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                .WithUploadHandlers(
                    _ => new QuotaUploadHandler(new QuotaOptions { Name = "user storage", LimitBytes = Limit }),
                    _ => counter = new Handlers.ByteCounter(),
                    _ => new TemporaryFileUploadHandler()),
            services: s => s.AddTestAuthentication());
        var store = app.Services.GetRequiredService<IQuotaStore>();
        var kept = await app.Client.SendAsync(Upload("alice", RandomBytes(400_000)));
        Assert.That(kept.StatusCode, Is.EqualTo(HttpStatusCode.OK), await kept.Content.ReadAsStringAsync());

        var response = await app.Client.SendAsync(Upload("alice", RandomBytes(700_000), chunked: true));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Quota exceeded"));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("'user storage' quota of 976.6 KiB"));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("QuotaOptions.LimitBytes"));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(400_000), "the refused upload gave back everything it reserved");
        Assert.That(counter.Total, Is.LessThanOrEqualTo(Limit - 400_000), "no byte over the quota reached later handlers");
        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task Upload_LaterHandlerFailsAfterQuotaCompleted_GivesTheKeptBytesBack()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                .WithUploadHandlers(
                    _ => new QuotaUploadHandler(new QuotaOptions { LimitBytes = Limit }),
                    _ => new TemporaryFileUploadHandler(),
                    _ => new FailsAtCompletion()),
            services: s => s.AddTestAuthentication());

        var response = await app.Client.SendAsync(Upload("alice", RandomBytes(300_000)));

        Assert.That(response.IsSuccessStatusCode, Is.False);
        Assert.That(await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.Zero);
        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    /// <summary>An app whose endpoint saves the file into an in-memory storage, then answers as <c>?then=</c> says.</summary>
    private Task<TestApp> StartSavingAsync(IQuotaStore? store = null) =>
        TestApp.StartAsync(
            s =>
            {
                s.AddUploadKit(o => o.TempFileDirectory = Temp).AddStorage("default", _ => new InMemoryStorage());
                s.AddTestAuthentication();
                s.Configure<QuotaOptions>(o => o.LimitBytes = Limit);
                if (store is not null)
                {
                    s.AddSingleton(store);
                }
            },
            a => a.MapPost("/upload", async (string? then, UploadForm form, IStorageRegistry storages) =>
                {
                    await form.Files.GetRequired("file").SaveAsync(storages.Default);
                    if (then?.StartsWith("keep-", StringComparison.Ordinal) == true)
                    {
                        form.KeepSavedFiles();
                        then = then["keep-".Length..];
                    }

                    return then switch
                    {
                        "problem" => Results.Problem(statusCode: StatusCodes.Status409Conflict),
                        "throw" => throw new InvalidOperationException("The app failed after saving."),
                        _ => Results.Ok(),
                    };
                })
                .WithUploadHandlers(_ => new QuotaUploadHandler(), _ => new TemporaryFileUploadHandler()),
            kestrel: true);

    private static HttpRequestMessage UploadThen(string then, byte[] data)
    {
        var request = Upload("alice", data);
        request.RequestUri = new Uri("/upload?then=" + then, UriKind.Relative);
        return request;
    }

    [TestCase("problem", HttpStatusCode.Conflict)]
    [TestCase("throw", HttpStatusCode.InternalServerError)]
    public async Task Upload_RequestEndsInErrorAfterSaving_GivesTheQuotaBackAndKeepsNothing(string then, HttpStatusCode status)
    {
        await using var app = await StartSavingAsync();
        var storage = app.Services.GetRequiredService<IStorageRegistry>().Default;

        var response = await app.Client.SendAsync(UploadThen(then, RandomBytes(600_000)));

        Assert.That(response.StatusCode, Is.EqualTo(status));
        Assert.That(await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.Zero, "nothing is kept, so nothing counts");
        Assert.That(await storage.ListAsync().CountAsync(), Is.Zero);
        var next = await app.Client.SendAsync(UploadThen("ok", RandomBytes(900_000)));
        Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the given-back quota is usable again");
        Assert.That(await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.EqualTo(900_000));
    }

    [Test]
    public async Task Upload_EndpointThrowsAfterSaving_GivesTheQuotaBackBeforeTheClientHearsOfIt()
    {
        // The server answers an unhandled exception with 500 on its own; the request's disposal comes after the client
        // has that answer. A store slow to give bytes back makes a give-back left to disposal visible to the client.
        var store = new SlowReleaseQuotaStore(new InMemoryQuotaStore(TimeProvider.System));
        await using var app = await StartSavingAsync(store);

        var response = await app.Client.SendAsync(UploadThen("throw", RandomBytes(600_000)));
        var usage = await store.GetUsageAsync("alice");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(usage, Is.Zero, "the failed request's bytes are given back before its answer");
        Assert.That(await app.Services.GetRequiredService<IStorageRegistry>().Default.ListAsync().CountAsync(), Is.Zero);
    }

    [Test]
    public async Task Upload_EndpointKeptItsFileThenFailed_KeepsTheStoredBytesAsUsage()
    {
        await using var app = await StartSavingAsync();

        var response = await app.Client.SendAsync(UploadThen("keep-throw", RandomBytes(600_000)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.EqualTo(600_000));
        Assert.That(await app.Services.GetRequiredService<IStorageRegistry>().Default.ListAsync().CountAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task Upload_StallsPastItsLeaseWhileAnotherUploadTakesTheQuota_IsRefusedAndNeverCrossesTheLimit()
    {
        // After the first chunk the clock jumps past the lease (a stalled client) and a competing upload by the same
        // user reserves most of the quota. The stalled upload's next renewal checks its bytes again and is refused.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                .WithUploadHandlers(
                    _ => new QuotaUploadHandler(new QuotaOptions { LimitBytes = Limit }),
                    _ => new StallThenCompete(clock),
                    _ => new TemporaryFileUploadHandler()),
            services: s =>
            {
                s.AddTestAuthentication();
                s.AddSingleton<TimeProvider>(clock);
            });
        var store = app.Services.GetRequiredService<IQuotaStore>();

        var response = await app.Client.SendAsync(Upload("alice", RandomBytes(600_000), chunked: true));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), await response.Content.ReadAsStringAsync());
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(900_000), "only the competing reservation counts");
        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task Upload_Anonymous_Answers401()
    {
        await using var app = await StartAsync();

        var response = await app.Client.SendAsync(Upload(null, RandomBytes(1000)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Upload_KeySelector_CountsAgainstSelectedKey()
    {
        await using var app = await StartAsync(configure: o => o.KeySelector = request => "tenant:" + request.Headers["X-Tenant"]);
        var request = Upload(null, RandomBytes(1000));
        request.Headers.Add("X-Tenant", "acme");

        var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("tenant:acme"), Is.EqualTo(1000));
    }

    [Test]
    public async Task Upload_OtherUsersUsage_DoesNotCount()
    {
        await using var app = await StartAsync();
        await app.Client.SendAsync(Upload("alice", RandomBytes(900_000)));

        var response = await app.Client.SendAsync(Upload("bob", RandomBytes(900_000)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    [Category("Integration")]
    [Repeat(5)]
    public async Task Upload_TwoParallelUploadsBySameUser_NeverTogetherExceedQuota()
    {
        var store = new RecordingQuotaStore(new InMemoryQuotaStore(TimeProvider.System));
        await using var app = await StartAsync(store, o => o.ReservationSliceBytes = 64 * 1024, kestrel: true);
        var first = RandomBytes(600_000, seed: 1);
        var second = RandomBytes(600_000, seed: 2);

        var responses = await Task.WhenAll(
            app.Client.SendAsync(Upload("alice", first, chunked: true)),
            app.Client.SendAsync(Upload("alice", second, chunked: true)));
        var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.OK);

        Assert.That(responses.Select(r => r.StatusCode), Is.All.AnyOf(HttpStatusCode.OK, HttpStatusCode.RequestEntityTooLarge));
        Assert.That(accepted, Is.LessThan(2), "600 kB + 600 kB does not fit in 1 MB");
        Assert.That(store.MaxUsage, Is.LessThanOrEqualTo(Limit));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(accepted * 600_000L), "exactly the accepted bytes stay counted");
    }

    [Test]
    [Category("Integration")]
    public async Task Upload_TwoParallelUploadsWithinQuota_BothAccepted()
    {
        await using var app = await StartAsync(kestrel: true);

        var responses = await Task.WhenAll(
            app.Client.SendAsync(Upload("alice", RandomBytes(450_000, seed: 1), chunked: true)),
            app.Client.SendAsync(Upload("alice", RandomBytes(450_000, seed: 2), chunked: true)));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(await app.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.EqualTo(900_000));
    }

    /// <summary>At the first chunk, moves the clock past the lease and reserves 900,000 bytes for another upload by the same user.</summary>
    private sealed class StallThenCompete(FakeTimeProvider clock) : UploadHandler
    {
        private bool _done;

        public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
        {
            if (!_done)
            {
                _done = true;
                clock.Advance(TimeSpan.FromMinutes(6));
                var store = Context.Services.GetRequiredService<IQuotaStore>();
                Assert.That(
                    await store.TrySetReservationAsync("alice", "competitor", 900_000, Limit, TimeSpan.FromMinutes(30), cancellationToken), Is.True);
            }

            return chunk;
        }
    }

    /// <summary>Fails the upload in its last step, after the handlers before it have completed.</summary>
    private sealed class FailsAtCompletion : UploadHandler
    {
        public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);

        public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) =>
            throw new UploadRejectedException(StatusCodes.Status422UnprocessableEntity, "Refused after reading.");
    }

    /// <summary>Gives bytes back a moment after being asked, as a store across the network does.</summary>
    private sealed class SlowReleaseQuotaStore(IQuotaStore inner) : IQuotaStore
    {
        public Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default) =>
            inner.TryReserveAsync(key, bytes, limit, cancellationToken);

        public Task<bool> TrySetReservationAsync(
            string key, string reservationId, long bytes, long limit, TimeSpan lease, CancellationToken cancellationToken = default) =>
            inner.TrySetReservationAsync(key, reservationId, bytes, limit, lease, cancellationToken);

        public Task EndReservationAsync(string key, string reservationId, long keptBytes, CancellationToken cancellationToken = default) =>
            inner.EndReservationAsync(key, reservationId, keptBytes, cancellationToken);

        public async Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
            await inner.ReleaseAsync(key, bytes, cancellationToken);
        }

        public Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default) => inner.GetUsageAsync(key, cancellationToken);
    }

    /// <summary>Records the highest usage any key reached, right after each reservation.</summary>
    private sealed class RecordingQuotaStore(IQuotaStore inner) : IQuotaStore
    {
        private long _max;

        public long MaxUsage => Interlocked.Read(ref _max);

        public async Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default)
        {
            var reserved = await inner.TryReserveAsync(key, bytes, limit, cancellationToken);
            var usage = await inner.GetUsageAsync(key, cancellationToken);
            long seen;
            while (usage > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, usage, seen) != seen)
            {
            }

            return reserved;
        }

        public async Task<bool> TrySetReservationAsync(
            string key, string reservationId, long bytes, long limit, TimeSpan lease, CancellationToken cancellationToken = default)
        {
            var reserved = await inner.TrySetReservationAsync(key, reservationId, bytes, limit, lease, cancellationToken);
            var usage = await inner.GetUsageAsync(key, cancellationToken);
            long seen;
            while (usage > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, usage, seen) != seen)
            {
            }

            return reserved;
        }

        public Task EndReservationAsync(string key, string reservationId, long keptBytes, CancellationToken cancellationToken = default) =>
            inner.EndReservationAsync(key, reservationId, keptBytes, cancellationToken);

        public Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default) =>
            inner.ReleaseAsync(key, bytes, cancellationToken);

        public Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default) => inner.GetUsageAsync(key, cancellationToken);
    }
}
