using System.Net;
using System.Net.Http.Headers;
using UploadKit.Testing;

namespace UploadKit.Samples.Tests;

/// <summary>The FormUpload sample: its page driven in Chromium, and its antiforgery check over plain HTTP.</summary>
[Category("Integration")]
public class FormUploadTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["UploadKit:Storages:default:Options:Location"] = "{dir}/media",
    };

    [Test]
    public async Task Page_TwoFilesDropAndRefusal_ProgressReaches100AndErrorShowsNextToField()
    {
        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(Settings);

        var expected = await BrowserScript.RunAsync("formupload.spec.mjs", app.BaseAddress);

        Assert.That(expected, Has.Length.EqualTo(3));
        Assert.That(
            BrowserScript.StoredHashes(app.Directory),
            Is.EqualTo(expected),
            "the storage holds exactly the accepted files, byte for byte; the refused upload left nothing");
    }

    [Test]
    public async Task Upload_WithClamdConfigured_RefusesEicarNamingTheSignatureAndKeepsACleanFile()
    {
        if (ClamdServer.Program is null)
        {
            TestEnvironment.Unavailable("clamd is not installed; run eng/install-prerequisites.sh (as root) to install Debian's clamav-daemon.");
        }

        await using var clamd = await ClamdServer.StartAsync();
        var settings = new Dictionary<string, string?>(Settings) { ["UploadKit:Scanning:ClamAv:Endpoint"] = clamd.Endpoint };
        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(settings);
        var html = await app.Client.GetStringAsync("");
        var token = System.Text.RegularExpressions.Regex.Match(html, "type=\"hidden\" name=\"[^\"]+\" value=\"([^\"]+)\"").Groups[1].Value;
        var header = System.Text.RegularExpressions.Regex.Match(html, "data-token-header=\"([^\"]+)\"").Groups[1].Value;

        async Task<HttpResponseMessage> SendAsync(string name, byte[] content)
        {
            var form = new MultipartFormDataContent { { new StringContent("Scanned"), "title" } };
            var file = new ByteArrayContent(content);
            file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            form.Add(file, "files", name);
            using var request = new HttpRequestMessage(HttpMethod.Post, "upload") { Content = form };
            request.Headers.Add(header, System.Net.WebUtility.HtmlDecode(token));
            return await app.Client.SendAsync(request);
        }

        using var infected = await SendAsync("eicar.txt", TestSignatures.Eicar);
        var problem = await infected.Content.ReadAsStringAsync();
        Assert.That(infected.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), problem);
        Assert.That(problem, Does.Contain("The file contains malware (UploadKit.Test.Eicar"));
        Assert.That(problem, Does.Contain("\"fileName\":\"eicar.txt\""));
        Assert.That(BrowserScript.StoredHashes(app.Directory), Is.Empty);

        using var clean = await SendAsync("notes.txt", RandomBytes(10_000));
        Assert.That(clean.StatusCode, Is.EqualTo(HttpStatusCode.OK), await clean.Content.ReadAsStringAsync());
        Assert.That(BrowserScript.StoredHashes(app.Directory), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task ResumablePage_UppyOfflineMidUpload_ResumesCompletesAndListsTheFile()
    {
        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(Settings);

        var expected = await BrowserScript.RunAsync("resumable.spec.mjs", app.BaseAddress);

        BrowserScript.AssertStoredExactly(app, expected, "expedition-log.txt");
    }

    [Test]
    public async Task Upload_WithoutAntiforgeryToken_Answers400BeforeReadingAndStoresNothing()
    {
        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(Settings);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("Holiday"), "title" },
        };
        var file = new ByteArrayContent(RandomBytes(10_000));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(file, "files", "notes.txt");

        using var response = await app.Client.PostAsync("upload", form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("antiforgery token is missing"));
        Assert.That(BrowserScript.StoredHashes(app.Directory), Is.Empty);
    }

    [Test]
    public async Task Page_Get_RendersFormWithTokenBeforeTheFileField()
    {
        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(Settings);

        var html = await app.Client.GetStringAsync("");

        var token = html.IndexOf("type=\"hidden\"", StringComparison.Ordinal);
        var files = html.IndexOf("type=\"file\"", StringComparison.Ordinal);
        Assert.That(token, Is.GreaterThan(0));
        Assert.That(files, Is.GreaterThan(token), "the token is the form's first field");
        Assert.That(html, Does.Contain("multiple"));
    }
}
