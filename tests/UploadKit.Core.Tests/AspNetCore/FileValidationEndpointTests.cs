using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;
using UploadKit.Tests.Validation;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.AspNetCore;

public class FileValidationEndpointTests : TempDirectoryTests
{
    [Test]
    public async Task AddValidator_AppWide_RejectsOnEveryUploadEndpoint()
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddUploadKit(o => { o.TempFileDirectory = Temp; o.MemoryBufferThreshold = 10; })
                .AddValidator(FileValidators.Extensions("png"), "image")
                .AddValidator(FileValidators.MaxSize(1000)),
            a => a.MapPost("/upload", (UploadForm form) => form.Files.Select(f => f.FileName)));

        var ok = await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("image", "a.png", RandomBytes(500))));
        Assert.That(await ok.Content.ReadFromJsonAsync<string[]>(), Is.EqualTo(new[] { "a.png" }));

        var badExtension = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("image", "a.gif", RandomBytes(500))));
        Assert.That(badExtension.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await badExtension.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("One or more validation errors occurred."));
        Assert.That(
            problem.GetProperty("errors").GetProperty("image")[0].GetString(),
            Is.EqualTo("File extension \"gif\" is not allowed. Allowed extensions are: png."));

        var tooLarge = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("other", "a.bin", RandomBytes(5000))));
        var largeProblem = await tooLarge.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(largeProblem.GetProperty("errors").GetProperty("other")[0].GetString(), Is.EqualTo("File is larger than 1000 bytes."));
        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task WithFileValidators_SeveralFailures_AllReportedOnTheField()
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddUploadKit(o => o.TempFileDirectory = Temp),
            a => a.MapPost("/upload", (UploadForm form) => Results.Ok())
                .WithFileValidators("file", FileValidators.Extensions("mp3"), FileValidators.ContentTypes("audio/mpeg")));

        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "x.exe", RandomBytes(10), "application/x-msdownload")));

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("errors").GetProperty("file").GetArrayLength(), Is.EqualTo(2));
    }

    [Test]
    public async Task WithFileValidators_SecondFileRefused_ProblemNamesThatFile()
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddUploadKit(o => o.TempFileDirectory = Temp),
            a => a.MapPost("/upload", (UploadForm form) => Results.Ok())
                .WithFileValidators("files", FileValidators.Extensions("txt"), FileValidators.MaxSize(1000)));

        var badType = await app.Client.PostAsync(
            "/upload",
            UploadApp.Multipart(new MultipartBodyBuilder().AddFile("files", "fine.txt", RandomBytes(10)).AddFile(
                "files", "setup.exe", RandomBytes(10))));
        var tooLarge = await app.Client.PostAsync(
            "/upload",
            UploadApp.Multipart(new MultipartBodyBuilder().AddFile("files", "fine.txt", RandomBytes(10)).AddFile(
                "files", "big.txt", RandomBytes(5000))));

        var badTypeProblem = await badType.Content.ReadFromJsonAsync<JsonElement>();
        var tooLargeProblem = await tooLarge.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(badType.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(badTypeProblem.GetProperty("fileName").GetString(), Is.EqualTo("setup.exe"), "refused at its header");
        Assert.That(badTypeProblem.GetProperty("errors").GetProperty("files")[0].GetString(), Does.Contain("\"exe\" is not allowed"));
        Assert.That(tooLarge.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(tooLargeProblem.GetProperty("fileName").GetString(), Is.EqualTo("big.txt"), "refused while it streamed");
    }

    [Test]
    public async Task Rejection_NotAboutOneFile_ProblemHasNoFileName()
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddUploadKit(o => { o.TempFileDirectory = Temp; o.MaxFileCount = 1; }),
            a => a.MapPost("/upload", (UploadForm form) => Results.Ok()).WithFileValidators("files", FileValidators.MaxSize(1000)));

        var response = await app.Client.PostAsync(
            "/upload",
            UploadApp.Multipart(new MultipartBodyBuilder().AddFile("files", "a.txt", RandomBytes(10)).AddFile("files", "b.txt", RandomBytes(10))));

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((int)response.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest).Or.EqualTo(StatusCodes.Status413PayloadTooLarge));
        Assert.That(problem.TryGetProperty("fileName", out _), Is.False);
    }
}
