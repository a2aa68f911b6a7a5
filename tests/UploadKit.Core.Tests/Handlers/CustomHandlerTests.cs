using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Handlers;

/// <summary>Handlers an app writes on top of the built-in ones, run through real requests.</summary>
public class CustomHandlerTests : TempDirectoryTests
{
    private Task<TestApp> StartAsync() => UploadApp.StartAsync(
        Temp,
        a => a.MapPost("/upload", async (HttpContext http) =>
        {
            var form = await http.ReadUploadFormAsync();
            var scanner = http.GetUploadHandlers().OfType<ScanningTemporaryFileHandler>().Single();
            return Results.Ok(new
            {
                Files = form.Files.Select(f => new { f.FileName, Kind = f.GetType().Name, f.TemporaryFilePath, f.Length }),
                scanner.Seen,
                http.GetUploadHandlers().OfType<TextInMemoryHandler>().Single().KeptInMemory,
            });
        }).WithUploads(),
        services: s => s.AddUploadKit()
            .ConfigureHandlers(handlers => handlers.Clear())
            .AddHandler<TextInMemoryHandler>()
            .AddHandler<ScanningTemporaryFileHandler>());

    [Test]
    public async Task DerivedHandlers_KeepTextInMemory_AndSeeTheTempFileWhileItIsWritten()
    {
        await using var app = await StartAsync();
        var image = RandomBytes(3 * 1024 * 1024);
        var body = new MultipartBodyBuilder()
            .AddFile("notes", "notes.txt", Encoding.UTF8.GetBytes("hello"), "text/plain")
            .AddFile("photo", "photo.png", image, "image/png");

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), result.ToString());
        var files = result.GetProperty("files").EnumerateArray().ToList();
        Assert.That(
            files.Select(f => f.GetProperty("kind").GetString()), Is.EqualTo(new[] { nameof(InMemoryUploadedFile), nameof(TemporaryUploadedFile) }));
        Assert.That(result.GetProperty("keptInMemory").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "notes.txt" }));

        // The scanner saw the path and the file on disk, growing, before the file completed; the file it completed is there.
        var seen = result.GetProperty("seen").EnumerateArray().Select(e => e.GetString()).ToList();
        var photoPath = files[1].GetProperty("temporaryFilePath").GetString()!;
        Assert.That(Path.GetDirectoryName(photoPath), Is.EqualTo(Temp));
        Assert.That(seen, Does.Contain("start:" + photoPath));
        Assert.That(seen, Does.Contain("writing:" + photoPath + ":exists"));
        Assert.That(seen.Last(), Is.EqualTo("complete:" + photoPath + ":" + image.Length));
        Assert.That(files[1].GetProperty("length").GetInt64(), Is.EqualTo(image.Length));
        await KestrelUploadTests.WaitUntilAsync(() => Directory.GetFiles(Temp).Length == 0, "the temp file is deleted when the request ends");
    }

    [Test]
    public async Task DerivedTemporaryFileHandler_RejectsAfterScanning_AnswersItsStatusAndLeavesNoFile()
    {
        await using var app = await StartAsync();
        var infected = Encoding.ASCII.GetBytes("data " + ScanningTemporaryFileHandler.Signature + " more").Concat(RandomBytes(200_000)).ToArray();
        var body = new MultipartBodyBuilder().AddFile("photo", "photo.png", infected, "image/png");

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("photo.png did not pass the scan."));
        await KestrelUploadTests.WaitUntilAsync(() => Directory.GetFiles(Temp).Length == 0, "the refused file's temp file is deleted");
    }

    /// <summary>Keeps only text in memory; everything else goes on to disk at once.</summary>
    public sealed class TextInMemoryHandler : MemoryUploadHandler
    {
        public List<string> KeptInMemory { get; } = [];

        protected override long GetMemoryThreshold(UploadFileHeader file) =>
            file.ContentType.StartsWith("text/", StringComparison.Ordinal) ? base.GetMemoryThreshold(file) : -1;

        public override async ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
        {
            var file = await base.FileCompleteAsync(size, cancellationToken);
            if (file is not null)
            {
                KeptInMemory.Add(file.FileName);
            }

            return file;
        }
    }

    /// <summary>Watches the temporary file while it is written, and scans it before it is handed to the endpoint.</summary>
    public sealed class ScanningTemporaryFileHandler : TemporaryFileUploadHandler
    {
        public const string Signature = "X5O!P%@AP";

        public List<string> Seen { get; } = [];

        public override async ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
        {
            await base.NewFileAsync(file, cancellationToken);
            Seen.Add("start:" + TemporaryFilePath);
        }

        public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
        {
            var passed = await base.ReceiveChunkAsync(chunk, offset, cancellationToken);
            if (BytesWritten > 0)
            {
                var writing = "writing:" + TemporaryFilePath + (File.Exists(TemporaryFilePath) ? ":exists" : ":missing");
                if (Seen[^1] != writing)
                {
                    Seen.Add(writing);
                }
            }

            return passed;
        }

        public override async ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
        {
            var file = await base.FileCompleteAsync(size, cancellationToken);
            if (file?.TemporaryFilePath is { } path)
            {
                var text = Encoding.ASCII.GetString(await File.ReadAllBytesAsync(path, cancellationToken));
                if (text.Contains(Signature, StringComparison.Ordinal))
                {
                    // The file is not in the form yet, so this handler releases it before refusing.
                    await file.DisposeAsync();
                    throw new UploadRejectedException(StatusCodes.Status422UnprocessableEntity, file.FileName + " did not pass the scan.");
                }

                Seen.Add("complete:" + path + ":" + new FileInfo(path).Length);
            }

            return file;
        }
    }
}
