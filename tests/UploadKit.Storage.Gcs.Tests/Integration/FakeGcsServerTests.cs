using System.Net;
using System.Security.Cryptography;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>The test server's own behaviour, driven by the real Google client where the storage does not reach it.</summary>
public sealed class FakeGcsServerTests : GcsIntegrationTest
{
    private StorageClient _client = null!;

    [SetUp]
    public void CreateClient() => _client = new StorageClientBuilder
    {
        BaseUri = new Uri(Server.BaseAddress, "storage/v1/").AbsoluteUri,
        GoogleCredential = CredentialFactory.FromJson<ServiceAccountCredential>(GcsServerFixture.ServiceAccountJson).ToGoogleCredential(),
        UseJwtAccessWithScopes = true,
    }.Build();

    [TearDown]
    public void DisposeClient() => _client.Dispose();

    [Test]
    public async Task ListObjects_DelimiterAndSmallPages_ReturnsPrefixesAndEveryObjectOnce()
    {
        var data = RandomBytes(16);
        foreach (var name in new[] { "a/1", "a/2", "a/b/3", "c", "d", "e" })
        {
            await _client.UploadObjectAsync(Bucket, name, null, new MemoryStream(data));
        }

        var all = new List<string>();
        await foreach (var obj in _client.ListObjectsAsync(Bucket, null, new ListObjectsOptions { PageSize = 2 }))
        {
            all.Add(obj.Name);
        }

        var page = await _client.ListObjectsAsync(Bucket, "", new ListObjectsOptions { Delimiter = "/" }).ReadPageAsync(100);
        var nested = await _client.ListObjectsAsync(Bucket, "a/", new ListObjectsOptions { Delimiter = "/" }).ReadPageAsync(100);

        Assert.Multiple(() =>
        {
            Assert.That(all, Is.EqualTo(new[] { "a/1", "a/2", "a/b/3", "c", "d", "e" }));
            Assert.That(page.Select(o => o.Name), Is.EqualTo(new[] { "c", "d", "e" }));
            Assert.That(nested.Select(o => o.Name), Is.EqualTo(new[] { "a/1", "a/2" }));
            Assert.That(StoredSha256("a/b/3"), Is.EqualTo(Sha256Hex(data)));
        });
        Assert.That(
            Server.RequestLog.Count(r => r.Contains("pageToken=", StringComparison.Ordinal)),
            Is.GreaterThanOrEqualTo(2),
            "the client followed next page tokens");
    }

    [Test]
    public async Task DownloadObject_WithRange_ReturnsThoseBytes()
    {
        var data = RandomBytes(100_000);
        await _client.UploadObjectAsync(Bucket, "r.bin", null, new MemoryStream(data));
        using var part = new MemoryStream();

        await _client.DownloadObjectAsync(
            Bucket,
            "r.bin",
            part,
            new DownloadObjectOptions
            {
                Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 50_999),
                DownloadValidationMode = DownloadValidationMode.Never
            });

        Assert.That(Sha256Hex(part.ToArray()), Is.EqualTo(Sha256Hex(data[1000..51_000])));
        Assert.That(Server.RequestLog, Has.Some.EndsWith("Range: bytes=1000-50999").Or.Some.EndsWith("bytes=1000-50999"));
    }

    [Test]
    public async Task PatchObject_Metadata_UpdatedAndMetagenerationBumped()
    {
        var data = RandomBytes(10);
        var created = await _client.UploadObjectAsync(Bucket, "p.txt", "text/plain", new MemoryStream(data));

        var patched = await _client.PatchObjectAsync(new GcsObject
        {
            Bucket = Bucket,
            Name = "p.txt",
            ContentType = "text/markdown",
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
        });

        Assert.Multiple(() =>
        {
            Assert.That(patched.ContentType, Is.EqualTo("text/markdown"));
            Assert.That(patched.Metadata["k"], Is.EqualTo("v"));
            Assert.That(patched.Metageneration, Is.EqualTo(created.Metageneration + 1));
            Assert.That(StoredSha256("p.txt"), Is.EqualTo(Sha256Hex(data)));
        });
    }

    [Test]
    public async Task CopyObject_ToNewName_SameBytesNewGeneration()
    {
        var data = RandomBytes(1234);
        var source = await _client.UploadObjectAsync(Bucket, "src.bin", null, new MemoryStream(data));

        var copy = await _client.CopyObjectAsync(Bucket, "src.bin", Bucket, "dst.bin");

        Assert.That(copy.Generation, Is.Not.EqualTo(source.Generation));
        Assert.That(StoredSha256("dst.bin"), Is.EqualTo(Sha256Hex(data)));
        Assert.That(StoredSha256("src.bin"), Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task UploadObject_IfGenerationMatchZeroOnExistingObject_PreconditionFailed()
    {
        var data = RandomBytes(10);
        await _client.UploadObjectAsync(Bucket, "once.bin", null, new MemoryStream(data));

        var ex = Assert.ThrowsAsync<GoogleApiException>(async () =>
            await _client.UploadObjectAsync(
                Bucket, "once.bin", null, new MemoryStream(RandomBytes(10, seed: 2)), new UploadObjectOptions { IfGenerationMatch = 0 }));

        Assert.That(ex!.HttpStatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That(StoredSha256("once.bin"), Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task Bucket_GetMissingThenCreate_CreatedOnceThenConflict()
    {
        var name = "b-" + Guid.NewGuid().ToString("N")[..10];
        Assert.That(
            async () => await _client.GetBucketAsync(name),
            Throws.InstanceOf<GoogleApiException>().With.Property("HttpStatusCode").EqualTo(HttpStatusCode.NotFound));

        var bucket = await _client.CreateBucketAsync("dummy-project-id", name);

        Assert.That(bucket.Name, Is.EqualTo(name));
        Assert.That((await _client.GetBucketAsync(name)).Name, Is.EqualTo(name));
        Assert.That(
            async () => await _client.CreateBucketAsync("dummy-project-id", name),
            Throws.InstanceOf<GoogleApiException>().With.Property("HttpStatusCode").EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task UnknownQueryParameter_AnsweredNotImplementedAndRecorded()
    {
        using var http = new HttpClient();
        var signedLike = new Uri(Server.BaseAddress, $"{Bucket}/x?upload_id=1&surprise=1");

        using var response = await http.PutAsync(signedLike, new ByteArrayContent([1]));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotImplemented));
        Assert.That(Server.ProtocolErrors.TryDequeue(out var error), Is.True);
        Assert.That(error, Does.Contain("surprise"));
    }

    [Test]
    public async Task JsonApi_WithoutValidBearerToken_Unauthorized()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Server.BaseAddress, $"storage/v1/b/{Bucket}"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Bearer", "a.b." + Convert.ToBase64String(RandomNumberGenerator.GetBytes(256)).TrimEnd('=').Replace('+', '-').Replace('/', '_'));

        using var response = await http.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Compose_Sources_ConcatenatedWithSummedComponentCountAndNoMd5()
    {
        var a = RandomBytes(100, seed: 1);
        var b = RandomBytes(200, seed: 2);
        var c = RandomBytes(300, seed: 3);
        await _client.UploadObjectAsync(Bucket, "a", null, new MemoryStream(a));
        await _client.UploadObjectAsync(Bucket, "b", null, new MemoryStream(b));
        await _client.UploadObjectAsync(Bucket, "c", null, new MemoryStream(c));
        await Compose(["a", "b"], "ab");

        // The documented example: two plain sources and a composite of 2 give a component count of 4.
        var destination = new GcsObject { ContentType = "text/plain", Metadata = new Dictionary<string, string> { ["k"] = "v" } };
        var abc = await Compose(["c", "b", "ab"], "cbab", destination: destination);

        Assert.Multiple(() =>
        {
            Assert.That(StoredSha256("cbab"), Is.EqualTo(Sha256Hex([.. c, .. b, .. a, .. b])));
            Assert.That(abc.ComponentCount, Is.EqualTo(4));
            Assert.That(abc.Md5Hash, Is.Null);
            Assert.That(abc.Crc32c, Is.Not.Null);
            Assert.That(abc.ContentType, Is.EqualTo("text/plain"));
            Assert.That(abc.Metadata["k"], Is.EqualTo("v"));
            Assert.That(Server.ObjectNames(Bucket), Is.EquivalentTo(new[] { "a", "b", "c", "ab", "cbab" }), "sources are unaffected");
        });
    }

    [Test]
    public async Task Compose_MoreThan32SourcesOrPastTheComponentLimit_BadRequest()
    {
        await _client.UploadObjectAsync(Bucket, "one", null, new MemoryStream([1]));
        var tooMany = Assert.ThrowsAsync<GoogleApiException>(async () => await Compose([.. Enumerable.Repeat("one", 33)], "x"));
        Server.ComponentLimit = 40;
        try
        {
            await Compose([.. Enumerable.Repeat("one", 32)], "thirty-two");
            var overLimit = Assert.ThrowsAsync<GoogleApiException>(async () => await Compose(["thirty-two", .. Enumerable.Repeat("one", 9)], "x"));
            Assert.That(overLimit!.HttpStatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }
        finally
        {
            Server.ComponentLimit = 1024;
        }

        Assert.That(tooMany!.HttpStatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(Server.Find(Bucket, "x"), Is.Null);
    }

    [Test]
    public async Task Compose_SourceReplacedOrDestinationTaken_RefusedAndNothingWritten()
    {
        var first = await _client.UploadObjectAsync(Bucket, "s", null, new MemoryStream(RandomBytes(10)));
        await _client.UploadObjectAsync(Bucket, "s", null, new MemoryStream(RandomBytes(10, seed: 2)));
        await _client.UploadObjectAsync(Bucket, "taken", null, new MemoryStream(RandomBytes(10, seed: 3)));

        var pinned = Assert.ThrowsAsync<GoogleApiException>(async () => await Compose(["s"], "d", generation: first.Generation));
        var guarded = Assert.ThrowsAsync<GoogleApiException>(async () => await Compose(["s"], "d", precondition: first.Generation));
        var taken = Assert.ThrowsAsync<GoogleApiException>(async () => await Compose(["s"], "taken", ifGenerationMatch: 0));

        Assert.Multiple(() =>
        {
            Assert.That(pinned!.HttpStatusCode, Is.EqualTo(HttpStatusCode.NotFound), "an overwritten generation is gone without versioning");
            Assert.That(guarded!.HttpStatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
            Assert.That(taken!.HttpStatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
            Assert.That(Server.Find(Bucket, "d"), Is.Null);
            Assert.That(StoredSha256("taken"), Is.EqualTo(Sha256Hex(RandomBytes(10, seed: 3))));
        });
    }

    [Test]
    public async Task Compose_DeleteSourceObjects_RemovesTheSourcesWithTheResult()
    {
        await _client.UploadObjectAsync(Bucket, "p1", null, new MemoryStream(RandomBytes(10)));
        await _client.UploadObjectAsync(Bucket, "p2", null, new MemoryStream(RandomBytes(20)));

        await Compose(["p1", "p2"], "whole", deleteSources: true);

        Assert.That(Server.ObjectNames(Bucket), Is.EqualTo(new[] { "whole" }));
    }

    [Test]
    public async Task DeleteObject_IfGenerationMatchOfAnother_PreconditionFailedAndKept()
    {
        var obj = await _client.UploadObjectAsync(Bucket, "keep", null, new MemoryStream(RandomBytes(10)));

        var ex = Assert.ThrowsAsync<GoogleApiException>(async () =>
            await _client.DeleteObjectAsync(Bucket, "keep", new DeleteObjectOptions { IfGenerationMatch = obj.Generation + 1 }));
        await _client.DeleteObjectAsync(Bucket, "keep", new DeleteObjectOptions { IfGenerationMatch = obj.Generation });

        Assert.That(ex!.HttpStatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That(Server.Find(Bucket, "keep"), Is.Null);
    }

    [Test]
    public async Task UploadSession_CancelledWithDelete_Answers499AndTakesNoMoreChunks()
    {
        var upload = _client.CreateObjectUploader(Bucket, "never", null, new MemoryStream(RandomBytes(10)));
        var session = await upload.InitiateSessionAsync();

        using var cancel = await _client.Service.HttpClient.SendAsync(new HttpRequestMessage(HttpMethod.Delete, session));
        using var chunk = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent(RandomBytes(10)) };
        chunk.Content.Headers.ContentRange = new System.Net.Http.Headers.ContentRangeHeaderValue(0, 9, 10);
        using var late = await _client.Service.HttpClient.SendAsync(chunk);

        Assert.Multiple(() =>
        {
            Assert.That((int)cancel.StatusCode, Is.EqualTo(499));
            Assert.That((int)late.StatusCode, Is.InRange(400, 499));
            Assert.That(Server.OpenSessionsIn(Bucket), Is.Empty);
            Assert.That(Server.Find(Bucket, "never"), Is.Null);
        });
    }

    private Task<GcsObject> Compose(
        string[] sources,
        string destinationName,
        long? generation = null,
        long? precondition = null,
        long? ifGenerationMatch = null,
        bool deleteSources = false,
        GcsObject? destination = null)
    {
        var body = new Google.Apis.Storage.v1.Data.ComposeRequest
        {
            Destination = destination ?? new GcsObject { ContentType = "application/octet-stream" },
            DeleteSourceObjects = deleteSources ? true : null,
            SourceObjects = [.. sources.Select(name => new Google.Apis.Storage.v1.Data.ComposeRequest.SourceObjectsData
            {
                Name = name,
                Generation = generation,
                ObjectPreconditions = precondition is null
                    ? null
                    : new Google.Apis.Storage.v1.Data.ComposeRequest.SourceObjectsData.ObjectPreconditionsData { IfGenerationMatch = precondition },
            })],
        };
        var request = _client.Service.Objects.Compose(body, Bucket, destinationName);
        request.IfGenerationMatch = ifGenerationMatch;
        return request.ExecuteAsync();
    }
}
