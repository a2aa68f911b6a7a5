using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using UploadKit.Testing;
using UploadKit.Tests.Handlers;

namespace UploadKit.Tests.AspNetCore;

public class UploadEndpointTests : TempDirectoryTests
{
    private string[] TempFiles => Directory.GetFiles(Temp);

    /// <summary>
    /// Temp files are deleted when the request ends, which may be just after the client has read the answer: waits for
    /// that, and fails if any is still there after the wait.
    /// </summary>
    private Task AssertTempFilesGoneAsync() =>
        KestrelUploadTests.WaitUntilAsync(() => TempFiles.Length == 0, "the request's temp files are deleted when it ends");

    private Task<TestApp> StartDescribingAppAsync(Action<UploadOptions>? configure = null) =>
        UploadApp.StartAsync(Temp, app => app.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)), configure);

    [Test]
    public async Task UploadForm_SmallFileAndField_FileKeptInMemory()
    {
        await using var app = await StartDescribingAppAsync();
        var data = RandomBytes(1000);
        var body = new MultipartBodyBuilder().AddField("title", "Ünïcode title").AddFile("file", "song.mp3", data, "audio/mpeg");

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var report = await response.Content.ReadFromJsonAsync<FormReport>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(report!.Fields["title"], Is.EqualTo(new[] { "Ünïcode title" }));
        var file = report.Files.Single();
        Assert.That(file, Is.EqualTo(new FileReport("file", "song.mp3", "audio/mpeg", 1000, Sha256Hex(data), nameof(InMemoryUploadedFile), false)));
    }

    [TestCase(false, TestName = "UploadForm_FileOverThreshold_WithContentLength_SpillsToTempFile")]
    [TestCase(true, TestName = "UploadForm_FileOverThreshold_Chunked_SpillsToTempFile")]
    public async Task UploadForm_FileOverThreshold_SpillsToTempFile(bool chunked)
    {
        await using var app = await StartDescribingAppAsync(o => o.MemoryBufferThreshold = 10_000);
        var small = RandomBytes(10_000, 2);
        var large = RandomBytes(3_000_000, 3);
        var body = new MultipartBodyBuilder().AddFile("files", "small.bin", small).AddFile("files", "large.bin", large);

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body, chunked));
        var report = await response.Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files, Has.Count.EqualTo(2));
        Assert.That(
            report.Files[0],
            Is.EqualTo(new FileReport(
                "files", "small.bin", "application/octet-stream", 10_000, Sha256Hex(small), nameof(InMemoryUploadedFile), false)));
        Assert.That(
            report.Files[1],
            Is.EqualTo(new FileReport(
                "files", "large.bin", "application/octet-stream", 3_000_000, Sha256Hex(large), nameof(TemporaryUploadedFile), true)));
        await AssertTempFilesGoneAsync();
    }

    [Test]
    public async Task UploadForm_DeclaredLengthIsALie_StillSpills()
    {
        await using var app = await StartDescribingAppAsync(o => o.MemoryBufferThreshold = 1000);
        var data = RandomBytes(50_000);
        var body = new MultipartBodyBuilder()
            .AddPart("Content-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Length: 10\r\n", data);

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(body))).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Kind, Is.EqualTo(nameof(TemporaryUploadedFile)));
        Assert.That(report.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task GetUploadHandlers_InsertAtZero_CustomHandlerSeesEveryByte()
    {
        var counter = new ByteCounter();
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            http.GetUploadHandlers().Insert(0, counter);
            var form = await http.ReadUploadFormAsync();
            return await UploadApp.DescribeAsync(form);
        }).WithUploads());
        var data = RandomBytes(300_000);

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", data))))
            .Content.ReadFromJsonAsync<FormReport>();

        Assert.That(counter.Total, Is.EqualTo(300_000));
        Assert.That(counter.Events, Is.EqualTo(new[] { "new:a.bin", "complete:300000", "upload-complete" }));
        Assert.That(report!.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task GetUploadHandlers_ChangedAfterReading_Throws()
    {
        string? message = null;
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            await http.ReadUploadFormAsync();
            try
            {
                http.GetUploadHandlers().Insert(0, new ByteCounter());
            }
            catch (InvalidOperationException ex)
            {
                message = ex.Message;
            }

            return Results.Ok();
        }));

        await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddField("a", "b")));

        Assert.That(message, Does.Contain("after the request body has started to be read"));
    }

    [Test]
    public async Task CustomHandler_RejectsMidStream_Answers413AndLeavesNothing()
    {
        var guard = new MaxBytesHandler(100_000);
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            http.GetUploadHandlers().Insert(0, guard);
            return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
        }).WithUploads(), o => o.MemoryBufferThreshold = 1000);
        var body = new MultipartBodyBuilder().AddFile("f", "ok.bin", RandomBytes(50_000)).AddFile("f", "big.bin", RandomBytes(5_000_000));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("big.bin is larger than 100000 bytes."));
        Assert.That(guard.Received, Is.LessThan(500_000), "reading stopped at the limit");
        await AssertTempFilesGoneAsync();
    }

    [Test]
    public async Task Handler_StopFutureHandlers_LaterHandlersDoNotSeeTheFile()
    {
        var after = new ByteCounter();
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            http.GetUploadHandlers().Insert(0, new SignalHandler(new StopFutureHandlersException(), onNewFile: true, onlyFor: "taken.bin"));
            http.GetUploadHandlers().Insert(1, after);
            return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
        }).WithUploads());
        var body = new MultipartBodyBuilder().AddFile("f", "taken.bin", RandomBytes(100)).AddFile("f", "kept.bin", RandomBytes(200));

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(body))).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Select(f => f.Name), Is.EqualTo(new[] { "kept.bin" }), "no handler after the one that took the file kept it");
        Assert.That(after.Events, Is.EqualTo(new[] { "new:kept.bin", "complete:200", "upload-complete" }));
        Assert.That(after.Total, Is.EqualTo(200));
    }

    [TestCase(true, TestName = "Handler_SkipFileAtNewFile_FileIgnoredOthersKept")]
    [TestCase(false, TestName = "Handler_SkipFileMidStream_FileIgnoredOthersKept")]
    public async Task Handler_SkipFile_FileIgnoredOthersKept(bool onNewFile)
    {
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            http.GetUploadHandlers().Insert(0, new SignalHandler(new SkipFileException(), onNewFile, onlyFor: "skip.bin"));
            return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
        }).WithUploads(), o => o.MemoryBufferThreshold = 10);
        var body = new MultipartBodyBuilder()
            .AddFile("f", "skip.bin", RandomBytes(100_000))
            .AddFile("f", "kept.bin", RandomBytes(200))
            .AddField("after", "yes");

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var report = await response.Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Select(f => f.Name), Is.EqualTo(new[] { "kept.bin" }));
        Assert.That(report.Fields["after"], Is.EqualTo(new[] { "yes" }));
        await AssertTempFilesGoneAsync();
    }

    [Test]
    public async Task Handler_StopUpload_KeepsCompletedFilesAndStops()
    {
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            http.GetUploadHandlers().Insert(0, new SignalHandler(new StopUploadException(), onNewFile: false, onlyFor: "second.bin"));
            return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
        }).WithUploads(), o => o.MemoryBufferThreshold = 10);
        var body = new MultipartBodyBuilder()
            .AddFile("f", "first.bin", RandomBytes(300))
            .AddFile("f", "second.bin", RandomBytes(100_000))
            .AddField("never", "read");

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var report = await response.Content.ReadFromJsonAsync<FormReport>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(report!.Files.Select(f => f.Name), Is.EqualTo(new[] { "first.bin" }));
        Assert.That(report.Fields, Does.Not.ContainKey("never"));
        await AssertTempFilesGoneAsync();
    }

    [Test]
    public async Task Handler_FirstFileCompleteWins_LaterHandlersRelease()
    {
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", async (HttpContext http) =>
        {
            // Memory handler sees nothing (threshold 0 means everything spills), temp handler writes, then a custom handler wins first.
            http.GetUploadHandlers().Insert(0, new KeepAllHandler());
            return await UploadApp.DescribeAsync(await http.ReadUploadFormAsync());
        }).WithUploads());
        var data = RandomBytes(4_000_000);

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", data))))
            .Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Kind, Is.EqualTo(nameof(InMemoryUploadedFile)));
        Assert.That(report.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
        await AssertTempFilesGoneAsync();
    }

    [TestCase("../../etc/passwd", "passwd")]
    [TestCase("C:\\Users\\me\\Desktop\\report.pdf", "report.pdf")]
    [TestCase("/absolute/path/a.txt", "a.txt")]
    [TestCase("dir/mixed\\slashes/b.txt", "b.txt")]
    [TestCase("&#x2F;etc&#x2F;shadow.txt", "shadow.txt")]
    [TestCase("..&sol;..&sol;x.png", "x.png")]
    [TestCase("a\u0001b\u007fc.txt", "abc.txt")]
    public async Task UploadForm_HostileFileName_IsSanitised(string sent, string expected)
    {
        await using var app = await StartDescribingAppAsync();
        var body = new MultipartBodyBuilder().AddPart($"Content-Disposition: form-data; name=\"f\"; filename=\"{sent}\"\r\n", [1, 2, 3]);

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(body))).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Name, Is.EqualTo(expected));
    }

    [Test]
    public async Task UploadForm_Rfc2231FileName_IsDecoded()
    {
        await using var app = await StartDescribingAppAsync();
        var body = new MultipartBodyBuilder().AddPart(
            "Content-Disposition: form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt\r\n", [1]);

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(body))).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Name, Is.EqualTo("naïve résumé.txt"));
    }

    [Test]
    public async Task UploadForm_LongFileName_TruncatedKeepingExtension()
    {
        await using var app = await StartDescribingAppAsync();
        var body = new MultipartBodyBuilder().AddFile("f", new string('a', 300) + ".jpeg", [1]);

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(body))).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Name, Is.EqualTo(new string('a', 250) + ".jpeg"));
    }

    [TestCase("")]
    [TestCase("..")]
    [TestCase("dir/")]
    public async Task UploadForm_EmptyNameAfterSanitising_PartIgnored(string fileName)
    {
        await using var app = await StartDescribingAppAsync();
        var body = new MultipartBodyBuilder().AddFile("f", fileName, [1, 2]).AddField("x", "y");

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(body))).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files, Is.Empty);
        Assert.That(report.Fields["x"], Is.EqualTo(new[] { "y" }));
    }

    [Test]
    public async Task RawBody_FileNameFromRoute_ReadAsOneFile()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/tracks/{id}/upload/{filename}", (UploadForm form) => UploadApp.DescribeAsync(form)),
            o => o.MemoryBufferThreshold = 1000);
        var data = RandomBytes(100_000);
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new("audio/mpeg");

        var report = await (await app.Client.PostAsync("/tracks/1/upload/song.mp3", content)).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(
            report!.Files.Single(),
            Is.EqualTo(new FileReport("file", "song.mp3", "audio/mpeg", 100_000, Sha256Hex(data), nameof(TemporaryUploadedFile), true)));
    }

    [Test]
    public async Task RawBody_FileNameFromContentDisposition_ReadAsOneFile()
    {
        await using var app = await StartDescribingAppAsync();
        var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.ContentType = new("application/octet-stream");
        content.Headers.ContentDisposition = new("attachment") { FileName = "\"../x.bin\"" };

        var report = await (await app.Client.PostAsync("/upload", content)).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Name, Is.EqualTo("x.bin"));
    }

    [Test]
    public async Task RawBody_NoFileName_Answers400()
    {
        await using var app = await StartDescribingAppAsync();
        var content = new ByteArrayContent([1, 2, 3]);
        content.Headers.ContentType = new("application/octet-stream");

        var response = await app.Client.PostAsync("/upload", content);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("detail").GetString(), Does.StartWith("Missing filename."));
    }

    [Test]
    public async Task UrlEncodedForm_ReadAsFields()
    {
        await using var app = await StartDescribingAppAsync();

        var report = await (await app.Client.PostAsync("/upload", new FormUrlEncodedContent([new("a", "1"), new("a", "2"), new("b", "é")])))
            .Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Fields["a"], Is.EqualTo(new[] { "1", "2" }));
        Assert.That(report.Fields["b"], Is.EqualTo(new[] { "é" }));
    }

    [TestCase("multipart/form-data", HttpStatusCode.BadRequest, TestName = "UploadForm_MissingBoundary_Answers400")]
    [TestCase("multipart/form-data; boundary=\"\"", HttpStatusCode.BadRequest, TestName = "UploadForm_EmptyBoundary_Answers400")]
    [TestCase("multipart/mixed; boundary=abc", HttpStatusCode.UnsupportedMediaType, TestName = "UploadForm_MultipartMixed_Answers415")]
    public async Task UploadForm_BadContentType_AnswersProblem(string contentType, HttpStatusCode expected)
    {
        await using var app = await StartDescribingAppAsync();
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes("--abc\r\n\r\nx\r\n--abc--"));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await app.Client.PostAsync("/upload", content);

        Assert.That(response.StatusCode, Is.EqualTo(expected));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task UploadForm_BodyWithoutContentType_Answers415()
    {
        await using var app = await StartDescribingAppAsync();
        var content = new ByteArrayContent([1, 2, 3]);

        var response = await app.Client.PostAsync("/upload", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task UploadForm_TruncatedBody_Answers400AndLeavesNothing()
    {
        await using var app = await StartDescribingAppAsync(o => o.MemoryBufferThreshold = 10);
        var builder = new MultipartBodyBuilder().AddFile("f", "a.bin", RandomBytes(200_000));
        var content = new ByteArrayContent(builder.BuildWithoutClose()[..150_000]);
        content.Headers.TryAddWithoutValidation("Content-Type", builder.ContentType);

        var response = await app.Client.PostAsync("/upload", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        await AssertTempFilesGoneAsync();
    }

    [Test]
    public async Task UploadForm_TooManyFiles_Answers413AndLeavesNothing()
    {
        await using var app = await StartDescribingAppAsync(o => { o.MaxFileCount = 2; o.MemoryBufferThreshold = 10; });
        var body = new MultipartBodyBuilder()
            .AddFile("f", "1.bin", RandomBytes(100))
            .AddFile("f", "2.bin", RandomBytes(100))
            .AddFile("f", "3.bin", RandomBytes(100));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("The request has more than 2 files."));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("MaxFileCount"));
        await AssertTempFilesGoneAsync();
    }

    [TestCase(false, TestName = "UploadForm_BodyOverLimit_WithContentLength_Answers413")]
    [TestCase(true, TestName = "UploadForm_BodyOverLimit_Chunked_Answers413")]
    public async Task UploadForm_BodyOverLimit_Answers413(bool chunked)
    {
        await using var app = await StartDescribingAppAsync(o => { o.MaxRequestBodySize = 100_000; o.MemoryBufferThreshold = 10; });
        var body = new MultipartBodyBuilder().AddFile("f", "big.bin", RandomBytes(300_000));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body, chunked));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        await AssertTempFilesGoneAsync();
    }

    [TestCase(false, TestName = "UploadForm_BodyOverLimit_WithContentLength_DetailInHumanUnits")]
    [TestCase(true, TestName = "UploadForm_BodyOverLimit_Chunked_DetailInHumanUnits")]
    public async Task UploadForm_BodyOverLimit_DetailInHumanUnitsAndOptionInLimit(bool chunked)
    {
        await using var app = await StartDescribingAppAsync(o => { o.MaxRequestBodySize = 1 << 20; o.MemoryBufferThreshold = 10; });
        var body = new MultipartBodyBuilder().AddFile("f", "big.bin", RandomBytes((1 << 20) + 300_000));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body, chunked));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("The request body is larger than 1 MiB."));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("MaxRequestBodySize"));
        await AssertTempFilesGoneAsync();
    }

    [Test]
    public async Task WithUploadLimits_EndpointOverridesAppLimits()
    {
        await using var app = await UploadApp.StartAsync(Temp, a =>
        {
            a.MapPost("/strict", (UploadForm form) => Results.Ok()).WithUploadLimits(o => o.MaxRequestBodySize = 1000);
            a.MapPost("/loose", (UploadForm form) => Results.Ok());
        });
        var body = new MultipartBodyBuilder().AddFile("f", "a.bin", RandomBytes(5000));

        Assert.That((await app.Client.PostAsync("/strict", UploadApp.Multipart(body))).StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That((await app.Client.PostAsync("/loose", UploadApp.Multipart(body))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task WithUploadHandlers_EndpointChainReplacesAppChain()
    {
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form))
            .WithUploadHandlers(_ => new TemporaryFileUploadHandler()));

        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", [1, 2, 3]))))
            .Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Kind, Is.EqualTo(nameof(TemporaryUploadedFile)), "no memory handler on this endpoint");
    }

    [Test]
    public async Task FilesGetRequired_Missing_Answers400WithFieldError()
    {
        await using var app = await UploadApp.StartAsync(
            Temp, a => a.MapPost("/upload", (UploadForm form) => Results.Ok(form.Files.GetRequired("file").FileName)));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddField("a", "b")));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Is.EqualTo("No file was submitted."));
    }

    /// <summary>Keeps each file itself (copying chunks, as the contract requires) and wins it.</summary>
    private sealed class KeepAllHandler : UploadHandler
    {
        private MemoryStream? _content;
        private UploadFileHeader? _file;

        public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
        {
            _file = file;
            _content = new MemoryStream();
            return ValueTask.CompletedTask;
        }

        public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
        {
            _content!.Write(chunk.Span);
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
        }

        public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken) =>
            ValueTask.FromResult<UploadedFile?>(new InMemoryUploadedFile(_file!, _content!.ToArray()));
    }
}
