using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.AspNetCore;

/// <summary>
/// A request answered with an error keeps nothing it stored: files saved while it ran are deleted when its answer is
/// an error (UploadKit's or the endpoint's own) or when it ends with an unhandled exception, unless the endpoint kept them.
/// </summary>
[Category("Integration")]
public class SaveRollbackTests : TempDirectoryTests
{
    private string _media = null!;
    private string _temp = null!;

    [SetUp]
    public void SetUp()
    {
        _media = Path.Combine(Temp, "media");
        _temp = Path.Combine(Temp, "tmp");
        Directory.CreateDirectory(_temp);
    }

    /// <summary>The stored files, without the storage's own metadata folder.</summary>
    private string[] StoredFiles() => AllFiles(_media)
        .Where(p => !p.Contains("/.uploadkit", StringComparison.Ordinal))
        .Select(p => Path.GetRelativePath(_media, p))
        .ToArray();

    private Task<TestApp> StartAsync(Action<WebApplication> map) => TestApp.StartAsync(
        s => s.AddUploadKit(o =>
            {
                o.TempFileDirectory = _temp;
                o.MemoryBufferThreshold = 1000;
            })
            .AddStorage("default", _ => new FileSystemStorage(new FileSystemStorageOptions { Location = _media })),
        map,
        kestrel: true);

    /// <summary>QuickStart's upload endpoint: every file of the form saved in turn under its own name.</summary>
    private static void MapQuickStart(WebApplication app) =>
        app.MapPost("/upload", async (UploadForm form, IStorageRegistry storages, CancellationToken ct) =>
        {
            var saved = new List<string>();
            foreach (var file in form.Files)
            {
                saved.Add(await file.SaveAsync(storages.Default, cancellationToken: ct));
            }

            return Results.Ok(saved);
        })
        .WithFileValidators("files", FileValidators.MaxSize(50 << 20));

    /// <summary>Saves every file, then ends as <c>?then=</c> says.</summary>
    private static void MapSaveThen(WebApplication app) =>
        app.MapPost("/save-then", async (string then, UploadForm form, IStorageRegistry storages) =>
        {
            foreach (var file in form.Files)
            {
                await file.SaveAsync(storages.Default);
            }

            if (then.StartsWith("keep-", StringComparison.Ordinal))
            {
                form.KeepSavedFiles();
                then = then["keep-".Length..];
            }

            return then switch
            {
                "ok" => Results.Ok(),
                "problem" => Results.ValidationProblem(new Dictionary<string, string[]> { ["title"] = ["A title is required."] }),
                "reject" => throw new UploadRejectedException(StatusCodes.Status400BadRequest, "Refused by the app.")
                {
                    Errors = new Dictionary<string, string[]> { ["files"] = ["Refused by the app."] },
                },
                "throw" => throw new InvalidOperationException("The app failed after saving."),
                _ => Results.NoContent(),
            };
        });

    private static HttpContent Form(params (string Name, byte[] Content)[] files)
    {
        var builder = new MultipartBodyBuilder().AddField("title", "t");
        foreach (var (name, content) in files)
        {
            builder.AddFile("files", name, content);
        }

        return UploadApp.Multipart(builder);
    }

    [Test]
    public async Task QuickStart_GoodFileThenUnnamableFile_Answers400NamingThePartAndStoresNothing()
    {
        await using var app = await StartAsync(MapQuickStart);

        using var response = await app.Client.PostAsync("/upload", Form(("good.txt", RandomBytes(5000)), ("()", RandomBytes(10))));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("errors").GetProperty("files")[0].GetString(), Does.Contain("'()'"));
        Assert.That(StoredFiles(), Is.Empty);
        Assert.That(Directory.GetFiles(_temp), Is.Empty);
    }

    [TestCase(".uploadkit-x.txt", "_.uploadkit-x.txt")]
    [TestCase("my (1).txt", "my_1.txt")]
    [TestCase("a\u0301.txt", "\u00e1.txt")]
    public async Task QuickStart_NameTheStorageWouldRefuseAsGiven_IsStoredUnderTheDerivedName(string fileName, string stored)
    {
        await using var app = await StartAsync(MapQuickStart);
        var content = RandomBytes(3000);

        using var response = await app.Client.PostAsync("/upload", Form(("first.txt", RandomBytes(10)), (fileName, content)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(await response.Content.ReadFromJsonAsync<string[]>(), Is.EqualTo(new[] { "first.txt", stored }));
        Assert.That(Sha256Hex(File.ReadAllBytes(Path.Combine(_media, stored))), Is.EqualTo(Sha256Hex(content)));
    }

    [TestCase("problem", HttpStatusCode.BadRequest)]
    [TestCase("reject", HttpStatusCode.BadRequest)]
    [TestCase("throw", HttpStatusCode.InternalServerError)]
    public async Task EndpointFailsAfterSaving_SavedFilesAreDeleted(string then, HttpStatusCode status)
    {
        await using var app = await StartAsync(MapSaveThen);

        using var response = await app.Client.PostAsync("/save-then?then=" + then, Form(("a.txt", RandomBytes(5000)), ("b.txt", RandomBytes(20))));

        Assert.That(response.StatusCode, Is.EqualTo(status));
        if (status == HttpStatusCode.InternalServerError)
        {
            // An unhandled exception gives UploadKit no answer of its own to settle before: the files go when the
            // request ends, which may be just after the client has read the 500.
            await KestrelUploadTests.WaitUntilAsync(
                () => StoredFiles().Length == 0 && Directory.GetFiles(_temp).Length == 0, "the saved files are deleted when the failed request ends");
        }

        Assert.That(StoredFiles(), Is.Empty);
        Assert.That(Directory.GetFiles(_temp), Is.Empty);
    }

    [TestCase("ok", HttpStatusCode.OK)]
    [TestCase("keep-problem", HttpStatusCode.BadRequest)]
    [TestCase("keep-throw", HttpStatusCode.InternalServerError)]
    public async Task EndpointSucceedsOrKeptItsFiles_SavedFilesStay(string then, HttpStatusCode status)
    {
        await using var app = await StartAsync(MapSaveThen);
        var a = RandomBytes(5000, seed: 1);
        var b = RandomBytes(20, seed: 2);

        using var response = await app.Client.PostAsync("/save-then?then=" + then, Form(("a.txt", a), ("b.txt", b)));

        Assert.That(response.StatusCode, Is.EqualTo(status));
        Assert.That(StoredFiles(), Is.EquivalentTo(new[] { "a.txt", "b.txt" }));
        Assert.That(Sha256Hex(File.ReadAllBytes(Path.Combine(_media, "a.txt"))), Is.EqualTo(Sha256Hex(a)));
        Assert.That(Sha256Hex(File.ReadAllBytes(Path.Combine(_media, "b.txt"))), Is.EqualTo(Sha256Hex(b)));
    }

    [Test]
    public async Task StreamedFileKeptThenRequestAnsweredWithError_ObjectIsDeleted()
    {
        await using var app = await StartAsync(a => a.MapPost("/stream", (string then, UploadForm form) =>
            {
                ((StoredUploadedFile)form.Files.GetRequired("files")).Keep();
                return then == "ok" ? Results.Ok() : Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity);
            })
            .WithUploadHandlers(sp => new StorageStreamingHandler(sp.GetRequiredService<IStorageRegistry>().Default)));

        using var failed = await app.Client.PostAsync("/stream?then=problem", Form(("streamed.bin", RandomBytes(100_000))));
        Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(StoredFiles(), Is.Empty);

        using var kept = await app.Client.PostAsync("/stream?then=ok", Form(("streamed.bin", RandomBytes(100_000))));
        Assert.That(kept.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(StoredFiles(), Is.EqualTo(new[] { "streamed.bin" }));
    }

    [Test]
    public async Task RawBodyNamedWithNothingToDerive_Answers400BeforeTheEndpointRuns()
    {
        var ran = false;
        await using var app = await StartAsync(a => a.MapPost("/raw/{filename}", (UploadForm form) =>
        {
            ran = true;
            return Results.Ok();
        }));
        var content = new ByteArrayContent(RandomBytes(100));
        content.Headers.ContentType = new("application/octet-stream");

        using var response = await app.Client.PostAsync("/raw/%28%29", content);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("errors").TryGetProperty("file", out _), Is.True, problem.ToString());
        Assert.That(ran, Is.False);
    }
}
