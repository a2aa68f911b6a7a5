using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Scanning.ClamAv.Tests;

/// <summary>Uploads scanned by a real clamd (Debian's clamav-daemon) with the tests' own signature database.</summary>
[NonParallelizable]
public sealed class ClamdScanningTests
{
    [SetUp]
    public void RequireClamd() => ClamdFixture.Require();

    [Test]
    public async Task Multipart_Eicar_Is400NamingFieldAndSignature_AndQuarantinedWithMetadata_AndNothingStays()
    {
        await using var app = await ScanningApp.StartAsync(ClamdFixture.Server.Endpoint);

        using var response = await app.PostFileAsync("/upload", "eicar.com", TestSignatures.Eicar);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await ScanningApp.ReadJsonAsync(response);
        Assert.That(
            problem.GetProperty("errors").GetProperty("file")[0].GetString(),
            Does.Contain(TestSignatures.EicarFileName).Or.Contain(TestSignatures.EicarBodyName));
        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("malware"));
        Assert.That(problem.GetProperty("fileName").GetString(), Is.EqualTo("eicar.com"));
        Assert.That(await app.ListAsync(FileStorageNames.Default), Is.Empty, "nothing stored where the app looks");
        Assert.That(await app.WaitForNoTempFilesAsync(), Is.Empty, "no temporary file left");

        var quarantined = (await app.ListAsync(ScanningOptions.DefaultQuarantineStorage)).Single();
        var storage = app.Storages[ScanningOptions.DefaultQuarantineStorage];
        await using (var read = await storage.OpenReadAsync(quarantined.Name))
        {
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.That(copy.ToArray(), Is.EqualTo(TestSignatures.Eicar), "the quarantine holds the infected bytes, for review");
        }

        var metadata = (await storage.GetMetadataAsync(quarantined.Name))!.Metadata;
        Assert.That(metadata["scan-verdict"], Does.StartWith("infected: UploadKit.Test."));
        Assert.That(metadata["field"], Is.EqualTo("file"));
        Assert.That(metadata["file-name"], Is.EqualTo("eicar.com"));
        Assert.That(
            DateTimeOffset.Parse(metadata["scanned-on"], System.Globalization.CultureInfo.InvariantCulture),
            Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(5)));
        Assert.That(metadata.ContainsKey("owner"), Is.True, "the owner is recorded (empty for an anonymous upload)");
    }

    [Test]
    public async Task Multipart_GeneratedTestFile_IsRefusedByItsSha256Signature()
    {
        await using var app = await ScanningApp.StartAsync(ClamdFixture.Server.Endpoint, quarantine: false);

        using var response = await app.PostFileAsync("/upload", "generated.bin", TestSignatures.GeneratedFile);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(TestSignatures.GeneratedName));
        Assert.That(await app.ListAsync(FileStorageNames.Default), Is.Empty);
        Assert.That(await app.WaitForNoTempFilesAsync(), Is.Empty, "without a quarantine, the infected bytes are deleted");
    }

    [TestCase(64 * 1024)]
    [TestCase((64 * 1024) - 34)]
    [TestCase((3 * 1024 * 1024) - 1)]
    public async Task Multipart_EicarInsideALargerFileAtAChunkBoundary_IsRefused(int offset)
    {
        await using var app = await ScanningApp.StartAsync(ClamdFixture.Server.Endpoint);
        var content = RandomBytes(offset + (1024 * 1024));
        TestSignatures.Eicar.CopyTo(content, offset);

        using var response = await app.PostFileAsync("/upload", "big.bin", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(TestSignatures.EicarBodyName));
        Assert.That(await app.ListAsync(FileStorageNames.Default), Is.Empty);
        Assert.That(await app.WaitForNoTempFilesAsync(), Is.Empty);
        var quarantined = (await app.ListAsync(ScanningOptions.DefaultQuarantineStorage)).Single();
        Assert.That(quarantined.Length, Is.EqualTo(content.Length));
    }

    [Test]
    public async Task RawBody_Eicar_IsRefused()
    {
        await using var app = await ScanningApp.StartAsync(ClamdFixture.Server.Endpoint);
        var body = new ByteArrayContent(TestSignatures.Eicar);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        using var response = await app.Client.PostAsync("/raw/eicar.txt", body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("UploadKit.Test.Eicar"));
        Assert.That(await app.ListAsync(FileStorageNames.Default), Is.Empty);
    }

    [Test]
    public async Task Multipart_CleanFile_IsStored_OverUnixSocketToo()
    {
        foreach (var endpoint in new[] { ClamdFixture.Server.Endpoint, ClamdFixture.Server.UnixEndpoint })
        {
            await using var app = await ScanningApp.StartAsync(endpoint);
            var content = RandomBytes(300_000);

            using var response = await app.PostFileAsync("/upload", "clean.bin", content);

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), endpoint);
            var stored = (await app.ListAsync(FileStorageNames.Default)).Single();
            Assert.That(stored.Length, Is.EqualTo(content.Length));
            Assert.That(await app.ListAsync(ScanningOptions.DefaultQuarantineStorage), Is.Empty);
        }
    }

    [Test]
    public async Task Multipart_Clean100MiB_IsStored_AndTheScanKeepsPace()
    {
        await using var app = await ScanningApp.StartAsync(ClamdFixture.Server.Endpoint, kestrel: true);
        var content = RandomBytes(100 * 1024 * 1024);

        var watch = Stopwatch.StartNew();
        using var response = await app.PostFileAsync("/upload", "clean-100mib.bin", content);
        watch.Stop();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var stored = (await app.ListAsync(FileStorageNames.Default)).Single();
        Assert.That(stored.Length, Is.EqualTo(content.Length));
        TestContext.Progress.WriteLine($"100 MiB scanned upload: {watch.Elapsed.TotalSeconds:0.00} s, {100 / watch.Elapsed.TotalSeconds:0.0} MiB/s");
    }

    [Test]
    public async Task Multipart_OverStreamMaxLength_Is413_NeverPassedUnscanned_EvenWhenFailingOpen()
    {
        await using var app = await ScanningApp.StartAsync(ClamdFixture.Server.Endpoint, clamAv: o => o.StreamMaxLength = 256 * 1024);

        foreach (var path in new[] { "/upload", "/open/upload" })
        {
            using var response = await app.PostFileAsync(path, "big.bin", RandomBytes((256 * 1024) + 1));

            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), path);
            Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("larger than the malware scanner"));
        }

        Assert.That(await app.ListAsync(FileStorageNames.Default), Is.Empty);
        Assert.That(await app.WaitForNoTempFilesAsync(), Is.Empty);
    }

    [Test]
    public async Task Multipart_ClamdStoppedMidUpload_Is503_AndNothingIsStored()
    {
        await using var clamd = await ClamdServer.StartAsync();
        await using var app = await ScanningApp.StartAsync(clamd.Endpoint, kestrel: true);
        var content = RandomBytes(32 * 1024 * 1024);
        var body = new MultipartBodyBuilder().AddFile("file", "big.bin", content).Build();
        var stopped = false;
        var request = new StreamContent(new CallbackStream(body, 4 * 1024 * 1024, async () =>
        {
            await clamd.StopAsync();
            stopped = true;
        }));
        request.Headers.ContentType = MediaTypeHeaderValue.Parse(new MultipartBodyBuilder().ContentType);

        using var response = await app.Client.PostAsync("/upload", request);

        Assert.That(stopped, Is.True, "clamd was stopped while the body was being sent");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), await response.Content.ReadAsStringAsync());
        Assert.That(await app.ListAsync(FileStorageNames.Default), Is.Empty);
        Assert.That(await app.WaitForNoTempFilesAsync(), Is.Empty);
    }

    [Test]
    public async Task SlowClamd_TimesOut_503_OrPassesWhereTheEndpointFailsOpen()
    {
        await using var clamd = FakeClamd.StartTcp();
        clamd.VerdictDelay = TimeSpan.FromSeconds(60);
        await using var app = await ScanningApp.StartAsync(clamd.Endpoint, scanning: o => o.Timeout = TimeSpan.FromMilliseconds(500));

        using var closed = await app.PostFileAsync("/upload", "a.bin", RandomBytes(1000));
        using var open = await app.PostFileAsync("/open/upload", "a.bin", RandomBytes(1000));

        Assert.That(closed.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        var problem = await ScanningApp.ReadJsonAsync(closed);
        Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Malware scanner unavailable"));
        Assert.That(open.StatusCode, Is.EqualTo(HttpStatusCode.OK), "failed open: accepted unscanned, logged and counted");
        Assert.That(await app.ListAsync(FileStorageNames.Default), Has.Count.EqualTo(1), "only the fail-open upload was stored");
    }

    [Test]
    public async Task DirectUpload_Eicar_IsRejectedAtCompletion_Quarantined_AndDeleted_CleanOneRecordsItsVerdict()
    {
        await using var app = await ScanningApp.StartAsync(ClamdFixture.Server.Endpoint);
        var uploads = app.Services.GetRequiredService<IDirectUploads>();
        var storage = app.Storages.Default;

        var infected = await uploads.BeginAsync(FileStorageNames.Default, new DirectUploadRequest("eicar.txt", "text/plain"));
        await storage.SaveAsync(infected.ObjectName, new MemoryStream([.. RandomBytes(100_000), .. TestSignatures.Eicar]));
        var refusal = Assert.ThrowsAsync<UploadRejectedException>(() => uploads.CompleteAsync(infected.Id));
        Assert.That(refusal!.StatusCode, Is.EqualTo(400));
        Assert.That(refusal.Errors!["file"][0], Does.Contain(TestSignatures.EicarBodyName));
        var status = await uploads.GetAsync(infected.Id);
        Assert.That(status!.State, Is.EqualTo(Stores.UploadSessionState.Rejected));
        Assert.That(status.RejectionReason, Does.Contain(TestSignatures.EicarBodyName), "the verdict is recorded with the session");
        Assert.That(await app.ListAsync(FileStorageNames.Default), Is.Empty, "neither the uploaded key nor a sealed copy stays");
        var quarantined = (await app.ListAsync(ScanningOptions.DefaultQuarantineStorage)).Single();
        var metadata = (await app.Storages[ScanningOptions.DefaultQuarantineStorage].GetMetadataAsync(quarantined.Name))!.Metadata;
        Assert.That(
            metadata["source"], Does.StartWith($"{FileStorageNames.Default}/uploads/").And.EndWith("/eicar.txt"), "the scanned (sealed) object");

        var clean = await uploads.BeginAsync(FileStorageNames.Default, new DirectUploadRequest("clean.txt", "text/plain"));
        await storage.SaveAsync(clean.ObjectName, new MemoryStream(RandomBytes(100_000)));
        var bound = await uploads.CompleteAsync(clean.Id);
        Assert.That(bound.Length, Is.EqualTo(100_000));
        Assert.That((await uploads.GetAsync(clean.Id))!.ScanVerdict, Is.EqualTo("clean"));
    }

    [Test]
    public async Task DirectUpload_ScannerDown_Is503_AndTheSessionStaysPending()
    {
        await using var app = await ScanningApp.StartAsync($"tcp://127.0.0.1:{ServiceProcess.GetFreePort()}");
        var uploads = app.Services.GetRequiredService<IDirectUploads>();
        var upload = await uploads.BeginAsync(FileStorageNames.Default, new DirectUploadRequest("a.txt", "text/plain"));
        await app.Storages.Default.SaveAsync(upload.ObjectName, new MemoryStream(RandomBytes(1000)));

        var refusal = Assert.ThrowsAsync<UploadRejectedException>(() => uploads.CompleteAsync(upload.Id));

        Assert.That(refusal!.StatusCode, Is.EqualTo(503));
        Assert.That((await uploads.GetAsync(upload.Id))!.State, Is.EqualTo(Stores.UploadSessionState.Pending), "the client may complete again later");
        Assert.That(
            (await app.ListAsync(FileStorageNames.Default)).Select(f => f.Name), Is.EqualTo(new[] { upload.ObjectName }), "no sealed copy was left");
    }

    /// <summary>A body stream that runs a callback once, after <c>at</c> bytes were read.</summary>
    private sealed class CallbackStream(byte[] content, int at, Func<Task> callback) : MemoryStream(content)
    {
        private bool _called;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_called && Position >= at)
            {
                _called = true;
                await callback();
            }

            return await base.ReadAsync(buffer[..Math.Min(buffer.Length, 64 * 1024)], cancellationToken);
        }
    }
}
