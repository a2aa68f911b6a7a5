using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>Signed PUT, GET, resumable start and POST policy, used with a plain <see cref="HttpClient"/>.</summary>
public sealed class PresignedUrlTests : GcsIntegrationTest
{
    private static readonly HttpClient Http = new();

    [Test]
    public async Task CreateUploadUrlAsync_Put_ClientUploadsWithGivenHeaders()
    {
        using var storage = Storage();
        var data = RandomBytes(4000);

        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("up/a.pdf")
        {
            ContentType = "application/pdf",
            MaxLength = 10_000
        });

        Assert.Multiple(() =>
        {
            Assert.That(signed.Method, Is.EqualTo("PUT"));
            Assert.That(signed.Headers["Content-Type"], Is.EqualTo("application/pdf"));
            Assert.That(signed.Headers["x-goog-content-length-range"], Is.EqualTo("0,10000"));
            Assert.That(signed.ExpiresOn, Is.EqualTo(DateTimeOffset.UtcNow.AddMinutes(15)).Within(TimeSpan.FromMinutes(1)));
        });
        using var response = await Http.SendAsync(Request(signed, data));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(StoredSha256("up/a.pdf"), Is.EqualTo(Sha256Hex(data)));
        Assert.That(Server.Find(Bucket, "up/a.pdf")!.ContentType, Is.EqualTo("application/pdf"));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutLargerThanMaxLength_RefusedByServer()
    {
        using var storage = Storage();
        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("big.bin") { MaxLength = 1000 });

        using var response = await Http.SendAsync(Request(signed, RandomBytes(1001)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("EntityTooLarge"));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutWithTamperedSignature_Refused()
    {
        using var storage = Storage();
        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("t.bin"));
        var url = signed.Url.AbsoluteUri;
        var at = url.IndexOf("X-Goog-Signature=", StringComparison.Ordinal) + "X-Goog-Signature=".Length + 5;
        var tampered = new PresignedUrl("PUT", new Uri(url[..at] + (url[at] == 'a' ? 'b' : 'a') + url[(at + 1)..]), signed.ExpiresOn)
        {
            Headers = signed.Headers
        };

        using var response = await Http.SendAsync(Request(tampered, RandomBytes(10)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("SignatureDoesNotMatch"));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutAfterExpiry_Refused()
    {
        using var storage = Storage(time: HourAgo());
        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("late.bin") { ExpiresIn = TimeSpan.FromMinutes(5) });

        using var response = await Http.SendAsync(Request(signed, RandomBytes(10)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("ExpiredToken"));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutWithoutSignedHeader_Refused()
    {
        using var storage = Storage();
        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("h.bin") { MaxLength = 100 });
        var without = new PresignedUrl("PUT", signed.Url, signed.ExpiresOn)
        {
            Headers = signed.Headers.Where(h => h.Key != "x-goog-content-length-range").ToDictionary(),
        };

        using var response = await Http.SendAsync(Request(without, RandomBytes(1000)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("MissingSecurityHeader"));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutWithOtherContentType_Refused()
    {
        using var storage = Storage();
        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("c.png") { ContentType = "image/png" });
        var other = new PresignedUrl("PUT", signed.Url, signed.ExpiresOn)
        {
            Headers = signed.Headers.ToDictionary(h => h.Key, h => h.Key == "Content-Type" ? "text/html" : h.Value),
        };

        using var response = await Http.SendAsync(Request(other, RandomBytes(10)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutOverExistingNameWithOverwriteOff_RefusedByPrecondition()
    {
        using var storage = Storage();
        var original = RandomBytes(50);
        await storage.SaveAsync("keep.bin", new MemoryStream(original));
        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("keep.bin"));

        Assert.That(signed.Headers["x-goog-if-generation-match"], Is.EqualTo("0"));
        using var response = await Http.SendAsync(Request(signed, RandomBytes(60)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That(StoredSha256("keep.bin"), Is.EqualTo(Sha256Hex(original)));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutWithChecksums_BodyMustMatch()
    {
        using var storage = Storage();
        var data = RandomBytes(777);
        var request = new PresignedUploadRequest("sum.bin")
        {
            ChecksumSha256 = Convert.ToBase64String(SHA256.HashData(data)),
            ContentMd5 = Convert.ToBase64String(MD5.HashData(data)),
            ContentLength = data.Length,
        };
        var signed = await storage.CreateUploadUrlAsync(request);

        using (var wrong = await Http.SendAsync(Request(signed, RandomBytes(777, seed: 2))))
        {
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await wrong.Content.ReadAsStringAsync(), Does.Contain("BadDigest"));
        }

        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
        using var right = await Http.SendAsync(Request(signed, data));
        Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.OK), await right.Content.ReadAsStringAsync());
        Assert.That(StoredSha256("sum.bin"), Is.EqualTo(Sha256Hex(data)));
        Assert.That(signed.Headers["x-goog-content-length-range"], Is.EqualTo("777,777"));
    }

    [Test]
    public async Task CreateDownloadUrlAsync_WithResponseOverrides_ServesBytesWithThoseHeaders()
    {
        using var storage = Storage();
        var data = RandomBytes(3000);
        await storage.SaveAsync("d/report.bin", new MemoryStream(data));

        var signed = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest("d/report.bin")
        {
            ResponseContentDisposition = "attachment; filename=\"report.pdf\"",
            ResponseContentType = "application/pdf",
            ExpiresIn = TimeSpan.FromMinutes(2),
        });
        using var response = await Http.GetAsync(signed.Url);

        Assert.That(signed.Method, Is.EqualTo("GET"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(data)));
        Assert.That(response.Content.Headers.ContentDisposition?.FileName, Is.EqualTo("report.pdf").Or.EqualTo("\"report.pdf\""));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/pdf"));
    }

    [Test]
    public async Task CreateResumableUploadUrlAsync_StartThenChunks_ObjectStoredIdentical()
    {
        using var storage = Storage();
        var data = RandomBytes(3 * 256 * 1024 + 1234);

        var signed = await storage.CreateResumableUploadUrlAsync(new PresignedUploadRequest("r/movie.mp4")
        {
            ContentType = "video/mp4",
            MaxLength = data.Length
        });
        Assert.That(signed.Method, Is.EqualTo("POST"));
        Assert.That(signed.Headers["x-goog-resumable"], Is.EqualTo("start"));
        using var start = await Http.SendAsync(Request(signed, []));
        Assert.That(start.StatusCode, Is.EqualTo(HttpStatusCode.Created), await start.Content.ReadAsStringAsync());
        var session = start.Headers.Location!;

        using (var firstChunk = await Http.SendAsync(Chunk(session, data, 0, 2 * 256 * 1024, total: null)))
        {
            Assert.That((int)firstChunk.StatusCode, Is.EqualTo(308));
            Assert.That(firstChunk.Headers.GetValues("Range").Single(), Is.EqualTo($"bytes=0-{(2 * 256 * 1024) - 1}"));
        }

        using var last = await Http.SendAsync(Chunk(session, data, 2 * 256 * 1024, data.Length - (2 * 256 * 1024), total: data.Length));
        Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.OK), await last.Content.ReadAsStringAsync());
        Assert.That(StoredSha256("r/movie.mp4"), Is.EqualTo(Sha256Hex(data)));
        Assert.That(Server.Find(Bucket, "r/movie.mp4")!.ContentType, Is.EqualTo("video/mp4"));
    }

    [Test]
    public async Task CreateResumableUploadUrlAsync_InterruptedChunk_ResumesFromWhatServerHas()
    {
        using var storage = Storage();
        var data = RandomBytes(4 * 256 * 1024);
        var signed = await storage.CreateResumableUploadUrlAsync(new PresignedUploadRequest("resume.bin"));
        using var start = await Http.SendAsync(Request(signed, []));
        var session = start.Headers.Location!;
        using (var first = await Http.SendAsync(Chunk(session, data, 0, 256 * 1024, total: null)))
        {
            Assert.That((int)first.StatusCode, Is.EqualTo(308));
        }

        Server.FailNextChunkAfter = 100_000;
        Assert.That(
            async () => await Http.SendAsync(Chunk(session, data, 256 * 1024, 3 * 256 * 1024, total: data.Length)),
            Throws.InstanceOf<HttpRequestException>());

        using var status = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent([]) };
        status.Content.Headers.Add("Content-Range", "bytes */*");
        using var statusResponse = await Http.SendAsync(status);
        Assert.That((int)statusResponse.StatusCode, Is.EqualTo(308));
        Assert.That(statusResponse.Headers.GetValues("Range").Single(), Is.EqualTo($"bytes=0-{(256 * 1024) - 1}"));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);

        using var rest = await Http.SendAsync(Chunk(session, data, 256 * 1024, 3 * 256 * 1024, total: data.Length));
        Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.OK), await rest.Content.ReadAsStringAsync());
        Assert.That(StoredSha256("resume.bin"), Is.EqualTo(Sha256Hex(data)));
    }

    [Test]
    public async Task CreateResumableUploadUrlAsync_MoreThanMaxLength_RefusedAndNothingStored()
    {
        using var storage = Storage();
        var data = RandomBytes(256 * 1024 + 10);
        var signed = await storage.CreateResumableUploadUrlAsync(new PresignedUploadRequest("over.bin") { MaxLength = 256 * 1024 });
        using var start = await Http.SendAsync(Request(signed, []));

        using var response = await Http.SendAsync(Chunk(start.Headers.Location!, data, 0, data.Length, total: data.Length));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("EntityTooLarge"));
        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public async Task CreateUploadUrlAsync_PostPolicy_BrowserFormUploadStored()
    {
        using var storage = Storage();
        var data = RandomBytes(5000);

        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("forms/cv.pdf")
        {
            Method = PresignedUploadMethod.Post,
            ContentType = "application/pdf",
            MaxLength = 6000
        });

        Assert.That(signed.Method, Is.EqualTo("POST"));
        Assert.That(signed.FileFieldName, Is.EqualTo("file"));
        Assert.That(
            signed.FormFields.Select(f => f.Key),
            Is.SupersetOf(new[] { "key", "Content-Type", "policy", "x-goog-algorithm", "x-goog-credential", "x-goog-date", "x-goog-signature" }));
        using var response = await Http.PostAsync(signed.Url, Form(signed, data));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await response.Content.ReadAsStringAsync());
        Assert.That(StoredSha256("forms/cv.pdf"), Is.EqualTo(Sha256Hex(data)));
        Assert.That(Server.Find(Bucket, "forms/cv.pdf")!.ContentType, Is.EqualTo("application/pdf"));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PostPolicyOversizeTamperedOrExpired_Refused()
    {
        using var storage = Storage();
        var signed = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("f.bin") { Method = PresignedUploadMethod.Post, MaxLength = 100 });
        using var oversize = await Http.PostAsync(signed.Url, Form(signed, RandomBytes(101)));
        Assert.That(oversize.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await oversize.Content.ReadAsStringAsync(), Does.Contain("EntityTooLarge"));

        var tampered = new PresignedUrl("POST", signed.Url, signed.ExpiresOn)
        {
            FormFields = signed.FormFields.Select(f => f.Key == "key" ? new KeyValuePair<string, string>("key", "elsewhere.bin") : f).ToList(),
            FileFieldName = "file",
        };
        using var moved = await Http.PostAsync(signed.Url, Form(tampered, RandomBytes(10)));
        Assert.That(moved.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        using var late = Storage(time: HourAgo());
        var expired = await late.CreateUploadUrlAsync(new PresignedUploadRequest("f.bin")
        {
            Method = PresignedUploadMethod.Post,
            ExpiresIn = TimeSpan.FromMinutes(5)
        });
        using var tooLate = await Http.PostAsync(expired.Url, Form(expired, RandomBytes(10)));
        Assert.That(tooLate.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await tooLate.Content.ReadAsStringAsync(), Does.Contain("expired"));

        Assert.That(Server.ObjectNames(Bucket), Is.Empty);
    }

    [Test]
    public void CreateUploadUrlAsync_PostWithChecksum_NotSupported()
    {
        using var storage = Storage();

        Assert.That(
            async () => await storage.CreateUploadUrlAsync(new PresignedUploadRequest("f.bin")
            {
                Method = PresignedUploadMethod.Post,
                ContentMd5 = "AAAAAAAAAAAAAAAAAAAAAA=="
            }),
            Throws.InstanceOf<NotSupportedException>());
    }

    [Test]
    public void CreateUploadUrlAsync_ExpiryOverSevenDays_Refused()
    {
        using var storage = Storage();

        Assert.That(
            async () => await storage.CreateUploadUrlAsync(new PresignedUploadRequest("f.bin") { ExpiresIn = TimeSpan.FromDays(8) }),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    private static HttpRequestMessage Request(PresignedUrl signed, byte[] body)
    {
        var request = new HttpRequestMessage(new HttpMethod(signed.Method), signed.Url) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in signed.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    private static HttpRequestMessage Chunk(Uri session, byte[] data, int offset, int count, long? total)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent(data, offset, count) };
        request.Content.Headers.Add(
            "Content-Range",
            $"bytes {offset}-{offset + count - 1}/{(total is { } t ? t.ToString(System.Globalization.CultureInfo.InvariantCulture) : "*")}");
        return request;
    }

    private static MultipartFormDataContent Form(PresignedUrl signed, byte[] data)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in signed.FormFields)
        {
            form.Add(new StringContent(value), name);
        }

        var file = new ByteArrayContent(data);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, signed.FileFieldName!, "upload.bin");
        return form;
    }
}
