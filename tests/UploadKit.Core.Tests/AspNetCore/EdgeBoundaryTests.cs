using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Tests.AspNetCore;

/// <summary>
/// What the edge hands to the parts below it: handlers see the request as plain data, owners come from the app's
/// resolver, options fail the start rather than the first upload, and the form can be supplied through its feature.
/// </summary>
[TestFixture]
public sealed class EdgeBoundaryTests
{
    private string _temp = null!;

    [SetUp]
    public void SetUp() => _temp = Directory.CreateTempSubdirectory("uploadkit-edge-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_temp, recursive: true);

    [Test]
    public async Task Handler_SeesTheRequestAsPlainData()
    {
        var seen = new ContextRecorder();
        await using var app = await UploadApp.StartAsync(
            _temp,
            a => a.MapPost("/upload/{filename}", (UploadForm form) => Results.Ok()).WithUploadHandlers(_ => seen, _ => new MemoryUploadHandler()),
            services: s => s.AddTestAuthentication());
        var request = TestAuthentication.Request(HttpMethod.Post, "/upload/report.txt?tenant=acme", "alice");
        request.Headers.Add("X-Trace", "t-1");
        request.Content = new ByteArrayContent("hello"u8.ToArray());
        request.Content.Headers.ContentType = new("text/plain");

        var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.Multiple(() =>
        {
            Assert.That(seen.OwnerId, Is.EqualTo("alice"));
            Assert.That(seen.UserName, Is.EqualTo("alice"));
            Assert.That(seen.Trace, Is.EqualTo("t-1"));
            Assert.That(seen.Tenant, Is.EqualTo("acme"));
            Assert.That(seen.RouteFileName, Is.EqualTo("report.txt"));
            Assert.That(seen.ContentLength, Is.EqualTo(5));
            Assert.That(seen.MediaType, Is.EqualTo("text/plain"));
        });
    }

    [Test]
    public async Task OwnerResolver_ChosenByTheApp_KeysProgressAndQuota()
    {
        var progress = new InMemoryProgressStore();
        var quota = new Mock<IQuotaStore>();
        quota.Setup(q => q.TrySetReservationAsync(
            It.IsAny<string>(), It.IsAny<string>(), It.IsAny<long>(), It.IsAny<long>(), It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(true);
        await using var app = await UploadApp.StartAsync(
            _temp,
            a => a.MapPost("/upload", (UploadForm form) => Results.Ok())
                .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new QuotaUploadHandler(), _ => new MemoryUploadHandler()),
            services: s =>
            {
                s.AddTestAuthentication();
                s.AddSingleton<IUploadOwnerResolver>(new PrefixedOwner());
                s.AddSingleton<IUploadProgressStore>(progress);
                s.AddSingleton(quota.Object);
                s.Configure<QuotaOptions>(o => o.LimitBytes = 1 << 20);
            });
        var id = Guid.NewGuid().ToString("N");
        var request = TestAuthentication.Request(HttpMethod.Post, "/upload", "bob");
        request.Headers.Add(ProgressUploadHandler.HeaderName, id);
        request.Content = UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "a.bin", new byte[100]));

        var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(progress.Last?.OwnerId, Is.EqualTo("tenant-7:bob"));
        quota.Verify(q => q.EndReservationAsync("tenant-7:bob", It.IsAny<string>(), 100, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public void QuotaOptions_Invalid_FailTheStart()
    {
        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => UploadApp.StartAsync(
            _temp,
            _ => { },
            services: s => s.Configure<QuotaOptions>(o =>
            {
                o.LimitBytes = 1000;
                o.ReservationSliceBytes = 0;
            })));
        Assert.That(ex!.Message, Does.Contain("ReservationSliceBytes"));
    }

    [Test]
    public void ProgressOptions_Invalid_FailTheStart()
    {
        var ex = Assert.ThrowsAsync<OptionsValidationException>(() => UploadApp.StartAsync(
            _temp,
            _ => { },
            services: s => s.Configure<UploadProgressOptions>(o => o.TimeToLive = TimeSpan.Zero)));
        Assert.That(ex!.Message, Does.Contain("TimeToLive"));
    }

    [Test]
    public void QuotaHandler_InvalidEndpointOptions_RefusedWhenTheHandlerIsMade() =>
        Assert.Throws<ArgumentException>(() => _ = new QuotaUploadHandler(new QuotaOptions { LimitBytes = -1 }));

    [Test]
    public async Task ProgressHandler_MadeByInjection_RecordsProgress()
    {
        var progress = new InMemoryProgressStore();
        // The chain's factories run per request; ActivatorUtilities picks the injecting constructor.
        await using var injected = await UploadApp.StartAsync(
            _temp,
            a => a.MapPost("/upload", (UploadForm form) => Results.Ok())
                .WithUploadHandlers(sp => ActivatorUtilities.CreateInstance<ProgressUploadHandler>(sp), _ => new MemoryUploadHandler()),
            services: s => s.AddSingleton<IUploadProgressStore>(progress));
        var id = Guid.NewGuid().ToString("N");
        var request = new HttpRequestMessage(HttpMethod.Post, "/upload?" + ProgressUploadHandler.QueryName + "=" + id)
        {
            Content = UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "a.bin", new byte[10])),
        };

        var response = await injected.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(progress.Last, Is.Not.Null);
        Assert.That(progress.Last!.Id, Is.EqualTo(id));
        Assert.That(progress.Last.State, Is.EqualTo(UploadProgressState.Complete));
    }

    [Test]
    public async Task FormFeature_SetByTheApp_SuppliesTheForm()
    {
        await using var app = await UploadApp.StartAsync(
            _temp,
            a =>
            {
                a.Use((context, next) =>
                {
                    context.Features.Set<IUploadFormFeature>(new SuppliedForm());
                    return next(context);
                });
                a.MapPost("/upload", (UploadForm form) => Results.Ok(form.GetField("source").ToString()));
            });

        var response = await app.Client.PostAsync("/upload", new StringContent("ignored"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadFromJsonAsync<string>(), Is.EqualTo("supplied"));
    }

    private sealed class ContextRecorder : UploadHandler
    {
        public string? OwnerId { get; private set; }

        public string? UserName { get; private set; }

        public string? Trace { get; private set; }

        public string? Tenant { get; private set; }

        public string? RouteFileName { get; private set; }

        public long? ContentLength { get; private set; }

        public string? MediaType { get; private set; }

        public override ValueTask<UploadForm?> HandleRawInputAsync(UploadRequestContext context, CancellationToken cancellationToken)
        {
            OwnerId = context.OwnerId;
            UserName = context.User.Identity?.Name;
            Trace = context.Headers["X-Trace"];
            Tenant = context.Query["tenant"];
            RouteFileName = context.RouteValues.TryGetValue("filename", out var name) ? name as string : null;
            ContentLength = context.ContentLength;
            MediaType = context.ContentType?.MediaType.ToString();
            return ValueTask.FromResult<UploadForm?>(null);
        }

        public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }

    private sealed class PrefixedOwner : IUploadOwnerResolver
    {
        public string? GetOwnerId(ClaimsPrincipal user) => user.Identity?.Name is { } name ? "tenant-7:" + name : null;
    }

    private sealed class InMemoryProgressStore : IUploadProgressStore
    {
        public UploadProgress? Last { get; private set; }

        public Task SetAsync(UploadProgress progress, TimeSpan timeToLive, CancellationToken cancellationToken = default)
        {
            Last = new UploadProgress(progress.Id)
            {
                OwnerId = progress.OwnerId,
                State = progress.State,
                BytesReceived = progress.BytesReceived,
                BytesExpected = progress.BytesExpected,
            };
            return Task.CompletedTask;
        }

        public Task<UploadProgress?> GetAsync(string id, CancellationToken cancellationToken = default) =>
            Task.FromResult(Last?.Id == id ? Last : null);
    }

    private sealed class SuppliedForm : IUploadFormFeature
    {
        public IList<UploadHandler> Handlers { get; } = [];

        public Task<UploadForm> ReadFormAsync(CancellationToken cancellationToken) =>
            Task.FromResult(new UploadForm(new Dictionary<string, StringValues> { ["source"] = "supplied" }, []));
    }
}
