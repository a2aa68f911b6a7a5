using System.Net;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UploadKit.Storage.S3.Internal;

namespace UploadKit.Storage.S3.Tests;

[TestFixture]
public sealed class S3PostPolicyTests
{
    [Test]
    public void Sign_AwsPublishedExample_MatchesPublishedSignature()
    {
        // From the Amazon S3 API Reference, "Example: Browser-Based Upload using HTTP POST (Using AWS Signature
        // Version 4)": the example's policy (with its CRLF line ends), fictitious keys and resulting signature.
        const string policy =
            "{ \"expiration\": \"2015-12-30T12:00:00.000Z\",\r\n" +
            "  \"conditions\": [\r\n" +
            "    {\"bucket\": \"sigv4examplebucket\"},\r\n" +
            "    [\"starts-with\", \"$key\", \"user/user1/\"],\r\n" +
            "    {\"acl\": \"public-read\"},\r\n" +
            "    {\"success_action_redirect\": \"http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html\"},\r\n" +
            "    [\"starts-with\", \"$Content-Type\", \"image/\"],\r\n" +
            "    {\"x-amz-meta-uuid\": \"14365123651274\"},\r\n" +
            "    {\"x-amz-server-side-encryption\": \"AES256\"},\r\n" +
            "    [\"starts-with\", \"$x-amz-meta-tag\", \"\"],\r\n" +
            "\r\n" +
            "    {\"x-amz-credential\": \"AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request\"},\r\n" +
            "    {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"},\r\n" +
            "    {\"x-amz-date\": \"20151229T000000Z\" }\r\n" +
            "  ]\r\n" +
            "}";
        const string publishedBase64Policy =
            "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1w" +
            "bGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAg" +
            "IHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2Fk" +
            "Lmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUx" +
            "MjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXot" +
            "bWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3" +
            "czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlU" +
            "MDAwMDAwWiIgfQ0KICBdDQp9";
        const string publishedSignature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

        var base64Policy = Convert.ToBase64String(Encoding.UTF8.GetBytes(policy));
        var signature = S3PostPolicy.Sign(base64Policy, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20151229", "us-east-1");

        Assert.That(base64Policy, Is.EqualTo(publishedBase64Policy));
        Assert.That(signature, Is.EqualTo(publishedSignature));
        Assert.That(S3PostPolicy.Credential("AKIAIOSFODNN7EXAMPLE", new DateTimeOffset(2015, 12, 29, 0, 0, 0, TimeSpan.Zero), "us-east-1"),
            Is.EqualTo("AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"));
        Assert.That(S3PostPolicy.AmzDate(new DateTimeOffset(2015, 12, 29, 0, 0, 0, TimeSpan.Zero)), Is.EqualTo("20151229T000000Z"));
    }

    [Test]
    public void Encode_Conditions_WritesExactMatchesAndLengthRange()
    {
        var encoded = S3PostPolicy.Encode(new DateTimeOffset(2030, 5, 6, 7, 8, 9, 10, TimeSpan.Zero),
            [new("bucket", "b"), new("key", "a \"quoted\" name.txt"), new("Content-Type", "text/plain")], (1, 1000));

        Assert.That(Encoding.UTF8.GetString(Convert.FromBase64String(encoded)), Is.EqualTo(
            "{\"expiration\":\"2030-05-06T07:08:09.010Z\",\"conditions\":[{\"bucket\":\"b\"},{\"key\":\"a \\u0022quoted\\u0022 name.txt\"}," +
            "{\"Content-Type\":\"text/plain\"},[\"content-length-range\",1,1000]]}"));
    }
}

[TestFixture]
public sealed class S3StorageOptionsTests
{
    private static IConfigurationSection Section(string optionsJson)
    {
        var json = $$"""{ "UploadKit": { "Storages": { "minio": { "Backend": "S3", "Options": {{optionsJson}} } } } }""";
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return configuration.GetSection("UploadKit:Storages:minio:Options");
    }

    [Test]
    public void Bind_AppSettingsJson_BindsEveryOption()
    {
        var options = S3StorageFactory.Bind("minio", Section("""
            {
              "Bucket": "media", "Endpoint": "http://127.0.0.1:9000", "Region": "eu-west-1",
              "AccessKey": "ak", "SecretKey": "sk", "ForcePathStyle": true, "KeyPrefix": "uploads",
              "DefaultAcl": "public-read", "CustomDomain": "cdn.example.com", "SignedUrls": false,
              "UrlExpiry": "00:10:00", "Overwrite": true, "ConditionalWrites": false,
              "CacheControl": "max-age=86400", "ContentDisposition": "attachment", "ObjectParameters": { "ServerSideEncryption": "AES256" },
              "MultipartThreshold": 16777216, "ChunkSize": 10485760, "MaxConcurrency": 8,
              "RequestChecksumCalculation": "WhenRequired", "ResponseChecksumValidation": "WhenRequired", "DisableChunkedEncoding": true
            }
            """));

        Assert.That(options.Bucket, Is.EqualTo("media"));
        Assert.That(options.Endpoint, Is.EqualTo(new Uri("http://127.0.0.1:9000")));
        Assert.That(options.ForcePathStyle, Is.True);
        Assert.That(options.KeyPrefix, Is.EqualTo("uploads"));
        Assert.That(options.DefaultAcl, Is.EqualTo("public-read"));
        Assert.That(options.SignedUrls, Is.False);
        Assert.That(options.UrlExpiry, Is.EqualTo(TimeSpan.FromMinutes(10)));
        Assert.That(options.Overwrite, Is.True);
        Assert.That(options.ConditionalWrites, Is.False);
        Assert.That(options.CacheControl, Is.EqualTo("max-age=86400"));
        Assert.That(options.ObjectParameters.ServerSideEncryption, Is.EqualTo("AES256"));
        Assert.That(options.ChunkSize, Is.EqualTo(10485760));
        Assert.That(options.MaxConcurrency, Is.EqualTo(8));
        Assert.That(options.RequestChecksumCalculation, Is.EqualTo(S3ChecksumMode.WhenRequired));
        Assert.That(options.DisableChunkedEncoding, Is.True);
    }

    [Test]
    public void Bind_EnvironmentVariable_OverridesAppSettings()
    {
        Environment.SetEnvironmentVariable("UPLOADKIT_S3_TESTS_UploadKit__Storages__minio__Options__Endpoint", "http://10.1.2.3:9000");
        try
        {
            var json = """{ "UploadKit": { "Storages": { "minio": { "Backend": "S3",""" +
                """ "Options": { "Bucket": "media", "Endpoint": "http://127.0.0.1:9000" } } } } }""";
            var configuration = new ConfigurationBuilder()
                .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
                .AddEnvironmentVariables("UPLOADKIT_S3_TESTS_")
                .Build();

            var options = S3StorageFactory.Bind("minio", configuration.GetSection("UploadKit:Storages:minio:Options"));

            Assert.That(options.Endpoint, Is.EqualTo(new Uri("http://10.1.2.3:9000")));
        }
        finally
        {
            Environment.SetEnvironmentVariable("UPLOADKIT_S3_TESTS_UploadKit__Storages__minio__Options__Endpoint", null);
        }
    }

    [Test]
    public void Bind_MissingBucket_ThrowsNamingTheOption()
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            S3StorageFactory.Bind("minio", Section("""{ "Endpoint": "http://127.0.0.1:9000" }""")));

        Assert.That(error!.OptionsName, Is.EqualTo("minio"));
        Assert.That(error.Failures, Does.Contain("UploadKit:Storages:minio:Options:Bucket is required."));
    }

    [Test]
    public void Bind_UnknownKey_ThrowsNamingTheKey()
    {
        var error = Assert.Throws<OptionsValidationException>(() => S3StorageFactory.Bind(
            "minio", Section("""{ "Bucket": "b", "BuckeName": "typo" }""")));

        Assert.That(error!.OptionsName, Is.EqualTo("minio"));
        Assert.That(error.Message, Does.Contain("BuckeName"));
    }

    [TestCase("""{ "Bucket": "b", "AccessKey": "ak" }""", "SecretKey")]
    [TestCase("""{ "Bucket": "b", "ChunkSize": 1024 }""", "ChunkSize")]
    [TestCase("""{ "Bucket": "b", "MaxConcurrency": 0 }""", "MaxConcurrency")]
    [TestCase("""{ "Bucket": "b", "UrlExpiry": "8.00:00:00" }""", "UrlExpiry")]
    [TestCase("""{ "Bucket": "b", "DefaultAcl": "world-writable" }""", "DefaultAcl")]
    [TestCase("""{ "Bucket": "b", "Endpoint": "127.0.0.1:9000" }""", "Endpoint")]
    [TestCase("""{ "Bucket": "b", "KeyPrefix": "../other" }""", "KeyPrefix")]
    public void Bind_InvalidValue_ThrowsNamingTheOption(string json, string option)
    {
        var error = Assert.Throws<OptionsValidationException>(() => S3StorageFactory.Bind("minio", Section(json)));

        Assert.That(error!.Failures, Has.Some.StartsWith($"UploadKit:Storages:minio:Options:{option} "));
    }

    [Test]
    public void Create_BackendContext_ReturnsS3StorageWithPrefix()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        var section = Section(
            """{ "Bucket": "b", "Endpoint": "http://127.0.0.1:9", "ForcePathStyle": true,""" +
            """ "AccessKey": "a", "SecretKey": "s", "KeyPrefix": "media/" }""");

        using var storage = (S3Storage)S3StorageFactory.Create(new StorageBackendContext("minio", section, services));

        Assert.That(storage.GetKey("a/b.txt"), Is.EqualTo("media/a/b.txt"));
        Assert.That(storage.Client.Config.ServiceURL, Is.EqualTo("http://127.0.0.1:9/"));
    }

    [Test]
    public void Create_ClientFactory_UsesTheAppsClient()
    {
        var client = new Mock<IAmazonS3>().Object;
        var services = new ServiceCollection().AddSingleton(client).BuildServiceProvider();
        var options = new S3StorageOptions { Bucket = "b", ClientFactory = sp => sp.GetRequiredService<IAmazonS3>() };

        using var storage = S3StorageFactory.Create("minio", options, services);

        Assert.That(storage.Client, Is.SameAs(client));
    }

    [Test]
    public void AddS3Storage_RegistersBackendAndNamedStorage()
    {
        var services = new ServiceCollection();
        var builder = services.AddUploadKit();

        builder.AddS3Storage().AddS3Storage("avatars", o => o.Bucket = "avatars");

        Assert.That(services.Any(d => d.ServiceType.Name == "StorageBackendRegistration"), Is.True);
        Assert.That(services.Any(d => d.ServiceType.Name == "StorageRegistration"), Is.True);
    }
}

[TestFixture]
public sealed class S3StorageUnitTests
{
    private static AmazonS3Exception Status(HttpStatusCode code) => new("test", Amazon.Runtime.ErrorType.Sender, code.ToString(), "req", code);

    [Test]
    public async Task SaveAsync_ConditionalWriteConflict_RetriesUnderFreshName()
    {
        // What a server that honours If-None-Match (Amazon S3, MinIO) does when another writer wins the race
        // between the existence check and the PUT: 412. The storage then saves under a fresh name.
        var client = new Mock<IAmazonS3>(MockBehavior.Strict);
        client.Setup(c => c.GetObjectMetadataAsync(It.IsAny<GetObjectMetadataRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(Status(HttpStatusCode.NotFound));
        var puts = new List<(string Key, string? IfNoneMatch, string Sha256)>();
        client.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .Returns((PutObjectRequest r, CancellationToken _) =>
            {
                var copy = new MemoryStream();
                r.InputStream.CopyTo(copy);
                puts.Add((r.Key, r.IfNoneMatch, Sha256Hex(copy.ToArray())));
                return puts.Count == 1
                    ? Task.FromException<PutObjectResponse>(Status(HttpStatusCode.PreconditionFailed))
                    : Task.FromResult(new PutObjectResponse());
            });
        using var storage = new S3Storage(client.Object, new S3StorageOptions { Bucket = "b", AccessKey = "a", SecretKey = "s" });
        var bytes = RandomBytes(1000);

        var name = await storage.SaveAsync("docs/a.txt", new MemoryStream(bytes));

        Assert.That(puts, Has.Count.EqualTo(2));
        Assert.That(puts.Select(p => p.IfNoneMatch), Is.All.EqualTo("*"));
        Assert.That(puts.Select(p => p.Sha256), Is.All.EqualTo(Sha256Hex(bytes)));
        Assert.That(puts[0].Key, Is.EqualTo("docs/a.txt"));
        Assert.That(name, Does.Match(@"^docs/a_[A-Za-z0-9]{7}\.txt$"));
        Assert.That(puts[1].Key, Is.EqualTo(name));
    }

    [Test]
    public async Task SaveAsync_Overwrite_SendsNoConditionAndSkipsExistenceCheck()
    {
        var client = new Mock<IAmazonS3>(MockBehavior.Strict);
        PutObjectRequest? sent = null;
        client.Setup(c => c.PutObjectAsync(It.IsAny<PutObjectRequest>(), It.IsAny<CancellationToken>()))
            .Callback((PutObjectRequest r, CancellationToken _) => sent = r)
            .ReturnsAsync(new PutObjectResponse());
        using var storage = new S3Storage(
            client.Object, new S3StorageOptions { Bucket = "b", Overwrite = true, DefaultAcl = "public-read", KeyPrefix = "m" });

        var name = await storage.SaveAsync("a.css", new MemoryStream([1, 2, 3]));

        Assert.That(name, Is.EqualTo("a.css"));
        Assert.That(sent!.Key, Is.EqualTo("m/a.css"));
        Assert.That(sent.IfNoneMatch, Is.Null);
        Assert.That(sent.ContentType, Is.EqualTo("text/css"));
        Assert.That(sent.CannedACL, Is.EqualTo(S3CannedACL.PublicRead));
    }

    [Test]
    public void SaveAsync_PartUploadFails_AbortsMultipartUpload()
    {
        var client = new Mock<IAmazonS3>(MockBehavior.Strict);
        client.Setup(c => c.InitiateMultipartUploadAsync(It.IsAny<InitiateMultipartUploadRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new InitiateMultipartUploadResponse { UploadId = "u1" });
        client.Setup(c => c.UploadPartAsync(It.IsAny<UploadPartRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(Status(HttpStatusCode.InternalServerError));
        client.Setup(c => c.AbortMultipartUploadAsync(
            It.Is<AbortMultipartUploadRequest>(r => r.UploadId == "u1" && r.Key == "big.bin"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AbortMultipartUploadResponse());
        var options = new S3StorageOptions { Bucket = "b", Overwrite = true, MultipartThreshold = 5 << 20, ChunkSize = 5 << 20 };
        using var storage = new S3Storage(client.Object, options);

        Assert.ThrowsAsync<AmazonS3Exception>(() => storage.SaveAsync("big.bin", new GeneratedStream(20 << 20)));

        client.Verify(c => c.AbortMultipartUploadAsync(It.IsAny<AbortMultipartUploadRequest>(), It.IsAny<CancellationToken>()), Times.Once);
        client.Verify(c => c.CompleteMultipartUploadAsync(It.IsAny<CompleteMultipartUploadRequest>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Test]
    public void SaveAsync_MultipartCompletionConflict_AbortsAndThrowsIOException()
    {
        // A server honouring If-None-Match refuses CompleteMultipartUpload with 412 when another writer created the
        // name during the upload. The stream is consumed by then, so the save aborts and reports the conflict.
        var client = new Mock<IAmazonS3>(MockBehavior.Strict);
        client.Setup(c => c.GetObjectMetadataAsync(It.IsAny<GetObjectMetadataRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(Status(HttpStatusCode.NotFound));
        client.Setup(c => c.InitiateMultipartUploadAsync(It.IsAny<InitiateMultipartUploadRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new InitiateMultipartUploadResponse { UploadId = "u2" });
        client.Setup(c => c.UploadPartAsync(It.IsAny<UploadPartRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((UploadPartRequest r, CancellationToken _) => new UploadPartResponse { ETag = $"\"{r.PartNumber}\"" });
        CompleteMultipartUploadRequest? completed = null;
        client.Setup(c => c.CompleteMultipartUploadAsync(It.IsAny<CompleteMultipartUploadRequest>(), It.IsAny<CancellationToken>()))
            .Callback((CompleteMultipartUploadRequest r, CancellationToken _) => completed = r)
            .ThrowsAsync(Status(HttpStatusCode.PreconditionFailed));
        client.Setup(c => c.AbortMultipartUploadAsync(It.Is<AbortMultipartUploadRequest>(r => r.UploadId == "u2"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new AbortMultipartUploadResponse());
        var options = new S3StorageOptions { Bucket = "b", MultipartThreshold = 5 << 20, ChunkSize = 5 << 20 };
        using var storage = new S3Storage(client.Object, options);

        Assert.ThrowsAsync<IOException>(() => storage.SaveAsync("big.bin", new GeneratedStream(12 << 20)));

        Assert.That(completed!.IfNoneMatch, Is.EqualTo("*"));
        Assert.That(completed.PartETags.Select(p => p.PartNumber), Is.EqualTo(new[] { 1, 2, 3 }));
        client.Verify(c => c.AbortMultipartUploadAsync(It.IsAny<AbortMultipartUploadRequest>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Test]
    public async Task GetMetadataAsync_ChecksumsFromHead_AreReturnedAsHex()
    {
        var client = new Mock<IAmazonS3>(MockBehavior.Strict);
        var response = new GetObjectMetadataResponse
        {
            ContentLength = 5,
            ETag = "\"5d41402abc4b2a76b9719d911017c592\"",
            ChecksumSHA256 = "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
        };
        response.Headers.ContentType = "text/plain";
        client.Setup(c => c.GetObjectMetadataAsync(
            It.Is<GetObjectMetadataRequest>(r => r.Key == "m/a.txt" && r.ChecksumMode == ChecksumMode.ENABLED), It.IsAny<CancellationToken>()))
            .ReturnsAsync(response);
        using var storage = new S3Storage(client.Object, new S3StorageOptions { Bucket = "b", KeyPrefix = "m" });

        var info = await storage.GetMetadataAsync("a.txt");

        Assert.That(info!.Checksums["sha256"], Is.EqualTo(Sha256Hex("hello"u8.ToArray())));
        Assert.That(info.Checksums["md5"], Is.EqualTo("5d41402abc4b2a76b9719d911017c592"));
        Assert.That(info.ContentType, Is.EqualTo("text/plain"));
    }

    [Test]
    public void CreateUploadUrlAsync_PostWithoutSizeLimit_Throws()
    {
        using var storage = new S3Storage(new Mock<IAmazonS3>().Object, new S3StorageOptions { Bucket = "b", AccessKey = "a", SecretKey = "s" });

        Assert.ThrowsAsync<ArgumentException>(() =>
            storage.CreateUploadUrlAsync(new PresignedUploadRequest("a.txt") { Method = PresignedUploadMethod.Post }));
    }
}
