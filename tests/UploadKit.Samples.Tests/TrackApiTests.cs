using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using static UploadKit.Samples.Tests.TrackApiClient;

namespace UploadKit.Samples.Tests;

/// <summary>
/// The TrackApi sample driven over HTTP on Kestrel as the article's curl commands drive the DRF app: create a track,
/// upload its file, read the file URL, download it, and see the model's validators refuse a wrong file.
/// </summary>
[Category("Integration")]
public class TrackApiTests
{
    private const string Tracks = "api/tracks";

    [Test]
    public async Task Upload_RawMp3Body_TrackGetsFileUrlAndFileDownloads()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        var track = await CreateTrackAsync(app.Client, Tracks);
        var id = track["id"]!.GetValue<int>();
        Assert.That(track["file"], Is.Null, "a new track has no file");

        var content = Mp3Bytes(200_000, seed: 1);
        using var upload = await UploadRawAsync(app.Client, Tracks, id, "song.mp3", content);
        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK), await upload.Content.ReadAsStringAsync());
        var uploaded = await ReadObjectAsync(upload);
        var url = new Uri(app.BaseAddress, "media/song.mp3").ToString();
        Assert.That(uploaded["file"]!.GetValue<string>(), Is.EqualTo(url));
        Assert.That(uploaded["title"]!.GetValue<string>(), Is.EqualTo("Lose Yourself"));
        Assert.That(uploaded["artist_name"]!.GetValue<string>(), Is.EqualTo("Eminem"));
        Assert.That(uploaded["release_date"]!.GetValue<string>(), Is.EqualTo("2002-10-28"));

        var fetched = await app.Client.GetFromJsonAsync<JsonObject>($"{Tracks}/{id}/");
        Assert.That(fetched!["file"]!.GetValue<string>(), Is.EqualTo(url));

        var downloaded = await app.Client.GetByteArrayAsync(url);
        Assert.That(Sha256Hex(downloaded), Is.EqualTo(Sha256Hex(content)));
        Assert.That(Sha256Hex(await File.ReadAllBytesAsync(Path.Combine(app.Directory, "media", "song.mp3"))), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task Upload_MultipartFilePart_StoredLikeRawBody()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        var id = (await CreateTrackAsync(app.Client, Tracks))["id"]!.GetValue<int>();
        var content = Mp3Bytes(50_000, seed: 2);

        using var upload = await UploadMultipartAsync(app.Client, Tracks, id, "intro.mp3", content);

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK), await upload.Content.ReadAsStringAsync());
        var url = (await ReadObjectAsync(upload))["file"]!.GetValue<string>();
        Assert.That(url, Does.EndWith("/media/intro.mp3"));
        Assert.That(Sha256Hex(await app.Client.GetByteArrayAsync(url)), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task Upload_SameNameTwice_SecondGetsFreeNameAndFirstFileIsReplaced()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        var first = (await CreateTrackAsync(app.Client, Tracks, "One"))["id"]!.GetValue<int>();
        var second = (await CreateTrackAsync(app.Client, Tracks, "Two"))["id"]!.GetValue<int>();
        using var a = await UploadRawAsync(app.Client, Tracks, first, "song.mp3", Mp3Bytes(1000, seed: 3));
        var content = Mp3Bytes(1000, seed: 4);

        using var b = await UploadRawAsync(app.Client, Tracks, second, "song.mp3", content);

        var url = (await ReadObjectAsync(b))["file"]!.GetValue<string>();
        Assert.That(url, Does.Match(@"/media/song_[A-Za-z0-9]{7}\.mp3$"), "Django's get_available_name: the taken name is never overwritten");
        Assert.That(Sha256Hex(await app.Client.GetByteArrayAsync(url)), Is.EqualTo(Sha256Hex(content)));
        Assert.That(
            (await app.Client.GetFromJsonAsync<JsonObject>($"{Tracks}/{first}"))!["file"]!.GetValue<string>(), Does.EndWith("/media/song.mp3"));
    }

    [Test]
    public async Task Upload_WrongExtension_Answers400OnFileFieldAndKeepsNothing()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        var id = (await CreateTrackAsync(app.Client, Tracks))["id"]!.GetValue<int>();

        using var upload = await UploadRawAsync(app.Client, Tracks, id, "song.wav", Mp3Bytes(10_000, seed: 5));

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(upload.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await ReadFieldErrorsAsync(upload, "file"), Has.Some.Contains("extension \"wav\" is not allowed"));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{Tracks}/{id}/"))!["file"], Is.Null);
        Assert.That(StoredFiles(app), Is.Empty);
    }

    [TestCase("evil.html")]
    [TestCase("evil.mp3.html")]
    public async Task Upload_Mp3PartPostedToAnotherExtensionsUrl_Answers400AndKeepsNothing(string urlName)
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        var id = (await CreateTrackAsync(app.Client, Tracks))["id"]!.GetValue<int>();

        // curl -F file=@x.mp3 .../upload/evil.html/: the part is named x.mp3, the URL names what is stored.
        using var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(Mp3Bytes(10_000, seed: 8));
        part.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("audio/mpeg");
        form.Add(part, "file", "x.mp3");
        using var upload = await app.Client.PostAsync($"{Tracks}/{id}/upload/{urlName}/", form);

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadFieldErrorsAsync(upload, "file"), Has.Some.Contains("extension \"html\" is not allowed"));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{Tracks}/{id}/"))!["file"], Is.Null);
        Assert.That(StoredFiles(app), Is.Empty);
    }

    [Test]
    public async Task Upload_TextFileNamedMp3_Answers400OnContentAndKeepsNothing()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        var id = (await CreateTrackAsync(app.Client, Tracks))["id"]!.GetValue<int>();

        using var upload = await UploadMultipartAsync(app.Client, Tracks, id, "song.mp3", "<html><script>alert(1)</script></html>"u8.ToArray());

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadFieldErrorsAsync(upload, "file"), Has.Some.Contains("does not match"));
        Assert.That(StoredFiles(app), Is.Empty);
    }

    [Test]
    public async Task Upload_LargerThanOneMiB_Answers400OnFileFieldAndKeepsNothing()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        var id = (await CreateTrackAsync(app.Client, Tracks))["id"]!.GetValue<int>();

        using var tooLarge = await UploadRawAsync(app.Client, Tracks, id, "long.mp3", Mp3Bytes((1 << 20) + 1, seed: 6));

        Assert.That(tooLarge.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadFieldErrorsAsync(tooLarge, "file"), Has.Some.Contains("larger than 1 MiB"));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{Tracks}/{id}/"))!["file"], Is.Null);
        Assert.That(StoredFiles(app), Is.Empty);

        using var exactly = await UploadRawAsync(app.Client, Tracks, id, "fits.mp3", Mp3Bytes(1 << 20, seed: 7));
        Assert.That(exactly.StatusCode, Is.EqualTo(HttpStatusCode.OK), "1 MiB itself is allowed, as in the article's validator");
    }

    [Test]
    public async Task Upload_UnknownTrack_Answers404Problem()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);

        using var upload = await UploadRawAsync(app.Client, Tracks, 404, "song.mp3", Mp3Bytes(1000, seed: 8));

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(upload.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(StoredFiles(app), Is.Empty);
    }

    [Test]
    public async Task Crud_CreateListUpdatePatchDelete_BehaveLikeTheViewSet()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);

        using var invalid = await app.Client.PostAsJsonAsync($"{Tracks}/", new Dictionary<string, object?> { ["artist_name"] = "Nobody" });
        Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadFieldErrorsAsync(invalid, "title"), Is.EqualTo(new[] { "This field is required." }));

        var id = (await CreateTrackAsync(app.Client, Tracks))["id"]!.GetValue<int>();
        using var uploaded = await UploadRawAsync(app.Client, Tracks, id, "song.mp3", Mp3Bytes(1000, seed: 9));
        var list = await app.Client.GetFromJsonAsync<JsonArray>(Tracks);
        Assert.That(list!.Select(t => t!["id"]!.GetValue<int>()), Is.EqualTo(new[] { id }));

        using var put = await app.Client.PutAsJsonAsync(
            $"{Tracks}/{id}/", new Dictionary<string, object?> { ["title"] = "Stan", ["artist_name"] = "Eminem feat. Dido" });
        var replaced = await ReadObjectAsync(put);
        Assert.That(replaced["title"]!.GetValue<string>(), Is.EqualTo("Stan"));
        Assert.That(replaced["release_date"], Is.Null, "PUT replaces every writable field");
        Assert.That(replaced["file"]!.GetValue<string>(), Does.EndWith("/media/song.mp3"), "the file is set by uploads only");

        using var patch = await app.Client.PatchAsJsonAsync($"{Tracks}/{id}", new Dictionary<string, object?> { ["release_date"] = "2000-11-21" });
        var patched = await ReadObjectAsync(patch);
        Assert.That(patched["title"]!.GetValue<string>(), Is.EqualTo("Stan"));
        Assert.That(patched["release_date"]!.GetValue<string>(), Is.EqualTo("2000-11-21"));

        using var delete = await app.Client.DeleteAsync($"{Tracks}/{id}/");
        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using var gone = await app.Client.GetAsync($"{Tracks}/{id}/");
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(StoredFiles(app), Is.Empty, "deleting the track deletes its file");
    }

    [TestCase("api/tracks")]
    [TestCase("api/tracks/")]
    [TestCase("api/tracks/1")]
    [TestCase("api/tracks/1/")]
    public async Task Routes_TrailingSlashOptional_Answer200(string path)
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);
        await CreateTrackAsync(app.Client, Tracks);

        using var response = await app.Client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task TracksS3_NoMinioStorageConfigured_Answers503WithClearProblem()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);

        using var list = await app.Client.GetAsync("api/tracks-s3-backend/");
        using var upload = await UploadRawAsync(app.Client, "api/tracks-s3-backend", 1, "song.mp3", Mp3Bytes(1000, seed: 10));

        foreach (var response in new[] { list, upload })
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            var problem = await ReadObjectAsync(response);
            Assert.That(problem["detail"]!.GetValue<string>(), Does.Contain("No storage named 'minio' is configured"));
        }
    }

    [Test]
    public async Task OpenApi_UploadEndpoints_DescribeBinaryBodyAndFilePart_AndUiIsServed()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);

        var document = await app.Client.GetFromJsonAsync<JsonObject>("openapi/v1.json");

        foreach (var prefix in new[] { "/api/tracks", "/api/tracks-s3-backend" })
        {
            var content = document!["paths"]![$"{prefix}/{{id}}/upload/{{filename}}"]!["post"]!["requestBody"]!["content"]!;
            Assert.That(content["application/octet-stream"]!["schema"]!["format"]!.GetValue<string>(), Is.EqualTo("binary"));
            Assert.That(content["multipart/form-data"]!["schema"]!["properties"]!["file"]!["format"]!.GetValue<string>(), Is.EqualTo("binary"));
        }

        var confirm = document!["paths"]!["/api/tracks-s3-backend/{id}/confirm-upload"]!["post"]!.AsObject();
        Assert.That(confirm.ContainsKey("requestBody"), Is.False, "confirm-upload takes no body: the track remembers its pending upload");
        Assert.That(document["paths"]!["/api/tracks-s3-backend/{id}/presigned-url"]!["post"], Is.Not.Null);

        using var ui = await app.Client.GetAsync("scalar/v1");
        Assert.That(ui.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(ui.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
    }

    [Test]
    public async Task OpenApi_EveryEndpoint_DocumentsWhatItReturns()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);

        var document = await app.Client.GetFromJsonAsync<JsonObject>("openapi/v1.json");
        var paths = document!["paths"]!;
        string[] Statuses(string path, string method) => paths[path]![method]!["responses"]!.AsObject().Select(r => r.Key).Order().ToArray();
        string? Schema(string path, string method, string status, string mediaType) =>
            paths[path]![method]!["responses"]![status]!["content"]?[mediaType]?["schema"]?["$ref"]?.GetValue<string>();

        Assert.Multiple(() =>
        {
            Assert.That(Statuses("/api/tracks", "post"), Is.EqualTo(new[] { "201", "400" }));
            Assert.That(Schema("/api/tracks", "post", "201", "application/json"), Is.EqualTo("#/components/schemas/TrackJson"));
            Assert.That(Statuses("/api/tracks/{id}", "get"), Is.EqualTo(new[] { "200", "404" }));
            Assert.That(Statuses("/api/tracks/{id}", "delete"), Is.EqualTo(new[] { "204", "404" }));
            Assert.That(paths["/api/tracks/{id}"]!["delete"]!["responses"]!["204"]!["content"], Is.Null, "204 has no body");
            Assert.That(Schema("/api/tracks/{id}", "delete", "404", "application/problem+json"), Is.EqualTo("#/components/schemas/ProblemDetails"));
            Assert.That(Statuses("/api/tracks/{id}/upload/{filename}", "post"), Is.EqualTo(new[] { "200", "400", "404", "413", "415" }));
            Assert.That(
                Schema("/api/tracks/{id}/upload/{filename}", "post", "200", "application/json"), Is.EqualTo("#/components/schemas/TrackJson"));
            Assert.That(
                Schema("/api/tracks/{id}/upload/{filename}", "post", "400", "application/problem+json"),
                Is.EqualTo("#/components/schemas/HttpValidationProblemDetails"));
            Assert.That(
                Schema("/api/tracks/{id}/upload/{filename}", "post", "413", "application/problem+json"),
                Is.EqualTo("#/components/schemas/ProblemDetails"));
            Assert.That(
                Statuses("/api/tracks-s3-backend/{id}/upload/{filename}", "post"), Is.EqualTo(new[] { "200", "400", "404", "413", "415", "503" }));
            Assert.That(Statuses("/api/tracks-s3-backend/{id}/presigned-url", "post"), Is.EqualTo(new[] { "200", "404", "503" }));
            Assert.That(
                Schema("/api/tracks-s3-backend/{id}/presigned-url", "post", "200", "application/json"),
                Is.EqualTo("#/components/schemas/PresignedUrlJson"));
            Assert.That(Statuses("/api/tracks-s3-backend/{id}/confirm-upload", "post"), Is.EqualTo(new[] { "200", "400", "404", "503" }));
            Assert.That(document["components"]!["schemas"]!.AsObject().Select(s => s.Key), Does.Not.Contain("Stream"));
        });
    }

    [Test]
    [Category("Integration")]
    public async Task ApiReference_InChromium_LoadsNothingFromOutsideTheApp()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(LocalSettings);

        var output = await BrowserScript.RunCheckedAsync("scalar-offline.spec.mjs", app.BaseAddress);

        Assert.That(output, Does.Contain("ok - the page asked for nothing outside the app"));
    }

    /// <summary>Files in the media folder, leaving out the storage's own metadata folder.</summary>
    private static string[] StoredFiles(SampleApp<TrackApi.TrackDb> app) => app.StoredFiles();
}
