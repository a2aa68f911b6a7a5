using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using UploadKit.Testing;
using static UploadKit.Tests.Resumable.ResumableApp;

namespace UploadKit.Tests.Resumable;

/// <summary>The IETF "Resumable Uploads for HTTP" draft on the resumable route, at the interop versions clients speak.</summary>
public sealed class DraftProtocolTests
{
    private const string ProblemTypes = "https://iana.org/assignments/http-problem-types#";

    [TestCase(null)]
    [TestCase("8")]
    [TestCase("6")]
    public async Task Creation_WithTheCompleteBody_StoresTheFile(string? interop)
    {
        await using var app = await StartAsync();
        using var request = Draft(HttpMethod.Post, "/files", interop);
        request.Headers.Add("Upload-Complete", "?1");
        request.Content = new ByteArrayContent("hello world"u8.ToArray());
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        request.Content.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = "greeting.txt" };

        using var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(response.Headers.GetValues("Upload-Complete").Single(), Is.EqualTo("?1"));
        Assert.That(response.Headers.Location, Is.Not.Null);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(body.RootElement.GetProperty("name").GetString(), Is.EqualTo("uploads/greeting.txt"));
        Assert.That(body.RootElement.GetProperty("length").GetInt64(), Is.EqualTo(11));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(app.Media, "uploads/greeting.txt")), Is.EqualTo("hello world"));
        if (interop is not null)
        {
            Assert.That(response.Headers.GetValues("Upload-Draft-Interop-Version").Single(), Is.EqualTo(interop));
        }
    }

    [Test]
    public async Task CreateEmpty_AppendInParts_OffsetRetrieval_ThenComplete()
    {
        await using var app = await StartAsync();
        var content = RandomBytes(200_000);
        var location = await CreateAsync(app, "8", content.Length);

        using (var head = await app.Client.SendAsync(Draft(HttpMethod.Head, location, "8")))
        {
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(Offset(head), Is.Zero);
            Assert.That(head.Headers.GetValues("Upload-Complete").Single(), Is.EqualTo("?0"));
            Assert.That(head.Headers.GetValues("Upload-Length").Single(), Is.EqualTo("200000"));
            Assert.That(head.Headers.GetValues("Upload-Limit").Single(), Does.Contain("max-size=").And.Contain("max-age="));
            Assert.That(head.Headers.CacheControl!.NoStore, Is.True);
        }

        using var first = await AppendAsync(app, location, "8", 0, content[..120_000], complete: false);
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(first.Headers.GetValues("Upload-Complete").Single(), Is.EqualTo("?0"));
        Assert.That(Offset(first), Is.EqualTo(120_000));

        using var last = await AppendAsync(app, location, "8", 120_000, content[120_000..], complete: true);
        Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(last.Headers.GetValues("Upload-Complete").Single(), Is.EqualTo("?1"));
        Assert.That(Offset(last), Is.EqualTo(200_000));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(app.Media, app.Completed.Single().File.Name)), Is.EqualTo(content));

        using var after = await app.Client.SendAsync(Draft(HttpMethod.Head, location, "8"));
        Assert.That(after.Headers.GetValues("Upload-Complete").Single(), Is.EqualTo("?1"));
    }

    [Test]
    public async Task Append_WithoutADeclaredLength_CompletesWhenTheClientSaysSo()
    {
        await using var app = await StartAsync();
        var location = await CreateAsync(app, "8", length: null);

        using var first = await AppendAsync(app, location, "8", 0, "abc"u8.ToArray(), complete: false);
        using var last = await AppendAsync(app, location, "8", 3, "def"u8.ToArray(), complete: true);

        Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(app.Completed.Single().File.Length, Is.EqualTo(6));
    }

    [Test]
    public async Task Append_AtTheWrongOffset_Is409WithTheMismatchProblem()
    {
        await using var app = await StartAsync();
        var location = await CreateAsync(app, "8", 10);
        using var first = await AppendAsync(app, location, "8", 0, "abcd"u8.ToArray(), complete: false);

        using var response = await AppendAsync(app, location, "8", 7, "xyz"u8.ToArray(), complete: false);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(Offset(response), Is.EqualTo(4));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(problem.RootElement.GetProperty("type").GetString(), Is.EqualTo(ProblemTypes + "mismatching-upload-offset"));
        Assert.That(problem.RootElement.GetProperty("expected-offset").GetInt64(), Is.EqualTo(4));
        Assert.That(problem.RootElement.GetProperty("provided-offset").GetInt64(), Is.EqualTo(7));
    }

    [Test]
    public async Task Append_ToACompletedUpload_IsRefusedAndChangesNothing()
    {
        await using var app = await StartAsync();
        var location = await CreateAsync(app, "8", 3);
        using var done = await AppendAsync(app, location, "8", 0, "abc"u8.ToArray(), complete: true);

        using var withBody = await AppendAsync(app, location, "8", 3, "more"u8.ToArray(), complete: true);
        using var empty = await AppendAsync(app, location, "8", 3, [], complete: true);

        Assert.That(withBody.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await withBody.Content.ReadAsStringAsync(), Does.Contain("inconsistent-upload-length"));
        Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(await empty.Content.ReadAsStringAsync(), Does.Contain("completed-upload"));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(app.Media, app.Completed.Single().File.Name)), Is.EqualTo("abc"));
    }

    [Test]
    public async Task Completing_ShortOfTheDeclaredLength_IsAnInconsistentLength()
    {
        await using var app = await StartAsync();
        var location = await CreateAsync(app, "8", 10);

        using var response = await AppendAsync(app, location, "8", 0, "abc"u8.ToArray(), complete: true);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("inconsistent-upload-length"));
        Assert.That(app.Completed, Is.Empty);
    }

    [Test]
    public async Task Append_AtInterop6_WithoutPartialUploadType_Is415()
    {
        await using var app = await StartAsync();
        var location = await CreateAsync(app, "6", 3);

        using var response = await AppendAsync(app, location, "6", 0, "abc"u8.ToArray(), complete: true, contentType: "application/octet-stream");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task Append_AtInterop5_WithoutAContentType_IsAccepted()
    {
        await using var app = await StartAsync();
        var location = await CreateAsync(app, "5", 3);

        using var response = await AppendAsync(app, location, "5", 0, "abc"u8.ToArray(), complete: true, contentType: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Headers.GetValues("Upload-Draft-Interop-Version").Single(), Is.EqualTo("5"));
    }

    [Test]
    public async Task UnknownInteropVersion_Is412()
    {
        await using var app = await StartAsync();
        using var request = Draft(HttpMethod.Post, "/files", "99");
        request.Headers.Add("Upload-Complete", "?0");

        using var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
    }

    [Test]
    public async Task Cancellation_Is204_AndRemovesTheBytes()
    {
        await using var app = await StartAsync();
        var location = await CreateAsync(app, "6", 10);
        using var first = await AppendAsync(app, location, "6", 0, "abcd"u8.ToArray(), complete: false);

        using var delete = await app.Client.SendAsync(Draft(HttpMethod.Delete, location, "6"));
        using var head = await app.Client.SendAsync(Draft(HttpMethod.Head, location, "6"));

        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(app.MediaFiles(), Is.Empty);
    }

    [Test]
    public async Task TooLarge_Is413WithTheLimit()
    {
        await using var app = await StartAsync(o => o.MaxSize = 5);
        using var request = Draft(HttpMethod.Post, "/files", "8");
        request.Headers.Add("Upload-Complete", "?1");
        request.Content = new ByteArrayContent("too long"u8.ToArray());

        using var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(response.Headers.GetValues("Upload-Limit").Single(), Is.EqualTo("max-size=5"));
        Assert.That(app.MediaFiles(), Is.Empty);
    }

    [Test]
    public async Task Options_AdvertisesPartialUploads()
    {
        await using var app = await StartAsync();

        using var response = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/files"));

        Assert.That(response.Headers.GetValues("Accept-Patch").Single(), Does.Contain("application/partial-upload"));
        Assert.That(response.Headers.GetValues("Upload-Limit").Single(), Does.StartWith("max-size="));
    }

    private static HttpRequestMessage Draft(HttpMethod method, string uri, string? interop)
    {
        var request = TestAuthentication.Request(method, uri, "alice");
        if (interop is not null)
        {
            request.Headers.Add("Upload-Draft-Interop-Version", interop);
        }

        return request;
    }

    private static async Task<string> CreateAsync(ResumableApp app, string interop, long? length)
    {
        using var request = Draft(HttpMethod.Post, "/files", interop);
        request.Headers.Add("Upload-Complete", "?0");
        if (length is { } known)
        {
            request.Headers.Add("Upload-Length", known.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await app.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        Assert.That(response.Headers.GetValues("Upload-Complete").Single(), Is.EqualTo("?0"));
        return response.Headers.Location!.AbsolutePath;
    }

    private static Task<HttpResponseMessage> AppendAsync(
        ResumableApp app,
        string location,
        string interop,
        long offset,
        byte[] bytes,
        bool complete,
        string? contentType = "application/partial-upload")
    {
        var request = Draft(HttpMethod.Patch, location, interop);
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Complete", complete ? "?1" : "?0");
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
        return app.Client.SendAsync(request);
    }
}
