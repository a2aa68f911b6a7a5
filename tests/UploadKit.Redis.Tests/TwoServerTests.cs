using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

/// <summary>Two app instances against one Redis, as two servers behind a load balancer.</summary>
[Category("Integration")]
public class TwoServerTests
{
    private const long Limit = 1_000_000;
    private TwoServers _servers = null!;

    [SetUp]
    public async Task SetUp()
    {
        RedisFixture.Require();
        _servers = new TwoServers();
        Directory.CreateDirectory(_servers.Folder);
        await _servers.StartAsync(StartAsync);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_servers is null)
        {
            return;
        }

        await _servers.StopAsync();
        if (Directory.Exists(_servers.Folder))
        {
            Assert.That(Directory.GetFiles(_servers.Folder), Is.Empty, "no temporary file is left behind");
        }

        await _servers.DisposeAsync();
    }

    private static Task<TestApp> StartAsync(TwoServers servers) => TestApp.StartAsync(
        s =>
        {
            s.AddUploadKit(o => o.TempFileDirectory = servers.Folder).AddRedisStores(o =>
            {
                o.ConnectionString = RedisFixture.ConnectionString;
                o.KeyPrefix = servers.KeyPrefix;
            });
            s.AddTestAuthentication();
            s.Configure<QuotaOptions>(o => o.LimitBytes = Limit);
        },
        app =>
        {
            app.MapPost("/upload", async (UploadForm form) =>
                {
                    var file = form.Files.Single();
                    await using var stream = file.OpenReadStream();
                    return await Sha256HexAsync(stream);
                })
                .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new QuotaUploadHandler(), _ => new TemporaryFileUploadHandler());
            app.MapPost("/upload-then-fail", (string how, UploadForm form) =>
                    how == "throw"
                        ? throw new InvalidOperationException("The app failed after reading the upload.")
                        : Results.ValidationProblem(new Dictionary<string, string[]>
                        {
                            ["file"] = [$"{form.Files.Single().Length} bytes is not what the app wanted."]
                        }))
                .WithUploadHandlers(_ => new QuotaUploadHandler(), _ => new TemporaryFileUploadHandler());
            app.MapUploadProgress("/upload-progress");
        },
        kestrel: true);

    private static HttpRequestMessage Upload(string user, byte[] data, string? progressId = null)
    {
        var body = new MultipartBodyBuilder().AddFile("file", "data.bin", data);
        var request = TestAuthentication.Request(HttpMethod.Post, "/upload", user);
        if (progressId is not null)
        {
            request.Headers.Add(ProgressUploadHandler.HeaderName, progressId);
        }

        request.Content = new ByteArrayContent(body.Build());
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(body.ContentType);
        return request;
    }

    [Test]
    public async Task Progress_WrittenByOneServer_ReadFromTheOther()
    {
        var id = Guid.NewGuid().ToString("N");
        var data = RandomBytes(200_000);

        var upload = await _servers.First.Client.SendAsync(Upload("alice", data, id));
        var snapshot = await _servers.Second.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/" + id, "alice"));
        var other = await _servers.Second.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/" + id, "bob"));
        var body = await snapshot.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await upload.Content.ReadAsStringAsync(), Is.EqualTo(Sha256Hex(data)));
        Assert.That(snapshot.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("state").GetString(), Is.EqualTo("complete"));
        Assert.That(body.GetProperty("bytesReceived").GetInt64(), Is.EqualTo(data.Length));
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Progress_AnonymousOnOtherServer_Answers401()
    {
        var id = Guid.NewGuid().ToString("N");
        await _servers.First.Client.SendAsync(Upload("alice", RandomBytes(1000), id));

        var snapshot = await _servers.Second.Client.GetAsync("/upload-progress/" + id);

        Assert.That(snapshot.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Quota_ReservedOnOneServer_EnforcedOnTheOther()
    {
        var first = await _servers.First.Client.SendAsync(Upload("alice", RandomBytes(600_000)));

        var second = await _servers.Second.Client.SendAsync(Upload("alice", RandomBytes(600_000)));
        var problem = await second.Content.ReadFromJsonAsync<JsonElement>();
        var usage = await _servers.First.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice");

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("'storage' quota"));
        Assert.That(usage, Is.EqualTo(600_000));
    }

    [Test]
    [Repeat(3)]
    public async Task Quota_ParallelUploadsOnBothServers_NeverTogetherExceedQuota()
    {
        var responses = await Task.WhenAll(
            _servers.First.Client.SendAsync(Upload("carol", RandomBytes(600_000))),
            _servers.Second.Client.SendAsync(Upload("carol", RandomBytes(600_000))));
        var accepted = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var usage = await _servers.Second.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("carol");

        Assert.That(responses.Select(r => r.StatusCode), Is.All.AnyOf(HttpStatusCode.OK, HttpStatusCode.RequestEntityTooLarge));
        Assert.That(accepted, Is.LessThan(2));
        Assert.That(usage, Is.EqualTo(accepted * 600_000L));
        await _servers.First.Services.GetRequiredService<IQuotaStore>().ReleaseAsync("carol", Limit);
    }

    [TestCase("problem", HttpStatusCode.BadRequest)]
    [TestCase("throw", HttpStatusCode.InternalServerError)]
    public async Task Quota_RequestAnsweredWithErrorOnOneServer_GivesItsBytesBackOnTheOther(string how, HttpStatusCode status)
    {
        var failed = Upload("dave", RandomBytes(600_000));
        failed.RequestUri = new Uri("/upload-then-fail?how=" + how, UriKind.Relative);

        var response = await _servers.First.Client.SendAsync(failed);
        var usageAfterFailure = await _servers.Second.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("dave");
        var next = await _servers.Second.Client.SendAsync(Upload("dave", RandomBytes(900_000)));
        var usage = await _servers.First.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("dave");

        Assert.That(response.StatusCode, Is.EqualTo(status));
        Assert.That(usageAfterFailure, Is.Zero, "a request that ended in an error keeps nothing, so nothing counts");
        Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the given-back bytes are usable on the other server");
        Assert.That(usage, Is.EqualTo(900_000));
    }

    [Test]
    public async Task Session_BegunOnOneServer_CompletedOnTheOther()
    {
        var session = RedisStoreTests.NewSession(DateTimeOffset.UtcNow.AddMinutes(10));
        var firstStore = _servers.First.Services.GetRequiredService<IUploadSessionStore>();
        var secondStore = _servers.Second.Services.GetRequiredService<IUploadSessionStore>();
        await firstStore.CreateAsync(session);

        var seen = await secondStore.GetAsync(session.Id);
        var completed = await secondStore.TryTransitionAsync(session.Id, UploadSessionState.Pending, UploadSessionState.Completed);
        var sweptToo = await firstStore.TryTransitionAsync(session.Id, UploadSessionState.Pending, UploadSessionState.Expired);
        var final = await firstStore.GetAsync(session.Id);

        Assert.That(seen?.ObjectName, Is.EqualTo(session.ObjectName));
        Assert.That(completed, Is.True);
        Assert.That(sweptToo, Is.False, "the other server cannot sweep a confirmed session");
        Assert.That(final!.State, Is.EqualTo(UploadSessionState.Completed));
    }
}
