using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Tests.AspNetCore;
using UploadKit.Tests.Validation;

namespace UploadKit.Tests.DirectUploads;

/// <summary>A local direct upload's signed PUT runs through the app-wide handler chain, like any other upload.</summary>
[TestFixture]
public sealed class LocalDirectUploadChainTests
{
    private static readonly byte[] Png = SampleFiles.Png(3, 2);

    private static Action<IUploadKitBuilder> WithQuota(long limit) =>
        b => b.ConfigureHandlers(h => h.Insert(0, _ => new QuotaUploadHandler(new QuotaOptions { LimitBytes = limit })));

    [Test]
    public async Task Put_AppWideQuota_CountsTheBytesForTheSessionsOwner()
    {
        await using var app = await DirectUploadApp.StartAsync(storages: WithQuota(10_000));
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using var put = await app.PutAsync(upload, Png);
        var quota = app.App.Services.GetRequiredService<IQuotaStore>();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
            Assert.That(
                await quota.GetUsageAsync("alice"), Is.EqualTo(Png.Length), "the signed URL counts against the quota of the user who began it");
        });

        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var name = (await complete.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()!;
        Assert.That(await ReadAsync(app.Storages.Default, name), Is.EqualTo(Png));
    }

    [Test]
    public async Task Put_OverTheOwnersQuota_Returns413AndLeavesNothing()
    {
        await using var app = await DirectUploadApp.StartAsync(storages: WithQuota(Png.Length - 1));
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using var put = await app.PutAsync(upload, Png);
        var session = await app.Store.GetAsync(upload.Id);
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
            Assert.That(await app.App.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.Zero, "the refused bytes are given back");
            Assert.That(session!.State, Is.EqualTo(UploadSessionState.Pending), "the client may still upload a smaller file");
        });
        await DirectUploadEndpointTests.AssertEmptyAsync(app.Storages.Default);
    }

    [Test]
    public async Task Put_AppWideQuotaAndNoOwner_Returns401AndLeavesNothing()
    {
        await using var app = await DirectUploadApp.StartAsync(storages: WithQuota(10_000));
        var upload = await app.Uploads.BeginAsync(FileStorageNames.Default, new("a.png", "image/png", maxLength: 1000));
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(app.Client.BaseAddress!, upload.SignedRequest.Url))
        {
            Content = new ByteArrayContent(Png)
        };
        request.Content.Headers.ContentType = new("image/png");
        using var put = await app.Client.SendAsync(request);
        Assert.That(
            put.StatusCode,
            Is.EqualTo(HttpStatusCode.Unauthorized),
            "a quota counts a user's bytes; an upload without an owner has none, as an anonymous upload has none");
        await DirectUploadEndpointTests.AssertEmptyAsync(app.Storages.Default);
    }

    [Test]
    public async Task Put_AppWideStreamingValidatorRefuses_Returns400AndLeavesNothing()
    {
        await using var app = await DirectUploadApp.StartAsync(storages: b => b.AddValidator(FileValidators.MaxSize(Png.Length - 1), "file"));
        var upload = await app.BeginAsync("alice", "files", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using var put = await app.PutAsync(upload, Png);
        var problem = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Is.Not.Empty);
            Assert.That(
                Directory.Exists(app.Directory) ? Directory.GetFiles(app.Directory, "*", SearchOption.AllDirectories) : [],
                Is.Empty,
                "nothing on disk");
        });
    }

    [Test]
    public async Task Put_SessionCancelledWhileReceiving_GivesTheQuotaBack()
    {
        var gated = new DirectUploadEndpointTests.GatedStorage();
        await using var app = await DirectUploadApp.StartAsync(storages: b => { WithQuota(10_000)(b); b.AddStorage("gated", _ => gated); });
        var upload = await app.Uploads.BeginAsync("gated", new("a.png", "image/png", maxLength: 1000), ownerId: "alice");
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(app.Client.BaseAddress!, upload.SignedRequest.Url))
        {
            Content = new ByteArrayContent(Png)
        };
        request.Content.Headers.ContentType = new("image/png");
        var put = app.Client.SendAsync(request);
        await gated.SaveStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(await app.Uploads.CancelAsync(upload.Id, "alice"), Is.True);
        gated.Release.SetResult();
        using var response = await put;
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(await app.App.Services.GetRequiredService<IQuotaStore>().GetUsageAsync("alice"), Is.Zero);
        });
        await DirectUploadEndpointTests.AssertEmptyAsync(gated);
    }

    private static async Task<byte[]> ReadAsync(IFileStorage storage, string name)
    {
        await using var stream = await storage.OpenReadAsync(name);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
