using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;

using static UploadKit.Redis.Tests.TusRequests;

namespace UploadKit.Redis.Tests;

/// <summary>
/// Resumable uploads across two app servers sharing Redis and one storage folder, with no sticky sessions: created on
/// one, continued on the other, never appended to by both at once, and a dead server's hold runs out.
/// </summary>
[Category("Integration")]
public sealed class ResumableTwoServerTests
{
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
    public async Task Upload_CreatedOnOne_ContinuedAndCompletedOnTheOther()
    {
        var content = RandomBytes(600_000);
        var location = await CreateAsync(_servers.First, content.Length, "clip.bin");
        using (var first = await PatchAsync(_servers.First, location, 0, content[..250_000]))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        using (var head = await _servers.Second.Client.SendAsync(Tus(HttpMethod.Head, location)))
        {
            Assert.That(Offset(head), Is.EqualTo(250_000));
        }

        using (var foreign = await _servers.Second.Client.SendAsync(Tus(HttpMethod.Head, location, "mallory")))
        {
            Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        using var last = await PatchAsync(_servers.Second, location, 250_000, content[250_000..]);
        Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(Sha256(await File.ReadAllBytesAsync(Path.Combine(_servers.Folder, "uploads", "clip.bin"))), Is.EqualTo(Sha256(content)));
        Assert.That(Leftovers(), Is.Empty);
    }

    [Test]
    public async Task PatchBrokenOnOne_ResumesOnTheOther_FromTheOffsetBothAgreeOn()
    {
        var content = RandomBytes(800_000);
        var location = await CreateAsync(_servers.First, content.Length, "clip.bin");
        var id = location.Split('/')[^1];
        var store = _servers.First.Services.GetRequiredService<IResumableUploadStore>();

        // The client's connection to the first server breaks part-way through a PATCH.
        var version = (await store.GetAsync(id))!.Version;
        await SendAndCutAsync(_servers.First.Client.BaseAddress!, location, content, 0, 300_000);
        long offset;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            // Until the first server has recorded what arrived, the second one answers 423 or the old offset.
            while ((await store.GetAsync(id, timeout.Token))!.Version == version)
            {
                await Task.Delay(20, timeout.Token);
            }

            using var head = await _servers.Second.Client.SendAsync(Tus(HttpMethod.Head, location), timeout.Token);
            offset = Offset(head);
        }

        Assert.That(offset, Is.InRange(0, 300_000));
        using var rest = await PatchWhenFreeAsync(_servers.Second, location, offset, content[(int)offset..]);
        Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await rest.Content.ReadAsStringAsync());
        Assert.That(Sha256(await File.ReadAllBytesAsync(Path.Combine(_servers.Folder, "uploads", "clip.bin"))), Is.EqualTo(Sha256(content)));
        Assert.That(Leftovers(), Is.Empty);
    }

    [Test]
    public async Task HoldOfADeadServer_BlocksAppendsUntilItRunsOut()
    {
        var location = await CreateAsync(_servers.First, 3, "clip.bin");
        var id = location.Split('/')[^1];
        var store = _servers.First.Services.GetRequiredService<IResumableUploadStore>();

        // A server took the upload and died without letting go.
        var lease = await store.TryAcquireLeaseAsync(id, TimeSpan.FromSeconds(2));
        Assert.That(lease, Is.Not.Null);
        using (var blocked = await PatchAsync(_servers.Second, location, 0, "abc"u8.ToArray()))
        {
            Assert.That((int)blocked.StatusCode, Is.EqualTo(423));
        }

        using var done = await PatchWhenFreeAsync(_servers.Second, location, 0, "abc"u8.ToArray());
        Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task ConcurrentPatches_OnBothServers_OneWinsAndTheOtherIsRefused()
    {
        var content = RandomBytes(2_000_000);
        var location = await CreateAsync(_servers.First, content.Length, "clip.bin");

        var both = await Task.WhenAll(
            PatchAsync(_servers.First, location, 0, content),
            PatchAsync(_servers.Second, location, 0, content));
        var statuses = both.Select(r => (int)r.StatusCode).Order().ToArray();
        foreach (var response in both)
        {
            response.Dispose();
        }

        // Either one ran while the other was refused (423), or they ran one after the other (409 at the stale offset).
        Assert.That(statuses[0], Is.EqualTo(204));
        Assert.That(statuses[1], Is.EqualTo(409).Or.EqualTo(423));
        Assert.That(Sha256(await File.ReadAllBytesAsync(Path.Combine(_servers.Folder, "uploads", "clip.bin"))), Is.EqualTo(Sha256(content)));
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
            s.AddTestAuthentication();
        },
        app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapResumableUploads("/files", o => o.Folder = "uploads");
        },
        kestrel: true);

    /// <summary>Retries a PATCH refused with 423 (the upload is held) as a tus client does, for at most 30 seconds.</summary>
    private static async Task<HttpResponseMessage> PatchWhenFreeAsync(TestApp server, string location, long offset, byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var response = await PatchAsync(server, location, offset, bytes);
            if ((int)response.StatusCode != 423)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(50, timeout.Token);
        }
    }

    private List<string> Leftovers() =>
        [.. Directory.EnumerateFiles(_servers.Folder, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(_servers.Folder, p).Replace('\\', '/'))
            .Where(p => p.StartsWith(".uploadkit", StringComparison.Ordinal) && !p.StartsWith(".uploadkit/meta/", StringComparison.Ordinal))];

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
