using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

/// <summary>
/// Direct uploads across two app servers sharing Redis sessions, one storage folder and one signing key: begun on
/// one, uploaded and completed through the other, and still refused to another user.
/// </summary>
[Category("Integration")]
public sealed class DirectUploadTwoServerTests
{
    private static readonly string SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private TwoServers _servers = null!;

    [SetUp]
    public async Task SetUp()
    {
        RedisFixture.Require();
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
    public async Task DirectUpload_BegunOnOneServer_UploadedAndCompletedOnTheOther()
    {
        var content = RandomBytes(50_000);
        var sha256 = Sha256Hex(content);
        using var beginRequest = TestAuthentication.Request(HttpMethod.Post, "/uploads/default", "alice");
        beginRequest.Content = JsonContent.Create(new
        {
            fileName = "report.bin",
            contentType = "application/octet-stream",
            length = content.Length,
            checksumSha256 = sha256
        });
        using var begin = await _servers.First.Client.SendAsync(beginRequest);
        Assert.That(begin.StatusCode, Is.EqualTo(HttpStatusCode.Created), await begin.Content.ReadAsStringAsync());
        var upload = await begin.Content.ReadFromJsonAsync<JsonElement>();
        var id = upload.GetProperty("id").GetString()!;

        // The load balancer sends the PUT to the other server: same path and query, other host.
        var signed = new Uri(upload.GetProperty("url").GetString()!);
        using var put = new HttpRequestMessage(HttpMethod.Put, new Uri(_servers.Second.Client.BaseAddress!, signed.PathAndQuery))
        {
            Content = new ByteArrayContent(content)
        };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using (var response = await _servers.Second.Client.SendAsync(put))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        }

        using var foreign = await _servers.Second.Client.SendAsync(TestAuthentication.Request(HttpMethod.Post, $"/uploads/{id}/complete", "mallory"));
        Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        using var complete = await _servers.Second.Client.SendAsync(TestAuthentication.Request(HttpMethod.Post, $"/uploads/{id}/complete", "alice"));
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.OK), await complete.Content.ReadAsStringAsync());
        var reference = await complete.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(reference.GetProperty("checksumSha256").GetString(), Is.EqualTo(sha256));

        var storage = _servers.First.Services.GetRequiredService<IStorageRegistry>().Default;
        await using var stored = await storage.OpenReadAsync(reference.GetProperty("name").GetString()!);
        Assert.That(await Sha256HexAsync(stored), Is.EqualTo(sha256));
        var session = await _servers.First.Services.GetRequiredService<IUploadSessionStore>().GetAsync(id);
        Assert.That(session!.State, Is.EqualTo(UploadSessionState.Completed));
    }

    private static Task<TestApp> StartAsync(TwoServers servers) => TestApp.StartAsync(
        s =>
        {
            s.AddUploadKit()
                .AddStorage(FileStorageNames.Default, _ => new FileSystemStorage(new FileSystemStorageOptions { Location = servers.Folder }))
                .AddRedisStores(o =>
                {
                    o.ConnectionString = RedisFixture.ConnectionString;
                    o.KeyPrefix = servers.KeyPrefix;
                });
            s.Configure<DirectUploadOptions>(o => o.SigningKey = SigningKey);
            s.AddTestAuthentication();
        },
        app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapDirectUploads("/uploads", FileStorageNames.Default);
        },
        kestrel: true);
}
