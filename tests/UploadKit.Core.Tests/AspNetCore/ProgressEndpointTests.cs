using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.AspNetCore;

public class ProgressEndpointTests : TempDirectoryTests
{
    internal static Task<TestApp> StartAsync(
        string temp,
        Action<UploadEndpointAuthorization>? security = null,
        Action<UploadOptions>? limits = null,
        bool kestrel = false,
        TimeSpan? eventsStartTimeout = null) =>
        UploadApp.StartAsync(
            temp,
            app =>
            {
                app.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                    .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new MemoryUploadHandler(), _ => new TemporaryFileUploadHandler());
                app.MapUploadProgress("/upload-progress", security);
            },
            limits,
            s =>
            {
                s.AddTestAuthentication();
                s.Configure<UploadProgressOptions>(o =>
                {
                    o.UpdateEveryBytes = 16 * 1024;
                    o.UpdateInterval = TimeSpan.Zero;
                    o.EventsPollInterval = TimeSpan.FromMilliseconds(20);
                    o.EventsStartTimeout = eventsStartTimeout ?? TimeSpan.FromMilliseconds(200);
                });
            },
            kestrel);

    internal static HttpRequestMessage Upload(string? user, string? progressId, byte[] data, bool chunked = false)
    {
        var request = TestAuthentication.Request(HttpMethod.Post, "/upload", user);
        if (progressId is not null)
        {
            request.Headers.Add(ProgressUploadHandler.HeaderName, progressId);
        }

        request.Content = UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "data.bin", data), chunked);
        return request;
    }

    internal static async Task<JsonElement> GetSnapshotAsync(HttpClient client, string id, string? user)
    {
        var response = await client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/" + id, user));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Test]
    public async Task Upload_WithProgressHeader_SnapshotShowsCompleteWithAllBytes()
    {
        await using var app = await StartAsync(Temp);
        var id = Guid.NewGuid().ToString("N");
        var data = RandomBytes(300_000);
        var request = Upload("alice", id, data);
        var expected = request.Content!.Headers.ContentLength;

        var upload = await app.Client.SendAsync(request);
        var snapshot = await GetSnapshotAsync(app.Client, id, "alice");

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(snapshot.GetProperty("state").GetString(), Is.EqualTo("complete"));
        Assert.That(snapshot.GetProperty("bytesReceived").GetInt64(), Is.EqualTo(data.Length));
        Assert.That(snapshot.GetProperty("bytesExpected").GetInt64(), Is.EqualTo(expected));
        Assert.That(snapshot.GetProperty("fileName").GetString(), Is.EqualTo("data.bin"));
    }

    [Test]
    public async Task Upload_WithProgressQueryValue_SnapshotRecorded()
    {
        await using var app = await StartAsync(Temp);
        var id = Guid.NewGuid().ToString();
        var request = Upload("alice", null, RandomBytes(1000));
        request.RequestUri = new Uri("/upload?progress_id=" + id, UriKind.Relative);

        var upload = await app.Client.SendAsync(request);
        var snapshot = await GetSnapshotAsync(app.Client, id, "alice");

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(snapshot.GetProperty("bytesReceived").GetInt64(), Is.EqualTo(1000));
    }

    [TestCase("1234")]
    [TestCase("00000000000000000000000000000000")]
    [TestCase("abcdefabcdefabcdefab")]
    [TestCase("not an id at all, but long enough!!")]
    public async Task Upload_GuessableProgressId_Answers400(string id)
    {
        await using var app = await StartAsync(Temp);

        var upload = await app.Client.SendAsync(Upload("alice", id, RandomBytes(1000)));

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(upload.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task Upload_ProgressIdOfAnotherUser_Answers400AndKeepsTheirEntry()
    {
        await using var app = await StartAsync(Temp);
        var id = Guid.NewGuid().ToString("N");
        await app.Client.SendAsync(Upload("alice", id, RandomBytes(1000)));

        var upload = await app.Client.SendAsync(Upload("mallory", id, RandomBytes(10)));
        var snapshot = await GetSnapshotAsync(app.Client, id, "alice");

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(snapshot.GetProperty("bytesReceived").GetInt64(), Is.EqualTo(1000));
    }

    [Test]
    public async Task Snapshot_ReadByAnotherUser_Answers404()
    {
        await using var app = await StartAsync(Temp);
        var id = Guid.NewGuid().ToString("N");
        await app.Client.SendAsync(Upload("alice", id, RandomBytes(1000)));

        var snapshot = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/" + id, "bob"));
        var events = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, $"/upload-progress/{id}/events", "bob"));

        Assert.That(snapshot.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(events.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Snapshot_UnknownId_Answers404()
    {
        await using var app = await StartAsync(Temp);

        var snapshot = await app.Client.SendAsync(TestAuthentication.Request(
            HttpMethod.Get, "/upload-progress/" + Guid.NewGuid().ToString("N"), "alice"));

        Assert.That(snapshot.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Snapshot_Anonymous_Answers401ByDefault()
    {
        await using var app = await StartAsync(Temp);
        var id = Guid.NewGuid().ToString("N");
        await app.Client.SendAsync(Upload(null, id, RandomBytes(1000)));

        var snapshot = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/" + id, null));
        var events = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, $"/upload-progress/{id}/events", null));

        Assert.That(snapshot.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(events.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Snapshot_AnonymousWhenAppOptsOut_ReadsAnonymousUpload()
    {
        await using var app = await StartAsync(Temp, o => o.AllowAnonymous = true);
        var id = Guid.NewGuid().ToString("N");
        await app.Client.SendAsync(Upload(null, id, RandomBytes(1000)));

        var snapshot = await GetSnapshotAsync(app.Client, id, null);
        var signedIn = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/" + id, "alice"));

        Assert.That(snapshot.GetProperty("state").GetString(), Is.EqualTo("complete"));
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "an anonymous upload is not any signed-in user's");
    }

    [Test]
    public async Task Snapshot_PolicyTheUserFails_Answers403()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapUploadProgress("/upload-progress", o => o.AuthorizationPolicy = "admins"),
            services: s =>
            {
                s.AddTestAuthentication();
                s.AddAuthorizationBuilder().AddPolicy("admins", p => p.RequireUserName("root"));
            });

        var response = await app.Client.SendAsync(TestAuthentication.Request(
            HttpMethod.Get, "/upload-progress/" + Guid.NewGuid().ToString("N"), "alice"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Upload_RejectedByLimit_SnapshotShowsRejected()
    {
        await using var app = await StartAsync(Temp, limits: o => o.MaxRequestBodySize = 100_000);
        var id = Guid.NewGuid().ToString("N");

        var upload = await app.Client.SendAsync(Upload("alice", id, RandomBytes(300_000), chunked: true));
        var snapshot = await GetSnapshotAsync(app.Client, id, "alice");

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(snapshot.GetProperty("state").GetString(), Is.EqualTo("rejected"));
        Assert.That(
            snapshot.TryGetProperty("bytesExpected", out var expected) && expected.ValueKind == JsonValueKind.Null,
            Is.True,
            "a chunked body has no expected length");
    }

    [Test]
    public async Task Upload_WithoutProgressId_RecordsNothingAndSucceeds()
    {
        var store = new Mock<IUploadProgressStore>(MockBehavior.Strict);
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
                .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new MemoryUploadHandler()),
            services: s => s.AddSingleton(store.Object));

        var upload = await app.Client.SendAsync(Upload(null, null, RandomBytes(1000)));

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        store.VerifyNoOtherCalls();
    }

    [Test]
    [Category("Integration")]
    public async Task Events_WhileUploadRuns_PushUpdatesAndEndWhenComplete()
    {
        await using var app = await StartAsync(Temp, kestrel: true);
        var id = Guid.NewGuid().ToString("N");
        var data = RandomBytes(512 * 1024);
        var body = new MultipartBodyBuilder().AddFile("file", "data.bin", data);
        var gate = new TaskCompletionSource();
        var request = TestAuthentication.Request(HttpMethod.Post, "/upload", "alice");
        request.Headers.Add(ProgressUploadHandler.HeaderName, id);
        request.Content = new GatedContent(body.Build(), 128 * 1024, gate.Task);
        request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(body.ContentType);
        var upload = app.Client.SendAsync(request);

        // Wait for the first bytes to be recorded, then watch the rest arrive.
        JsonElement first;
        do
        {
            await Task.Delay(20);
            var response = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/" + id, "alice"));
            first = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<JsonElement>() : default;
        }
        while (first.ValueKind != JsonValueKind.Object || first.GetProperty("bytesReceived").GetInt64() == 0);

        var eventsRequest = TestAuthentication.Request(HttpMethod.Get, $"/upload-progress/{id}/events", "alice");
        using var events = await app.Client.SendAsync(eventsRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(events.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        var reading = ReadEventsAsync(await events.Content.ReadAsStreamAsync());
        gate.SetResult();
        var uploaded = await upload;
        var seen = await reading.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(uploaded.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(seen, Has.Count.GreaterThanOrEqualTo(2));
        Assert.That(seen[0].GetProperty("state").GetString(), Is.EqualTo("receiving"));
        Assert.That(seen[^1].GetProperty("state").GetString(), Is.EqualTo("complete"));
        Assert.That(seen[^1].GetProperty("bytesReceived").GetInt64(), Is.EqualTo(data.Length));
        Assert.That(seen.Select(e => e.GetProperty("bytesReceived").GetInt64()), Is.Ordered);
    }

    [Test]
    [Category("Integration")]
    public async Task Events_OpenedBeforeTheUploadBegins_WaitForItThenPushItsProgress()
    {
        await using var app = await StartAsync(Temp, kestrel: true, eventsStartTimeout: TimeSpan.FromSeconds(30));
        var id = Guid.NewGuid().ToString("N");
        var data = RandomBytes(200_000);

        // As a page does: the events first, then the upload.
        var opening = app.Client.SendAsync(
            TestAuthentication.Request(HttpMethod.Get, $"/upload-progress/{id}/events", "alice"), HttpCompletionOption.ResponseHeadersRead);
        await Task.Delay(100);
        Assert.That(opening.IsCompleted, Is.False, "the events wait for the upload to begin instead of answering 404");
        var uploaded = await app.Client.SendAsync(Upload("alice", id, data));
        using var events = await opening;
        var seen = await ReadEventsAsync(await events.Content.ReadAsStreamAsync()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(uploaded.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(events.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(events.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        Assert.That(seen[^1].GetProperty("state").GetString(), Is.EqualTo("complete"));
        Assert.That(seen[^1].GetProperty("bytesReceived").GetInt64(), Is.EqualTo(data.Length));
    }

    [Test]
    public async Task Events_UploadThatNeverBegins_Answers404AfterTheStartTimeout()
    {
        await using var app = await StartAsync(Temp, eventsStartTimeout: TimeSpan.FromMilliseconds(300));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var events = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, $"/upload-progress/{Guid.NewGuid():N}/events", "alice"));

        Assert.That(events.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(started.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)), "it waited for the upload first");
    }

    [Test]
    public async Task Events_MalformedId_Answers404AtOnce()
    {
        await using var app = await StartAsync(Temp, eventsStartTimeout: TimeSpan.FromSeconds(30));

        var events = await app.Client.SendAsync(TestAuthentication.Request(HttpMethod.Get, "/upload-progress/1234/events", "alice"))
            .WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(events.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private static async Task<List<JsonElement>> ReadEventsAsync(Stream stream)
    {
        var seen = new List<JsonElement>();
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                seen.Add(JsonSerializer.Deserialize<JsonElement>(line["data: ".Length..]));
            }
        }

        return seen;
    }

    /// <summary>Sends the first bytes of a body, then waits for a gate before sending the rest in small pieces.</summary>
    private sealed class GatedContent(byte[] bytes, int firstPart, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, firstPart));
            await stream.FlushAsync();
            await gate;
            for (var offset = firstPart; offset < bytes.Length; offset += 16 * 1024)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(16 * 1024, bytes.Length - offset)));
                await stream.FlushAsync();
                await Task.Delay(5);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
