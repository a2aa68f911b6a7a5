using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Time.Testing;

namespace UploadKit.Storage.S3.Tests;

/// <summary>Presigned URLs used the way a browser would: a plain HttpClient and only what the response says.</summary>
[TestFixture]
[Category("Integration")]
public sealed class S3PresignedUrlTests
{
    private static string Unique(string name) => $"direct/{Guid.NewGuid():N}/{name}";

    private static async Task<HttpResponseMessage> SendPutAsync(PresignedUrl presigned, byte[] body, Uri? url = null)
    {
        using var http = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Put, url ?? presigned.Url) { Content = new ByteArrayContent(body) };
        foreach (var (name, value) in presigned.Headers)
        {
            if (!request.Content.Headers.TryAddWithoutValidation(name, value))
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return await http.SendAsync(request);
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        var start = body.IndexOf("<Code>", StringComparison.Ordinal) + 6;
        return start < 6 ? body : body[start..body.IndexOf("</Code>", start, StringComparison.Ordinal)];
    }

    [Test]
    public async Task CreateUploadUrlAsync_Put_ClientUploadsWithGivenHeaders()
    {
        using var storage = S3rverFixture.CreateStorage();
        var bytes = RandomBytes(40_000);
        var name = Unique("avatar.png");
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(name)
        {
            ContentType = "image/png",
            ContentLength = bytes.Length,
            ChecksumSha256 = Convert.ToBase64String(SHA256.HashData(bytes)),
        });

        Assert.That(presigned.Method, Is.EqualTo("PUT"));
        var signed = System.Web.HttpUtility.ParseQueryString(presigned.Url.Query)["X-Amz-SignedHeaders"]!.Split(';');
        Assert.That(signed, Is.SupersetOf(new[] { "content-type", "content-length", "x-amz-checksum-sha256", "host" }));
        Assert.That(presigned.Headers, Does.ContainKey("Content-Type").And.ContainKey("Content-Length").And.ContainKey("x-amz-checksum-sha256"));

        using var response = await SendPutAsync(presigned, bytes);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(bytes)));
        Assert.That((await storage.GetMetadataAsync(name))!.ContentType, Is.EqualTo("image/png"));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutUsedAgainAfterUpload_IsRefusedAndKeepsTheFirstObject()
    {
        // The URL signs If-None-Match: *, so it creates the object once and cannot replace it afterwards, while
        // it is still valid: a completed and verified direct upload stays what was verified.
        using var storage = S3rverFixture.CreateStorage();
        var first = RandomBytes(5_000);
        var name = Unique("once.bin");
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(name) { ContentType = "application/octet-stream" });
        Assert.That(presigned.Headers["If-None-Match"], Is.EqualTo("*"));
        var signed = System.Web.HttpUtility.ParseQueryString(presigned.Url.Query)["X-Amz-SignedHeaders"]!.Split(';');
        Assert.That(signed, Does.Contain("if-none-match"));

        using (var created = await SendPutAsync(presigned, first))
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.OK), await created.Content.ReadAsStringAsync());
        }

        using (var again = await SendPutAsync(presigned, RandomBytes(5_000)))
        {
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        }

        // Leaving the header out breaks the signature instead.
        var withoutCondition = new PresignedUrl(presigned.Method, presigned.Url, presigned.ExpiresOn)
        {
            Headers = presigned.Headers.Where(h => h.Key != "If-None-Match").ToDictionary(h => h.Key, h => h.Value),
        };
        using (var unconditional = await SendPutAsync(withoutCondition, RandomBytes(5_000)))
        {
            Assert.That(unconditional.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await ErrorCodeAsync(unconditional), Is.EqualTo("SignatureDoesNotMatch"));
        }

        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(first)));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutWithOverwriteOn_SignsNoCondition()
    {
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["Overwrite"] = "true" });
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(Unique("replace.bin")));

        Assert.That(presigned.Headers, Does.Not.ContainKey("If-None-Match"));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutOfOtherLength_IsRefused()
    {
        // Content-Length is a signed header, so a body of another length no longer matches the signature.
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("exact.bin");
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(name)
        {
            ContentType = "application/octet-stream",
            ContentLength = 1000
        });

        using var http = new HttpClient();
        var request = new HttpRequestMessage(HttpMethod.Put, presigned.Url) { Content = new ByteArrayContent(RandomBytes(2000)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await http.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await ErrorCodeAsync(response), Is.EqualTo("SignatureDoesNotMatch"));
        Assert.That(await storage.ExistsAsync(name), Is.False);
    }

    [Test]
    public async Task CreateUploadUrlAsync_PutWithWrongChecksum_ServerDoesNotVerifyChecksum()
    {
        // Amazon S3 compares the body with x-amz-checksum-sha256 and answers 400 BadDigest; s3rver 5.0.0 does not
        // check it. The header itself is signed (see above), so a client cannot swap in another checksum unnoticed.
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("checksum.bin");
        var bytes = RandomBytes(100);
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(name)
        {
            ContentType = "application/octet-stream",
            ChecksumSha256 = Convert.ToBase64String(SHA256.HashData("other"u8)),
        });

        using var response = await SendPutAsync(presigned, bytes);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(bytes)));
    }

    [Test]
    public async Task CreateUploadUrlAsync_TamperedSignature_IsRefused()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("tampered.bin");
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(name) { ContentType = "text/plain" });
        var url = presigned.Url.ToString();
        var at = url.IndexOf("X-Amz-Signature=", StringComparison.Ordinal) + "X-Amz-Signature=".Length;
        var tampered = new Uri(url[..at] + (url[at] == '0' ? '1' : '0') + url[(at + 1)..]);

        using var response = await SendPutAsync(presigned, "hello"u8.ToArray(), tampered);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await ErrorCodeAsync(response), Is.EqualTo("SignatureDoesNotMatch"));
        Assert.That(await storage.ExistsAsync(name), Is.False);
    }

    [Test]
    public async Task CreateUploadUrlAsync_WrongSecret_IsRefused()
    {
        using var storage = S3rverFixture.CreateStorage(new Dictionary<string, string?> { ["SecretKey"] = "not-the-secret" });
        using var honest = S3rverFixture.CreateStorage();
        var name = Unique("wrong-secret.bin");
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(name) { ContentType = "text/plain" });

        using var response = await SendPutAsync(presigned, "hello"u8.ToArray());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await ErrorCodeAsync(response), Is.EqualTo("SignatureDoesNotMatch"));
        Assert.That(await honest.ExistsAsync(name), Is.False);
    }

    [Test]
    public async Task CreateDownloadUrlAsync_Get_ServesBytesWithOverrides()
    {
        using var storage = S3rverFixture.CreateStorage();
        var bytes = RandomBytes(10_000, seed: 9);
        var name = await storage.SaveAsync(Unique("invoice.pdf"), new MemoryStream(bytes));

        var presigned = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest(name)
        {
            ResponseContentDisposition = "attachment; filename=\"invoice.pdf\"",
        });
        using var http = new HttpClient();
        using var response = await http.GetAsync(presigned.Url);

        Assert.That(presigned.Method, Is.EqualTo("GET"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentDisposition?.FileName, Does.Contain("invoice.pdf"));
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(bytes)));
    }

    [Test]
    public async Task CreateDownloadUrlAsync_Expired_IsRefused()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = await storage.SaveAsync(Unique("short-lived.txt"), new MemoryStream("soon gone"u8.ToArray()));
        var presigned = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest(name) { ExpiresIn = TimeSpan.FromSeconds(1) });

        // X-Amz-Expires counts whole seconds from X-Amz-Date; wait until it has certainly passed.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        using var http = new HttpClient();
        using var response = await http.GetAsync(presigned.Url);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await ErrorCodeAsync(response), Is.EqualTo("AccessDenied"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Request has expired"));
    }

    [Test]
    public async Task CreateUploadUrlAsync_Post_BrowserFormUploadStoresFile()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("form upload.jpg");
        var bytes = RandomBytes(30_000, seed: 11);
        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest(name)
        {
            Method = PresignedUploadMethod.Post,
            ContentType = "image/jpeg",
            MaxLength = 1 << 20,
        });

        Assert.That(presigned.Method, Is.EqualTo("POST"));
        Assert.That(presigned.Url.ToString(), Is.EqualTo($"{S3rverFixture.ServiceUrl}/{S3rverFixture.BucketName}/"));
        Assert.That(presigned.FileFieldName, Is.EqualTo("file"));
        var fields = presigned.FormFields.ToDictionary(f => f.Key, f => f.Value);
        Assert.That(
            fields.Keys,
            Is.SupersetOf(new[] { "key", "Content-Type", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "policy", "x-amz-signature" }));
        using var policy = JsonDocument.Parse(Convert.FromBase64String(fields["policy"]));
        var conditions = policy.RootElement.GetProperty("conditions").EnumerateArray().Select(c => c.GetRawText()).ToList();
        Assert.That(conditions, Does.Contain("[\"content-length-range\",1,1048576]"));
        Assert.That(conditions, Does.Contain("{\"Content-Type\":\"image/jpeg\"}"));
        Assert.That(conditions, Does.Contain($"{{\"key\":\"{name}\"}}"));

        // As a browser sends the form: the fields in order, then the file.
        using var form = new MultipartFormDataContent();
        foreach (var (field, value) in presigned.FormFields)
        {
            form.Add(new StringContent(value), field);
        }

        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, presigned.FileFieldName!, "photo.jpg");
        using var http = new HttpClient();
        using var response = await http.PostAsync(presigned.Url, form);

        // Amazon S3 checks the policy's signature and conditions here (an oversize or wrongly typed file gets
        // 400 EntityTooLarge / 403 AccessDenied). s3rver 5.0.0 enforces neither; the policy's signature is
        // proven against AWS's published example in S3PostPolicyTests instead.
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await response.Content.ReadAsStringAsync());
        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(bytes)));
    }

    [Test]
    public async Task CreateMultipartUploadAsync_BrowserUploadsPartsThenCompletes()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("large.mp4");
        var bytes = RandomBytes((5 * 1024 * 1024) + 123_456, seed: 12);
        var uploadId = await storage.CreateMultipartUploadAsync(name, "video/mp4");

        var parts = new List<S3CompletedPart>();
        var chunks = new[] { bytes[..(5 * 1024 * 1024)], bytes[(5 * 1024 * 1024)..] };
        for (var i = 0; i < chunks.Length; i++)
        {
            var url = await storage.CreateUploadPartUrlAsync(name, uploadId, i + 1);
            using var response = await SendPutAsync(url, chunks[i]);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            parts.Add(new S3CompletedPart(i + 1, response.Headers.ETag!.Tag));
        }

        await storage.CompleteMultipartUploadAsync(name, uploadId, parts);

        Assert.That(await StoredSha256HexAsync(storage, name), Is.EqualTo(Sha256Hex(bytes)));
        Assert.That((await storage.GetMetadataAsync(name))!.ContentType, Is.EqualTo("video/mp4"));
    }

    [Test]
    public async Task AbortMultipartUploadAsync_AfterParts_LeavesNoUploadAndNoObject()
    {
        using var storage = S3rverFixture.CreateStorage();
        var name = Unique("abandoned.bin");
        var uploadId = await storage.CreateMultipartUploadAsync(name);
        var url = await storage.CreateUploadPartUrlAsync(name, uploadId, 1);
        using (var response = await SendPutAsync(url, RandomBytes(1000)))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await storage.AbortMultipartUploadAsync(name, uploadId);

        Assert.That(await storage.ExistsAsync(name), Is.False);
        using var client = S3rverFixture.CreateClient();
        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3rverFixture.BucketName });
        Assert.That((uploads.MultipartUploads ?? []).Select(u => u.UploadId), Does.Not.Contain(uploadId));
        Assert.CatchAsync<AmazonS3Exception>(() => storage.AbortMultipartUploadAsync(name, uploadId));
    }

    [Test]
    public async Task CreateUploadUrlAsync_PostWithFakeClock_SignsPolicyForThatTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, TimeSpan.Zero));
        S3rverFixture.RequireServer();
        var options = new S3StorageOptions
        {
            Bucket = "bucket",
            Endpoint = new Uri(S3rverFixture.ServiceUrl),
            ForcePathStyle = true,
            AccessKey = "AK",
            SecretKey = "SK",
            Region = "eu-west-1",
        };
        using var storage = new S3Storage(S3rverFixture.CreateClient(), options, timeProvider: time);

        var presigned = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("a.txt")
        {
            Method = PresignedUploadMethod.Post,
            MaxLength = 10,
            ExpiresIn = TimeSpan.FromMinutes(5)
        });
        var fields = presigned.FormFields.ToDictionary(f => f.Key, f => f.Value);

        Assert.That(fields["x-amz-date"], Is.EqualTo("20300102T030405Z"));
        Assert.That(fields["x-amz-credential"], Is.EqualTo("AK/20300102/eu-west-1/s3/aws4_request"));
        Assert.That(presigned.ExpiresOn, Is.EqualTo(time.GetUtcNow().AddMinutes(5)));
        var policy = Encoding.UTF8.GetString(Convert.FromBase64String(fields["policy"]));
        Assert.That(policy, Does.StartWith("{\"expiration\":\"2030-01-02T03:09:05.000Z\""));
        Assert.That(fields["x-amz-signature"], Is.EqualTo(Internal.S3PostPolicy.Sign(fields["policy"], "SK", "20300102", "eu-west-1")));
    }

    [Test]
    public async Task PresignedUrls_ClockAheadOfTheSdks_ExpireWhenTheyReport()
    {
        // The storage's clock runs an hour ahead; the URL must still expire at the instant the storage reports.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1));
        S3rverFixture.RequireServer();
        var options = new S3StorageOptions
        {
            Bucket = "bucket",
            Endpoint = new Uri(S3rverFixture.ServiceUrl),
            ForcePathStyle = true,
            AccessKey = "AK",
            SecretKey = "SK"
        };
        using var storage = new S3Storage(S3rverFixture.CreateClient(), options, timeProvider: time);

        var download = await storage.CreateDownloadUrlAsync(new PresignedDownloadRequest("a.txt") { ExpiresIn = TimeSpan.FromMinutes(5) });
        var upload = await storage.CreateUploadUrlAsync(new PresignedUploadRequest("a.txt") { ExpiresIn = TimeSpan.FromMinutes(5) });
        var part = await storage.CreateUploadPartUrlAsync("a.txt", "upload-1", 1, TimeSpan.FromMinutes(5));

        foreach (var presigned in new[] { download, upload, part })
        {
            Assert.That(presigned.ExpiresOn, Is.EqualTo(time.GetUtcNow().AddMinutes(5)));
            Assert.That(SignedExpiry(presigned.Url), Is.EqualTo(presigned.ExpiresOn).Within(TimeSpan.FromSeconds(5)), presigned.Method);
        }
    }

    /// <summary>When a SigV4 query-signed URL stops working: X-Amz-Date plus X-Amz-Expires.</summary>
    private static DateTimeOffset SignedExpiry(Uri url)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url.Query);
        var signedAt = DateTimeOffset.ParseExact(
            query["X-Amz-Date"].ToString(),
            "yyyyMMdd'T'HHmmss'Z'",
            System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal);
        return signedAt.AddSeconds(int.Parse(query["X-Amz-Expires"].ToString(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
