using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using static UploadKit.Samples.Tests.TrackApiClient;

namespace UploadKit.Samples.Tests;

/// <summary>
/// The article's <c>/api/tracks-s3-backend/</c> routes against s3rver: the <c>minio</c> storage is configured the way
/// the sample's README shows, through configuration, and the file lands in the <c>tracks</c> bucket.
/// </summary>
[Category("Integration")]
public class TrackS3Tests
{
    private const string TracksS3 = "api/tracks-s3-backend";

    [SetUp]
    public void RequireServer() => S3rverFixture.RequireServer();

    [Test]
    public async Task Upload_RawMp3Body_StoredInBucketAndFileUrlDownloads()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var content = Mp3Bytes(300_000, seed: 21);
        var name = $"s3-{Guid.NewGuid():N}.mp3";

        using var upload = await UploadRawAsync(app.Client, TracksS3, id, name, content);

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK), await upload.Content.ReadAsStringAsync());
        var url = (await ReadObjectAsync(upload))["file"]!.GetValue<string>();
        Assert.That(
            url, Does.StartWith($"{S3rverFixture.ServiceUrl}/{S3rverFixture.BucketName}/{name}?"), "django-storages' S3 URLs are presigned GETs");
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}/"))!["file"], Is.Not.Null);

        using var plain = new HttpClient();
        Assert.That(Sha256Hex(await plain.GetByteArrayAsync(url)), Is.EqualTo(Sha256Hex(content)), "downloaded through the file URL");
        using var s3 = S3rverFixture.CreateClient();
        using var stored = await s3.GetObjectAsync(S3rverFixture.BucketName, name);
        using var copy = new MemoryStream();
        await stored.ResponseStream.CopyToAsync(copy);
        Assert.That(Sha256Hex(copy.ToArray()), Is.EqualTo(Sha256Hex(content)), "read from the bucket");
    }

    [Test]
    public async Task Upload_MultipartFilePart_StoredInBucket()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var content = Mp3Bytes(40_000, seed: 22);
        var name = $"part-{Guid.NewGuid():N}.mp3";

        using var upload = await UploadMultipartAsync(app.Client, TracksS3, id, name, content);

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK), await upload.Content.ReadAsStringAsync());
        using var plain = new HttpClient();
        Assert.That(
            Sha256Hex(await plain.GetByteArrayAsync((await ReadObjectAsync(upload))["file"]!.GetValue<string>())), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task Upload_PartDeclaredHtmlNamedMp3_IsRefusedAndBucketGetsNothing()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var content = Mp3Bytes(40_000, seed: 24);
        "<html><script>alert(document.domain)</script></html>"u8.CopyTo(content.AsSpan(10));

        using var upload = await UploadMultipartAsync(
            app.Client, TracksS3, id, $"declared-html-{Guid.NewGuid():N}.mp3", content, declaredType: "text/html");

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the sample's signature check refuses a type the bytes contradict");
        Assert.That(await ReadFieldErrorsAsync(upload, "file"), Has.Some.Contains("text/html"));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}/"))!["file"], Is.Null);
    }

    [Test]
    public async Task Upload_PartDeclaredOctetStreamNamedMp3_BucketServesItAsAudio()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var content = Mp3Bytes(40_000, seed: 24);
        "<html><script>alert(document.domain)</script></html>"u8.CopyTo(content.AsSpan(10));

        using var upload = await UploadMultipartAsync(
            app.Client, TracksS3, id, $"declared-binary-{Guid.NewGuid():N}.mp3", content, declaredType: "application/octet-stream");

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK), await upload.Content.ReadAsStringAsync());
        using var plain = new HttpClient();
        using var served = await plain.GetAsync((await ReadObjectAsync(upload))["file"]!.GetValue<string>());
        Assert.That(served.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(
            served.Content.Headers.ContentType?.MediaType,
            Is.EqualTo("audio/mpeg"),
            "the bucket serves the type of the stored name, not the client's declaration");
        Assert.That(Sha256Hex(await served.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(content)));
    }

    [TestCase("song.wav", 10_000, "extension \"wav\" is not allowed")]
    [TestCase("long.mp3", (1 << 20) + 1, "larger than 1 MiB")]
    public async Task Upload_RefusedByValidators_Answers400OnFileFieldAndBucketGetsNothing(string fileName, int length, string error)
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var name = $"{Guid.NewGuid():N}-{fileName}";

        using var upload = await UploadRawAsync(app.Client, TracksS3, id, name, Mp3Bytes(length, seed: 23));

        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ReadFieldErrorsAsync(upload, "file"), Has.Some.Contains(error));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}/"))!["file"], Is.Null);
        using var s3 = S3rverFixture.CreateClient();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = name[..32] });
        Assert.That(listing.S3Objects ?? [], Is.Empty);
    }

    [Test]
    public async Task Delete_TrackWithFile_DeletesObject()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var name = $"gone-{Guid.NewGuid():N}.mp3";
        using var upload = await UploadRawAsync(app.Client, TracksS3, id, name, Mp3Bytes(1000, seed: 24));
        Assert.That(upload.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var delete = await app.Client.DeleteAsync($"{TracksS3}/{id}");

        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using var s3 = S3rverFixture.CreateClient();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = name });
        Assert.That(listing.S3Objects ?? [], Is.Empty);
    }

    [Test]
    public async Task PresignedUrl_PutThenConfirm_TrackGetsTheVerifiedObject()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var content = Mp3Bytes(120_000, seed: 31);

        var presigned = await PresignAsync(app, id);
        using var put = await PutAsync(presigned, content);
        Assert.That(put.IsSuccessStatusCode, Is.True, await put.Content.ReadAsStringAsync());
        Assert.That(
            (await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}/"))!["file"], Is.Null, "the object is not bound before it is confirmed");

        using var confirm = await app.Client.PostAsync($"{TracksS3}/{id}/confirm-upload/", null);

        Assert.That(confirm.StatusCode, Is.EqualTo(HttpStatusCode.OK), await confirm.Content.ReadAsStringAsync());
        var track = await ReadObjectAsync(confirm);
        Assert.That(track["id"]!.GetValue<int>(), Is.EqualTo(id));
        // The track binds the sealed copy, beside the presigned key, which the completion deleted.
        var url = track["file"]!.GetValue<string>();
        var key = ObjectKey(presigned);
        var sealedKey = key[..(key.LastIndexOf('/') + 1)] + "sealed/" + key[(key.LastIndexOf('/') + 1)..];
        Assert.That(url, Does.StartWith($"{S3rverFixture.ServiceUrl}/{S3rverFixture.BucketName}/{sealedKey}?"));
        using var plain = new HttpClient();
        Assert.That(Sha256Hex(await plain.GetByteArrayAsync(url)), Is.EqualTo(Sha256Hex(content)));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}"))!["file"]!.GetValue<string>(), Does.Contain(sealedKey));
        using var s3 = S3rverFixture.CreateClient();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = key });
        Assert.That(listing.S3Objects ?? [], Is.Empty, "the presigned key holds nothing once the upload is sealed");

        using var again = await app.Client.PostAsync($"{TracksS3}/{id}/confirm-upload", null);
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "nothing is pending any more");
    }

    [Test]
    public async Task ConfirmUpload_BeforeTheObjectWasPut_Answers400AndFileStaysNull()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();

        using var early = await app.Client.PostAsync($"{TracksS3}/{id}/confirm-upload/", null);
        Assert.That(early.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "no presigned URL was asked for");
        Assert.That(await ReadFieldErrorsAsync(early, "file"), Has.Some.Contains("No upload is pending"));

        await PresignAsync(app, id);
        using var missing = await app.Client.PostAsync($"{TracksS3}/{id}/confirm-upload/", null);

        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await missing.Content.ReadAsStringAsync());
        Assert.That(missing.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}/"))!["file"], Is.Null);
    }

    [Test]
    public async Task ConfirmUpload_ObjectLargerThanOneMiB_Answers400OnFileAndDeletesTheObject()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var presigned = await PresignAsync(app, id);
        using var put = await PutAsync(presigned, Mp3Bytes((1 << 20) + 1, seed: 32));
        Assert.That(put.IsSuccessStatusCode, Is.True, "the bucket takes it: a presigned PUT cannot bound the size");

        using var confirm = await app.Client.PostAsync($"{TracksS3}/{id}/confirm-upload/", null);

        Assert.That(confirm.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(string.Join(" ", await ReadFieldErrorsAsync(confirm, "file")), Does.Contain("larger than 1 MiB"));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}/"))!["file"], Is.Null);
        using var s3 = S3rverFixture.CreateClient();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = ObjectKey(presigned) });
        Assert.That(listing.S3Objects ?? [], Is.Empty, "a refused object is deleted");
    }

    [Test]
    public async Task ConfirmUpload_TextFilePutAsAudioMpeg_Answers400OnFileAndDeletesTheObject()
    {
        await using var app = await SampleApp<TrackApi.TrackDb>.StartAsync(WithMinio());
        var id = (await CreateTrackAsync(app.Client, TracksS3))["id"]!.GetValue<int>();
        var presigned = await PresignAsync(app, id);
        using var put = await PutAsync(presigned, "<html><script>alert(1)</script></html>"u8.ToArray());
        Assert.That(put.IsSuccessStatusCode, Is.True, "the bucket takes any bytes the signature allows");

        using var confirm = await app.Client.PostAsync($"{TracksS3}/{id}/confirm-upload/", null);

        Assert.That(confirm.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(string.Join(" ", await ReadFieldErrorsAsync(confirm, "file")), Does.Contain("does not match"));
        Assert.That((await app.Client.GetFromJsonAsync<JsonObject>($"{TracksS3}/{id}/"))!["file"], Is.Null);
        using var s3 = S3rverFixture.CreateClient();
        var listing = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = ObjectKey(presigned) });
        Assert.That(listing.S3Objects ?? [], Is.Empty, "a refused object is deleted");
    }

    /// <summary><c>curl -X POST .../presigned-url/</c>: the article's <c>{"url": ...}</c>, with the headers the signature covers.</summary>
    private static async Task<JsonObject> PresignAsync(SampleApp<TrackApi.TrackDb> app, int id)
    {
        using var response = await app.Client.PostAsync($"{TracksS3}/{id}/presigned-url/", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var presigned = await ReadObjectAsync(response);
        TestContext.Out.WriteLine("presigned-url: " + presigned.ToJsonString());
        Assert.That(presigned["url"]!.GetValue<string>(), Does.StartWith($"{S3rverFixture.ServiceUrl}/{S3rverFixture.BucketName}/"));
        Assert.That(presigned["method"]!.GetValue<string>(), Is.EqualTo("PUT"));
        return presigned;
    }

    /// <summary>
    /// <c>curl -X PUT -H 'Content-Type: audio/mpeg' -H 'If-None-Match: *' --data-binary @song.mp3 "$url"</c>, with a plain client: the app is not
    /// involved.
    /// </summary>
    private static async Task<HttpResponseMessage> PutAsync(JsonObject presigned, byte[] content)
    {
        using var plain = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, presigned["url"]!.GetValue<string>()) { Content = new ByteArrayContent(content) };
        foreach (var (name, value) in presigned["headers"]!.AsObject())
        {
            if (!request.Headers.TryAddWithoutValidation(name, value!.GetValue<string>()))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value.GetValue<string>());
            }
        }

        return await plain.SendAsync(request);
    }

    private static string ObjectKey(JsonObject presigned) =>
        Uri.UnescapeDataString(new Uri(presigned["url"]!.GetValue<string>()).AbsolutePath)[(S3rverFixture.BucketName.Length + 2)..];
}
