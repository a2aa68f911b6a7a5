using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using static UploadKit.Tests.Resumable.ResumableApp;

namespace UploadKit.Tests.Resumable;

/// <summary>tus 1.0.0 on the resumable route, as a client speaks it: status codes, headers, and the files left on disk.</summary>
public sealed class TusProtocolTests
{
    [Test]
    public async Task Options_AdvertisesTheVersionExtensionsMaximumAndChecksums()
    {
        await using var app = await StartAsync(o => o.MaxSize = 1000);
        using var response = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/files"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(response.Headers.GetValues("Tus-Version").Single(), Is.EqualTo("1.0.0"));
        Assert.That(response.Headers.GetValues("Tus-Extension").Single().Split(','),
            Is.SupersetOf(new[] { "creation", "creation-with-upload", "creation-defer-length", "termination", "checksum", "expiration" }));
        Assert.That(response.Headers.GetValues("Tus-Max-Size").Single(), Is.EqualTo("1000"));
        Assert.That(response.Headers.GetValues("Tus-Checksum-Algorithm").Single().Split(','), Does.Contain("sha1").And.Contain("sha256"));
    }

    [Test]
    public async Task Upload_InChunks_IsStoredWhole_AndBoundOnce()
    {
        await using var app = await StartAsync(o => o.Checksums.Add("sha256"));
        var content = RandomBytes(300_000);
        var location = await app.CreateTusAsync(content.Length, "naïve clip.bin");

        using (var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location)))
        {
            Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Offset(head), Is.Zero);
            Assert.That(head.Headers.GetValues("Upload-Length").Single(), Is.EqualTo("300000"));
            Assert.That(head.Headers.CacheControl!.NoStore, Is.True);
            Assert.That(head.Headers.GetValues("Upload-Metadata").Single(), Does.Contain("filename "));
        }

        var offset = 0;
        foreach (var size in new[] { 1, 65_535, 100_000, 134_464 })
        {
            using var patch = await app.PatchTusAsync(location, offset, content[offset..(offset + size)]);
            Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await patch.Content.ReadAsStringAsync());
            offset += size;
            Assert.That(Offset(patch), Is.EqualTo(offset));
        }

        var completed = app.Completed.Single();
        Assert.That(completed.File.Name, Is.EqualTo("uploads/naïve_clip.bin").Or.EqualTo("uploads/naïve clip.bin"));
        Assert.That(completed.File.StorageName, Is.EqualTo("default"));
        Assert.That(completed.Checksums["sha256"], Is.EqualTo(Convert.ToHexStringLower(SHA256.HashData(content))));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(app.Media, completed.File.Name)), Is.EqualTo(content));
        Assert.That(app.MediaFiles(), Is.EqualTo(new[] { completed.File.Name }), "nothing but the file");
    }

    [Test]
    public async Task CreationWithUpload_StoresTheFirstBytes()
    {
        await using var app = await StartAsync();
        using var request = Tus(HttpMethod.Post, "/files");
        request.Headers.Add("Upload-Length", "10");
        request.Content = new ByteArrayContent("01234"u8.ToArray());
        request.Content.Headers.ContentType = new("application/offset+octet-stream");
        using var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(Offset(response), Is.EqualTo(5));
        using var rest = await app.PatchTusAsync(response.Headers.Location!.AbsolutePath, 5, "56789"u8.ToArray());
        Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await File.ReadAllTextAsync(Path.Combine(app.Media, app.Completed.Single().File.Name)), Is.EqualTo("0123456789"));
    }

    [Test]
    public async Task DeferredLength_IsDeclaredByALaterPatch_AndCompletesThere()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(null);
        using (var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location)))
        {
            Assert.That(head.Headers.GetValues("Upload-Defer-Length").Single(), Is.EqualTo("1"));
        }

        using var first = await app.PatchTusAsync(location, 0, "abc"u8.ToArray());
        Assert.That(app.Completed, Is.Empty);
        using var last = await app.PatchTusAsync(location, 3, "def"u8.ToArray(), edit: r => r.Headers.Add("Upload-Length", "6"));

        Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(app.Completed.Single().File.Length, Is.EqualTo(6));
    }

    [Test]
    public async Task ZeroByteUpload_CompletesAtCreation()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(0, "empty.txt", "text/plain");

        using var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location));
        Assert.That(Offset(head), Is.Zero);
        Assert.That(app.Completed.Single().File.Length, Is.Zero);
        Assert.That(new FileInfo(Path.Combine(app.Media, app.Completed.Single().File.Name)).Length, Is.Zero);
    }

    [Test]
    public async Task Patch_AtTheWrongOffset_Is409WithTheOffset()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(10);
        using var first = await app.PatchTusAsync(location, 0, "abc"u8.ToArray());

        using var response = await app.PatchTusAsync(location, 2, "xyz"u8.ToArray());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(Offset(response), Is.EqualTo(3));
    }

    [Test]
    public async Task Patch_PastTheDeclaredLength_Is413_AndKeepsNothingOfIt()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(4);

        using var response = await app.PatchTusAsync(location, 0, "abcdef"u8.ToArray());

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        using var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location));
        Assert.That(Offset(head), Is.Zero);
        using var ok = await app.PatchTusAsync(location, 0, "abcd"u8.ToArray());
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Upload_LargerThanMaxSize_IsRefusedAtCreation()
    {
        await using var app = await StartAsync(o => o.MaxSize = 100);
        using var request = Tus(HttpMethod.Post, "/files");
        request.Headers.Add("Upload-Length", "101");

        using var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(app.MediaFiles(), Is.Empty);
    }

    [TestCase("sha1")]
    [TestCase("sha256")]
    public async Task Checksum_Matching_IsAccepted_Mismatching_Is460AndDiscarded(string algorithm)
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(6);
        var name = HashAlgorithmName.FromOid(algorithm == "sha1" ? "1.3.14.3.2.26" : "2.16.840.1.101.3.4.2.1");
        var good = Convert.ToBase64String(IncrementalHashOf(name, "abc"u8.ToArray()));

        using var bad = await app.PatchTusAsync(location, 0, "abd"u8.ToArray(), edit: r => r.Headers.Add("Upload-Checksum", $"{algorithm} {good}"));
        Assert.That((int)bad.StatusCode, Is.EqualTo(460));
        using (var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location)))
        {
            Assert.That(Offset(head), Is.Zero);
        }

        using var ok = await app.PatchTusAsync(location, 0, "abc"u8.ToArray(), edit: r => r.Headers.Add("Upload-Checksum", $"{algorithm} {good}"));
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(Offset(ok), Is.EqualTo(3));
    }

    [Test]
    public async Task Checksum_WithAnUnsupportedAlgorithm_Is400()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(3);

        using var response = await app.PatchTusAsync(location, 0, "abc"u8.ToArray(), edit: r => r.Headers.Add("Upload-Checksum", "crc32 AAAAAA=="));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Request_WithoutTusResumable_Is412WithTheVersion()
    {
        await using var app = await StartAsync();
        using var request = TestAuthenticationRequest(HttpMethod.Post, "/files");
        request.Headers.Add("Upload-Length", "3");

        using var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PreconditionFailed));
        Assert.That(response.Headers.GetValues("Tus-Version").Single(), Is.EqualTo("1.0.0"));
    }

    [Test]
    public async Task Patch_WithTheWrongContentType_Is415()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(3);

        using var response = await app.PatchTusAsync(location, 0, "abc"u8.ToArray(), edit: r => r.Content!.Headers.ContentType = new("text/plain"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task Upload_OfAnotherUser_OrUnknown_Is404()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(3);

        using var other = await app.Client.SendAsync(Tus(HttpMethod.Head, location, "mallory"));
        using var otherPatch = await app.PatchTusAsync(location, 0, "abc"u8.ToArray(), user: "mallory");
        using var unknown = await app.Client.SendAsync(Tus(HttpMethod.Head, "/files/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        using var anonymous = await app.Client.SendAsync(Tus(HttpMethod.Head, location, user: null));

        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(otherPatch.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Termination_RemovesEverything_AndTheUploadIsGone()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(10);
        using var patch = await app.PatchTusAsync(location, 0, "abcde"u8.ToArray());
        Assert.That(app.MediaFiles(), Is.Not.Empty, "the bytes wait in the storage");

        using var delete = await app.Client.SendAsync(Tus(HttpMethod.Delete, location));
        using var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location));
        using var again = await app.PatchTusAsync(location, 5, "fghij"u8.ToArray());

        Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(app.MediaFiles(), Is.Empty);
    }

    [Test]
    public async Task Expiry_AnswersGone_AndTheSweepRemovesTheBytes()
    {
        await using var app = await StartAsync(o => o.Expiration = TimeSpan.FromMinutes(10));
        var location = await app.CreateTusAsync(10);
        using var patch = await app.PatchTusAsync(location, 0, "abcde"u8.ToArray());
        Assert.That(patch.Headers.GetValues("Upload-Expires").Single(), Is.EqualTo(app.Time.GetUtcNow().AddMinutes(10).ToString("R")));

        app.Time.Advance(TimeSpan.FromMinutes(11));
        using var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.Gone));

        // The app's own sweeper runs on the same clock and may get there first; either sweep ends the upload once.
        var id = location.Split('/')[^1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await app.Store.GetAsync(id))!.State == ResumableUploadState.Receiving)
        {
            await app.Service.SweepAsync(TimeSpan.FromMinutes(1), TimeSpan.FromHours(1), timeout.Token);
            await Task.Delay(10, timeout.Token);
        }

        Assert.That((await app.Store.GetAsync(id))!.State, Is.EqualTo(ResumableUploadState.Expired));
        Assert.That(app.MediaFiles(), Is.Empty);
    }

    [Test]
    public async Task Validator_RefusesAWrongFileAtItsFirstBytes_AndRemovesTheUpload()
    {
        await using var app = await StartAsync(uploadKit: b => b.AddValidator(FileValidators.Signature(), "file"));
        var location = await app.CreateTusAsync(100_000, "photo.png", "image/png");

        using var response = await app.PatchTusAsync(location, 0, RandomBytes(50_000));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"file\""));
        using var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
        Assert.That(app.MediaFiles(), Is.Empty);
        Assert.That(app.Completed, Is.Empty);
    }

    [Test]
    public async Task Validator_OnTheRoute_RefusesAtCreationByName()
    {
        await using var app = await StartAsync(route: r => r.WithFileValidators("file", FileValidators.Extensions(".pdf")));

        using var request = Tus(HttpMethod.Post, "/files");
        request.Headers.Add("Upload-Length", "3");
        request.Headers.Add("Upload-Metadata", $"filename {B64("run.exe")}");
        using var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Quota_IsReservedAsBytesArrive_RefusedPastIt_AndGivenBackOnTermination()
    {
        await using var app = await StartAsync(o => o.Quota = new QuotaOptions { LimitBytes = 1000, ReservationSliceBytes = 100 });
        var quota = (IQuotaStore)app.App.Services.GetService(typeof(IQuotaStore))!;
        var location = await app.CreateTusAsync(2000);

        using var within = await app.PatchTusAsync(location, 0, RandomBytes(900));
        Assert.That(within.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await quota.GetUsageAsync("alice"), Is.EqualTo(900));
        using var over = await app.PatchTusAsync(location, 900, RandomBytes(200));
        Assert.That(over.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await quota.GetUsageAsync("alice"), Is.EqualTo(900), "the refused append holds nothing");
        using var mismatch = await app.PatchTusAsync(
            location, 900, RandomBytes(50), edit: r => r.Headers.Add("Upload-Checksum", "sha1 AAAAAAAAAAAAAAAAAAAAAAAAAAA="));
        Assert.That((int)mismatch.StatusCode, Is.EqualTo(460));
        Assert.That(await quota.GetUsageAsync("alice"), Is.EqualTo(900), "an append that was not recorded holds nothing");

        using var delete = await app.Client.SendAsync(Tus(HttpMethod.Delete, location));
        Assert.That(await quota.GetUsageAsync("alice"), Is.Zero);
    }

    [Test]
    public async Task Quota_OfACompletedUpload_IsKeptAsUsage()
    {
        await using var app = await StartAsync(o => o.Quota = new QuotaOptions { LimitBytes = 1000, ReservationSliceBytes = 64 });
        var quota = (IQuotaStore)app.App.Services.GetService(typeof(IQuotaStore))!;
        var location = await app.CreateTusAsync(300);

        using var patch = await app.PatchTusAsync(location, 0, RandomBytes(300));

        Assert.That(await quota.GetUsageAsync("alice"), Is.EqualTo(300));
    }

    [Test]
    public async Task Patch_WhileAnotherAppendRuns_Is423()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(10);
        var gate = new TaskCompletionSource();
        var slow = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new GatedContent("abc"u8.ToArray(), gate.Task) };
        slow.Headers.Add("Tus-Resumable", "1.0.0");
        slow.Headers.Add("Upload-Offset", "0");
        slow.Headers.Add(UploadKit.Testing.TestAuthentication.UserHeader, "alice");
        slow.Content.Headers.ContentType = new("application/offset+octet-stream");
        var first = app.Client.SendAsync(slow);
        await WaitForLeaseAsync(app, location.Split('/')[^1]);

        using var second = await app.PatchTusAsync(location, 0, "abc"u8.ToArray());
        gate.SetResult();
        using var firstResponse = await first;

        Assert.That((int)second.StatusCode, Is.EqualTo(423));
        Assert.That(firstResponse.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(Offset(firstResponse), Is.EqualTo(3));
    }

    [Test]
    public async Task MethodOverride_PatchAndDelete_ThroughPost()
    {
        await using var app = await StartAsync();
        var location = await app.CreateTusAsync(3);

        using var patch = await app.PatchTusAsync(location, 0, "abc"u8.ToArray(), edit: r =>
        {
            r.Method = HttpMethod.Post;
            r.Headers.Add("X-HTTP-Method-Override", "PATCH");
        });

        Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(app.Completed, Has.Count.EqualTo(1));
    }

    private static async Task WaitForLeaseAsync(ResumableApp app, string id)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await app.Store.TryAcquireLeaseAsync(id, TimeSpan.FromMilliseconds(1)) is { } token)
        {
            await app.Store.ReleaseLeaseAsync(id, token);
            await Task.Delay(10, timeout.Token);
        }
    }

    private static byte[] IncrementalHashOf(HashAlgorithmName name, byte[] bytes)
    {
        using var hash = IncrementalHash.CreateHash(name);
        hash.AppendData(bytes);
        return hash.GetHashAndReset();
    }

    private static HttpRequestMessage TestAuthenticationRequest(HttpMethod method, string uri) =>
        UploadKit.Testing.TestAuthentication.Request(method, uri, "alice");

    /// <summary>A body that sends its bytes once the gate opens.</summary>
    private sealed class GatedContent(byte[] bytes, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, 1));
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(bytes.AsMemory(1));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
