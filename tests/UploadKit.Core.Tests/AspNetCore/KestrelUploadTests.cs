using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using UploadKit.Tests.Handlers;

namespace UploadKit.Tests.AspNetCore;

[Category("Integration")]
public class KestrelUploadTests : TempDirectoryTests
{
    [Test]
    public async Task Upload_LargerThanKestrelDefaultLimit_AcceptedUpToUploadKitLimit()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)),
            o => o.MaxRequestBodySize = 64L << 20,
            kestrel: true);
        var data = RandomBytes(40 << 20);

        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "big.bin", data), chunked: true));
        var report = await response.Content.ReadFromJsonAsync<FormReport>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Kestrel's 30 MB default did not decide");
        Assert.That(report!.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task Upload_OverUploadKitLimitWithContentLength_Answers413BeforeReading()
    {
        var counter = new ByteCounter();
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            http.GetUploadHandlers().Insert(0, counter);
            return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
        }).WithUploads(), o => o.MaxRequestBodySize = 1 << 20, kestrel: true);

        // Expect: 100-continue lets the client hold the body back until the server asks for it; it never does.
        var request = new HttpRequestMessage(HttpMethod.Post, "/upload")
        {
            Content = UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "big.bin", RandomBytes(4 << 20))),
        };
        request.Headers.ExpectContinue = true;

        var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(counter.Total, Is.Zero);
    }

    [Test]
    public async Task Upload_ClientDisconnectsHalfway_TempFilesDeleted()
    {
        var started = new TaskCompletionSource();
        var finished = new TaskCompletionSource<Exception?>();
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            try
            {
                await http.ReadUploadFormAsync(http.RequestAborted);
                finished.TrySetResult(null);
            }
            catch (Exception ex)
            {
                finished.TrySetResult(ex);
            }
        }), o => o.MemoryBufferThreshold = 1000, kestrel: true);
        var builder = new MultipartBodyBuilder().AddFile("f", "done.bin", RandomBytes(100_000)).AddFile("f", "half.bin", RandomBytes(8 << 20));

        await SendPartAndDisconnectAsync(
            app,
            builder,
            length => length / 2,
            () => WaitUntilAsync(() => Directory.GetFiles(Temp).Length > 0, "the temp files exist while the upload runs"));

        var error = await finished.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(error, Is.Not.Null, "reading failed when the client went away");
        await WaitUntilAsync(() => Directory.GetFiles(Temp).Length == 0, "every temp file is deleted after the disconnect");
    }

    [Test]
    public async Task Antiforgery_TokenMissing_Answers400WithoutReadingBody()
    {
        var counter = new ByteCounter();
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", async (HttpContext http) =>
            {
                http.GetUploadHandlers().Insert(0, counter);
                return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
            }).WithUploadAntiforgery(),
            services: s => s.AddAntiforgery(),
            kestrel: true);

        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", RandomBytes(1000))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("antiforgery token is missing"));
        Assert.That(counter.Total, Is.Zero, "no handler saw a byte");
        Assert.That(counter.Events, Has.None.StartsWith("new:"), "no file reached the chain");
    }

    [Test]
    public async Task Antiforgery_ValidHeaderToken_UploadAccepted_InvalidToken_Answers400()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a =>
            {
                a.MapGet("/token", (HttpContext http, IAntiforgery antiforgery) => antiforgery.GetAndStoreTokens(http).RequestToken);
                a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)).WithUploadAntiforgery();
            },
            services: s => s.AddAntiforgery(),
            kestrel: true);
        var tokenResponse = await app.Client.GetAsync("/token");
        var token = await tokenResponse.Content.ReadAsStringAsync();
        var cookie = tokenResponse.Headers.GetValues("Set-Cookie").First().Split(';')[0];

        var valid = new HttpRequestMessage(HttpMethod.Post, "/upload")
        {
            Content = UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", [1, 2])),
        };
        valid.Headers.Add("RequestVerificationToken", token);
        valid.Headers.Add("Cookie", cookie);
        var invalid = new HttpRequestMessage(HttpMethod.Post, "/upload")
        {
            Content = UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", [1, 2])),
        };
        invalid.Headers.Add("RequestVerificationToken", token + "x");
        invalid.Headers.Add("Cookie", cookie);

        Assert.That((await app.Client.SendAsync(valid)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await app.Client.SendAsync(invalid)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Antiforgery_TokenAsFirstFormField_AcceptedBeforeAnyFile_RefusedAfterOrInvalid()
    {
        var counter = new ByteCounter();
        await using var app = await UploadApp.StartAsync(
            Temp,
            a =>
            {
                a.MapGet("/token", (HttpContext http, IAntiforgery antiforgery) => antiforgery.GetAndStoreTokens(http).RequestToken);
                a.MapPost("/upload", async (HttpContext http) =>
                {
                    http.GetUploadHandlers().Insert(0, counter);
                    return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
                }).WithUploadAntiforgery();
            },
            services: s => s.AddAntiforgery(),
            kestrel: true);
        var tokenResponse = await app.Client.GetAsync("/token");
        var token = await tokenResponse.Content.ReadAsStringAsync();
        var cookie = tokenResponse.Headers.GetValues("Set-Cookie").First().Split(';')[0];
        HttpRequestMessage Post(MultipartBodyBuilder body)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = UploadApp.Multipart(body) };
            request.Headers.Add("Cookie", cookie);
            return request;
        }

        var first = await app.Client.SendAsync(Post(new MultipartBodyBuilder().AddField(
            "__RequestVerificationToken", token).AddFile("f", "a.bin", [1, 2, 3])));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a plain HTML form: the hidden input comes before the file inputs");
        Assert.That(counter.Total, Is.EqualTo(3));

        var late = await app.Client.SendAsync(Post(new MultipartBodyBuilder().AddFile("f", "a.bin", [1, 2, 3]).AddField(
            "__RequestVerificationToken", token)));
        var invalid = await app.Client.SendAsync(Post(new MultipartBodyBuilder().AddField(
            "__RequestVerificationToken", token + "x").AddFile("f", "a.bin", [1, 2, 3])));

        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a file before the token is refused");
        Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(counter.Total, Is.EqualTo(3), "no handler saw a byte of the refused requests");
    }

    [Test]
    public async Task MvcController_UploadFormParameter_BoundThroughChain()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapControllers(),
            o => o.MaxFileCount = 1,
            services: s => s.AddControllers().AddApplicationPart(typeof(UploadsController).Assembly),
            kestrel: true);
        var data = RandomBytes(5000);

        var ok = await app.Client.PostAsync(
            "/mvc/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddField("title", "t").AddFile("file", "a.bin", data)));
        var rejected = await app.Client.PostAsync(
            "/mvc/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "a.bin", data).AddFile("file", "b.bin", data)));

        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK), await ok.Content.ReadAsStringAsync());
        var report = await ok.Content.ReadFromJsonAsync<FormReport>();
        Assert.That(report!.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
        Assert.That(report.Fields["title"], Is.EqualTo(new[] { "t" }));
        Assert.That(rejected.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(rejected.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await rejected.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("The request has more than 1 file."));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("MaxFileCount"));
    }

    /// <summary>
    /// POSTs <paramref name="builder"/>'s body to <c>/upload</c> over a connection of its own, stops after
    /// <paramref name="bytesToSend"/> of its bytes (given its length), runs <paramref name="whileOpen"/> and drops the
    /// connection, as a client that goes away mid-upload.
    /// </summary>
    internal static async Task SendPartAndDisconnectAsync(TestApp app, MultipartBodyBuilder builder, Func<int, int> bytesToSend, Func<Task> whileOpen)
    {
        var body = builder.Build();
        using var socket = new TcpClient();
        await socket.ConnectAsync(app.Client.BaseAddress!.Host, app.Client.BaseAddress.Port);
        var stream = socket.GetStream();
        var head = $"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: {builder.ContentType}\r\nContent-Length: {body.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body.AsMemory(0, bytesToSend(body.Length)));
        await stream.FlushAsync();
        await whileOpen();
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Timed out waiting until " + what);
            }

            await Task.Delay(20);
        }
    }
}

[ApiController]
[Route("mvc")]
public sealed class UploadsController : ControllerBase
{
    [HttpPost("upload")]
    public async Task<FormReport> Upload(UploadForm form) => await UploadApp.DescribeAsync(form);
}
