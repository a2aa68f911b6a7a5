using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using static UploadKit.Samples.Tests.TrackApiClient;

namespace UploadKit.Samples.Tests;

/// <summary>The QuickStart sample: its page driven in Chromium, with and without JavaScript, and its endpoints over HTTP.</summary>
[Category("Integration")]
public class QuickStartTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["UploadKit:Storages:default:Options:Location"] = "{dir}/media",
    };

    [Test]
    public async Task Page_TwoFilesDropRefusalAndNoScript_ProgressFromServerFilesListedErrorNextToFile()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        var expected = await BrowserScript.RunAsync("quickstart.spec.mjs", app.BaseAddress);

        Assert.That(expected, Has.Length.EqualTo(6), "two chosen, one dropped, the good file beside the refused one, two posted without JavaScript");
        Assert.That(
            BrowserScript.StoredHashes(app.Directory),
            Is.EqualTo(expected),
            "the storage holds exactly the accepted files, byte for byte; the refused ones left nothing");
    }

    [Test]
    public async Task Page_FileOverFormLimitOfflineMidUpload_GoesResumablyResumesAndIsListed()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        var expected = await BrowserScript.RunAsync("quickstart-resumable.spec.mjs", app.BaseAddress);

        BrowserScript.AssertStoredExactly(app, expected, "field-survey.txt");
    }

    [TestCase("tus-v1")]
    [TestCase("ietf-draft-05")]
    [TestCase("ietf-draft-03")]
    public async Task Resumable_TusJsClientCutMidChunk_ResumesByUrlAndByFingerprintAndStoresEveryByte(string protocol)
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        // tests/clients/tus-node.spec.mjs: 64 MiB in 5 MiB chunks through a proxy that cuts the third chunk, twice.
        var expected = await BrowserScript.RunClientAsync("tus-node.spec.mjs", "tus-js-client", app.BaseAddress, protocol);

        // One upload resumed by URL, one by fingerprint.
        BrowserScript.AssertStoredExactly(app, expected, $"{protocol}-by-fingerprint.zip", $"{protocol}-by-url.zip");
    }

    [Test]
    public async Task Upload_JsonClient_AnswersNameSizeAndUrlAndStoresTheBytes()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);
        var data = RandomBytes(70_000);

        using var response = await app.Client.PostAsync("upload", Form(("photo.png", data)));
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var file = result.GetProperty("files")[0];
        Assert.That(file.GetProperty("name").GetString(), Is.EqualTo("photo.png"));
        Assert.That(file.GetProperty("size").GetInt64(), Is.EqualTo(data.Length));
        Assert.That(await app.Client.GetByteArrayAsync(file.GetProperty("url").GetString()!.TrimStart('/')), Is.EqualTo(data));
        Assert.That(BrowserScript.StoredHashes(app.Directory), Is.EqualTo(new[] { Sha256Hex(data) }));
    }

    [Test]
    public async Task Upload_PlainFormPost_AnswersHtmlPageListingTheSavedFiles()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        var (response, html) = await PostAsBrowserAsync(app, ("notes.txt", RandomBytes(3000, seed: 1)), ("report.pdf", RandomBytes(5000, seed: 2)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(html, Does.Contain("Saved 2 files:</strong> notes.txt, report.pdf."));
        Assert.That(html, Does.Contain("<a href=\"/media/notes.txt\">notes.txt</a>").And.Contain("<a href=\"/media/report.pdf\">report.pdf</a>"));
        Assert.That(BrowserScript.StoredHashes(app.Directory), Has.Length.EqualTo(2));
    }

    [Test]
    public async Task Upload_RefusedFile_JsonClientGetsProblemNamingTheFileAndNothingIsStored()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        using var response = await app.Client.PostAsync("upload", Form(("setup.exe", RandomBytes(1000))));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(problem.GetProperty("fileName").GetString(), Is.EqualTo("setup.exe"));
        Assert.That(problem.GetProperty("errors").GetProperty("files")[0].GetString(), Does.Contain("\"exe\" is not allowed"));
        Assert.That(BrowserScript.StoredHashes(app.Directory), Is.Empty);
    }

    [Test]
    public async Task Upload_RefusedFileFromPlainFormPost_AnswersHtmlPageNamingTheFile()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        var (response, html) = await PostAsBrowserAsync(app, ("fine.txt", RandomBytes(1000, seed: 1)), ("tool.exe", RandomBytes(1000, seed: 2)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(html, Does.Contain("<strong>Not uploaded.</strong> tool.exe: File extension &quot;exe&quot; is not allowed."));
        Assert.That(html, Does.Not.Contain("\"errors\""), "the problem is rendered, not dumped");
        Assert.That(BrowserScript.StoredHashes(app.Directory), Is.Empty, "the refused request keeps nothing");
    }

    [Test]
    public async Task Page_Get_StatesTheLimitsTheEndpointEnforces()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        var html = await app.Client.GetStringAsync("");

        Assert.That(html, Does.Contain("Up to <strong>20 MiB</strong> per file"));
        Assert.That(
            html,
            Does.Contain("Up to <strong>100 files</strong> and <strong>100 MiB</strong> per upload"),
            "from UploadKit:MaxFileCount and MaxRequestBodySize");
        Assert.That(html, Does.Contain(string.Join(", ", QuickStart.Limits.Extensions.Select(e => "." + e))));
        Assert.That(html, Does.Not.Match("(src|href)=\"(https?:)?//"), "the page loads nothing from elsewhere");
    }

    [Test]
    public async Task Upload_FileOverTheSizeLimit_IsRefusedWithTheLimitInTheMessage()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        using var response = await app.Client.PostAsync("upload", Form(("big.zip", new byte[QuickStart.Limits.MaxFileSize + 1])));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("fileName").GetString(), Is.EqualTo("big.zip"));
        Assert.That(problem.GetProperty("errors").GetProperty("files")[0].GetString(), Does.StartWith("File is larger than"));
        Assert.That(BrowserScript.StoredHashes(app.Directory), Is.Empty);
    }

    [Test]
    public async Task Files_AfterUploads_ListsNameSizeAndUrlOfEach()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);
        (await app.Client.PostAsync("upload", Form(("a.txt", new byte[10]), ("b.csv", new byte[20])))).EnsureSuccessStatusCode();

        var files = await app.Client.GetFromJsonAsync<JsonElement>("files");

        var listed = files.EnumerateArray()
            .Select(f => (f.GetProperty("name").GetString(), f.GetProperty("size").GetInt64(), f.GetProperty("url").GetString()))
            .OrderBy(f => f.Item1)
            .ToArray();
        Assert.That(listed, Is.EqualTo(new[] { ("a.txt", 10L, "/media/a.txt"), ("b.csv", 20L, "/media/b.csv") }));
    }

    [Test]
    public async Task Upload_GoodFileThenFileNamedWithNoLetter_Answers400NamingThePartAndMediaStaysEmpty()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);

        using var response = await app.Client.PostAsync("upload", Form(("good.txt", Mp3Bytes(20_000, seed: 1)), ("()", Mp3Bytes(100, seed: 2))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadFieldErrorsAsync(response, "files"), Has.Some.Contains("'()'"));
        Assert.That(app.StoredFiles(), Is.Empty);
    }

    [Test]
    public async Task Upload_FileNamedWithTheStoragesReservedPrefix_IsSavedUnderADerivedName()
    {
        await using var app = await SampleApp<QuickStart.UploadResult>.StartAsync(Settings);
        var content = Mp3Bytes(5000, seed: 3);

        using var response = await app.Client.PostAsync("upload", Form(("good.txt", Mp3Bytes(100, seed: 4)), (".uploadkit-meta.txt", content)));
        var files = (await ReadObjectAsync(response))["files"]!.AsArray();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(files.Select(f => f!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "good.txt", "_.uploadkit-meta.txt" }));
        Assert.That(app.StoredFiles(), Is.EquivalentTo(new[] { "good.txt", "_.uploadkit-meta.txt" }));
        Assert.That(Sha256Hex(await app.Client.GetByteArrayAsync("media/_.uploadkit-meta.txt")), Is.EqualTo(Sha256Hex(content)));
    }

    /// <summary>Posts files as a browser's plain form post does: it accepts text/html first.</summary>
    private static async Task<(HttpResponseMessage Response, string Html)> PostAsBrowserAsync(
        SampleApp<QuickStart.UploadResult> app, params (string Name, byte[] Data)[] files)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "upload") { Content = Form(files) };
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        var response = await app.Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static MultipartFormDataContent Form(params (string Name, byte[] Data)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, data) in files)
        {
            var part = new ByteArrayContent(data);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", name);
        }

        return form;
    }
}
