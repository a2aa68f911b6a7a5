extern alias QuickStartSample;

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using static UploadKit.Samples.Tests.TrackApiClient;

namespace UploadKit.Samples.Tests;

/// <summary>The QuickStart sample over HTTP: a form whose files are all saved, or none.</summary>
[Category("Integration")]
public class QuickStartTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["UploadKit:Storages:default:Options:Location"] = "{dir}/media",
    };

    private static MultipartFormDataContent Form(params (string FileName, byte[] Content)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent("holiday"), "title" } };
        foreach (var (fileName, content) in files)
        {
            var part = new ByteArrayContent(content);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, "files", fileName);
        }

        return form;
    }

    [Test]
    public async Task Upload_GoodFileThenFileNamedWithNoLetter_Answers400NamingThePartAndMediaStaysEmpty()
    {
        await using var app = await SampleApp<QuickStartSample::Program>.StartAsync(Settings);

        using var response = await app.Client.PostAsync("upload", Form(("good.txt", Mp3Bytes(20_000, seed: 1)), ("()", Mp3Bytes(100, seed: 2))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadFieldErrorsAsync(response, "files"), Has.Some.Contains("'()'"));
        Assert.That(app.StoredFiles(), Is.Empty);
    }

    [Test]
    public async Task Upload_FileNamedWithTheStoragesReservedPrefix_IsSavedUnderADerivedName()
    {
        await using var app = await SampleApp<QuickStartSample::Program>.StartAsync(Settings);
        var content = Mp3Bytes(5000, seed: 3);

        using var response = await app.Client.PostAsync("upload", Form(("good.txt", Mp3Bytes(100, seed: 4)), (".uploadkit-meta.txt", content)));
        var files = (await ReadObjectAsync(response))["files"]!.AsArray();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(files.Select(f => f!["name"]!.GetValue<string>()), Is.EqualTo(new[] { "good.txt", "_.uploadkit-meta.txt" }));
        Assert.That(app.StoredFiles(), Is.EquivalentTo(new[] { "good.txt", "_.uploadkit-meta.txt" }));
        Assert.That(Sha256(await app.Client.GetByteArrayAsync("media/_.uploadkit-meta.txt")), Is.EqualTo(Sha256(content)));
    }
}
