using System.Net;
using System.Security.Cryptography;
using Amazon.S3.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;

using static UploadKit.Redis.Tests.TusRequests;

namespace UploadKit.Redis.Tests;

/// <summary>
/// The multi-server case on S3: two app servers sharing one Redis and one s3rver bucket. An upload started on the
/// first, whose PATCH breaks part-way there, is resumed on the second; the object is whole and nothing is left in the
/// bucket (no unfinished multipart upload, no side object).
/// </summary>
[Category("Integration")]
public sealed class ResumableS3TwoServerTests
{
    private TwoServers _servers = null!;

    [SetUp]
    public async Task SetUp()
    {
        RedisFixture.Require();
        S3rverFixture.RequireServer();
        _servers = new TwoServers();
        await _servers.StartAsync(StartAsync);
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_servers is not null)
        {
            await _servers.DisposeAsync();
        }
    }

    [Test]
    public async Task PatchBrokenOnOne_ResumedOnTheOther_StoresTheWholeObjectAndLeavesNothing()
    {
        var content = RandomBytes(13 * 1024 * 1024 + 123);
        var location = await CreateAsync(_servers.First, content.Length, "film.bin");
        using (var first = await PatchAsync(_servers.First, location, 0, content[..(6 * 1024 * 1024)]))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await first.Content.ReadAsStringAsync());
        }

        var id = location.Split('/')[^1];
        var store = _servers.First.Services.GetRequiredService<IResumableUploadStore>();
        var version = (await store.GetAsync(id))!.Version;
        await SendAndCutAsync(_servers.First.Client.BaseAddress!, location, content, 6 * 1024 * 1024, 3 * 1024 * 1024);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while ((await store.GetAsync(id, timeout.Token))!.Version == version)
            {
                await Task.Delay(50, timeout.Token);
            }
        }

        long offset;
        using (var request = Tus(HttpMethod.Head, location))
        using (var head = await _servers.Second.Client.SendAsync(request))
        {
            offset = Offset(head);
        }

        Assert.That(offset, Is.InRange(6 * 1024 * 1024, 9 * 1024 * 1024));
        using var rest = await PatchAsync(_servers.Second, location, offset, content[(int)offset..]);
        Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await rest.Content.ReadAsStringAsync());

        using var client = S3rverFixture.CreateClient();
        var prefix = BucketPrefix(_servers);
        using (var stored = await client.GetObjectAsync(S3rverFixture.BucketName, prefix + "/uploads/film.bin"))
        {
            await using var body = stored.ResponseStream;
            var sha256 = Convert.ToHexStringLower(await SHA256.HashDataAsync(body));
            Assert.That(sha256, Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(content))));
        }

        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3rverFixture.BucketName });
        Assert.That((uploads.MultipartUploads ?? []).Where(u => u.Key.StartsWith(prefix + "/", StringComparison.Ordinal)), Is.Empty);
        var objects = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = S3rverFixture.BucketName, Prefix = prefix + "/" });
        Assert.That((objects.S3Objects ?? []).Select(o => o.Key), Is.EqualTo(new[] { prefix + "/uploads/film.bin" }));
    }

    private static Task<TestApp> StartAsync(TwoServers servers) => TestApp.StartAsync(
        s =>
        {
            s.AddUploadKit()
                .AddS3Storage(FileStorageNames.Default, o => S3rverFixture.Configure(o, BucketPrefix(servers)))
                .AddRedisStores(o =>
                {
                    o.ConnectionString = RedisFixture.ConnectionString;
                    o.KeyPrefix = servers.KeyPrefix;
                });
            s.AddTestAuthentication();
        },
        app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapResumableUploads("/files", o => o.Folder = "uploads");
        },
        kestrel: true);

    /// <summary>The servers' folder in the bucket, made from their Redis key prefix.</summary>
    private static string BucketPrefix(TwoServers servers) => "resumable-" + servers.KeyPrefix.Split(':')[1];
}
