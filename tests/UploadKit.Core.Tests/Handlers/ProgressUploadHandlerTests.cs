using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Handlers;

public class ProgressUploadHandlerTests : TempDirectoryTests
{
    /// <summary>An app whose progress goes to <paramref name="store"/> on every chunk, with files in temp files.</summary>
    private Task<TestApp> StartWithStoreAsync(IUploadProgressStore store) =>
        UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new TemporaryFileUploadHandler()),
            services: s =>
            {
                s.AddSingleton(store);
                s.Configure<UploadProgressOptions>(o => o.UpdateInterval = TimeSpan.Zero);
            });

    [Test]
    public async Task Upload_LargeFile_WritesStoreAtMostEveryUpdateBytesAndAlwaysTheFinalState()
    {
        var writes = new List<(long Bytes, UploadProgressState State)>();
        var store = new Mock<IUploadProgressStore>();
        store.Setup(s => s.SetAsync(It.IsAny<UploadProgress>(), It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Callback((UploadProgress p, TimeSpan _, CancellationToken _) => writes.Add((p.BytesReceived, p.State)))
            .Returns(Task.CompletedTask);
        await using var app = await StartWithStoreAsync(store.Object);
        var data = RandomBytes(4 << 20);
        var request = ProgressEndpointTests.Upload(null, Guid.NewGuid().ToString("N"), data);

        var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(writes[0], Is.EqualTo((0L, UploadProgressState.Receiving)));
        Assert.That(writes[^1], Is.EqualTo((data.LongLength, UploadProgressState.Complete)));
        Assert.That(writes, Has.Count.LessThanOrEqualTo(2 + (data.Length / (64 * 1024))), "at most one write per 64 KiB");
        Assert.That(
            writes.Zip(writes.Skip(1))
                .Where(p => p.Second.State == UploadProgressState.Receiving)
                .All(p => p.Second.Bytes - p.First.Bytes >= 64 * 1024),
            Is.True);
    }

    [Test]
    public async Task Upload_ProgressStoreFailsMidUpload_UploadStillSucceeds()
    {
        var calls = 0;
        var store = new Mock<IUploadProgressStore>();
        store.Setup(s => s.SetAsync(It.IsAny<UploadProgress>(), It.IsAny<TimeSpan>(), It.IsAny<CancellationToken>()))
            .Returns(() => ++calls == 1 ? Task.CompletedTask : Task.FromException(new TimeoutException("store unreachable")));
        await using var app = await StartWithStoreAsync(store.Object);
        var data = RandomBytes(1 << 20);

        var response = await app.Client.SendAsync(ProgressEndpointTests.Upload(null, Guid.NewGuid().ToString("N"), data));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "progress is best effort; the file is what matters");
        Assert.That(calls, Is.GreaterThan(2), "later updates and the final state were still attempted");
    }

    [Test]
    public async Task Upload_HandlerFailsAfterProgressStarted_SnapshotShowsFailed()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new ThrowingHandler()),
            services: s => s.AddTestAuthentication());
        var id = Guid.NewGuid().ToString("N");

        // The in-memory test server hands the app's unhandled exception to the client.
        Assert.ThrowsAsync<IOException>(() => app.Client.SendAsync(ProgressEndpointTests.Upload("alice", id, RandomBytes(1000))));
        var progress = await app.Services.GetRequiredService<IUploadProgressStore>().GetAsync(id);

        Assert.That(progress!.State, Is.EqualTo(UploadProgressState.Failed));
        Assert.That(progress.OwnerId, Is.EqualTo("alice"));
    }

    private sealed class ThrowingHandler : UploadHandler
    {
        public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken) =>
            throw new IOException("The disk is full.");
    }
}
