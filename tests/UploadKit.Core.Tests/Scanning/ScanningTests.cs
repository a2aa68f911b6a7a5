using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Scanning;

/// <summary>The scanning stage and the direct-upload scan, with an in-process scanner that finds a marker.</summary>
[NonParallelizable]
public sealed class ScanningTests : TempDirectoryTests
{
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("UPLOADKIT-TEST-MALWARE");

    private InMemoryStorage _media = null!;
    private InMemoryStorage _quarantine = null!;

    [SetUp]
    public void SetUpStorages()
    {
        _media = new InMemoryStorage();
        _quarantine = new InMemoryStorage();
    }

    private async Task<TestApp> StartAsync(
        MarkerScanner scanner, bool quarantine = true, Action<ScanningOptions>? options = null, Action<IServiceCollection>? services = null)
    {
        return await TestApp.StartAsync(
            s =>
            {
                var builder = s.AddUploadKit(o => o.TempFileDirectory = Temp)
                    .AddStorage(FileStorageNames.Default, _ => _media)
                    .AddScanning(_ => scanner, options);
                if (quarantine)
                {
                    builder.AddStorage(ScanningOptions.DefaultQuarantineStorage, _ => _quarantine);
                }

                s.Configure<DirectUploadOptions>(o => o.SigningKey = Convert.ToBase64String(new byte[32]));
                services?.Invoke(s);
            },
            web =>
            {
                web.MapPost("/upload", SaveAllAsync);
                web.MapResumableUploads("/resumable", o => o.Authorization.AllowAnonymous = true);
                web.MapPost("/open/upload", SaveAllAsync).WithScanFailOpen();
                web.MapPost("/progress/upload", SaveAllAsync)
                    .WithUploadHandlers(_ => new ProgressUploadHandler(), _ => new MemoryUploadHandler(), _ => new TemporaryFileUploadHandler());
            });
    }

    private static async Task<IResult> SaveAllAsync(UploadForm form, IStorageRegistry storages, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var file in form.Files)
        {
            names.Add(await file.SaveAsync(storages.Default, cancellationToken: cancellationToken));
        }

        return Results.Ok(names);
    }

    private static HttpContent Files(params (string Field, string Name, byte[] Content)[] files)
    {
        var builder = new MultipartBodyBuilder().AddField("title", "x");
        foreach (var (field, name, content) in files)
        {
            builder.AddFile(field, name, content);
        }

        return UploadApp.Multipart(builder);
    }

    private static byte[] Infected(int length, int at)
    {
        var content = RandomBytes(length);
        Marker.CopyTo(content, at);
        return content;
    }

    private async Task<int> CountAsync(IFileStorage storage)
    {
        var count = 0;
        await foreach (var unused in storage.ListAsync())
        {
            count++;
        }

        return count;
    }

    private string[] TempFiles() => Directory.GetFiles(Temp, "*", SearchOption.AllDirectories);

    [Test]
    public async Task CleanFiles_ReachTheEndpoint_AndTheScannerSawEachFilesBytesExactly()
    {
        var scanner = new MarkerScanner(Marker);
        await using var app = await StartAsync(scanner);
        var small = RandomBytes(1000);
        var large = RandomBytes(5 * 1024 * 1024); // past the memory threshold: a temporary file

        var response = await app.Client.PostAsync("/upload", Files(("a", "small.bin", small), ("b", "large.bin", large)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(scanner.Scanned, Has.Count.EqualTo(2));
        Assert.That(scanner.Scanned[0], Is.EqualTo(small));
        Assert.That(scanner.Scanned[1], Is.EqualTo(large));
        Assert.That(await CountAsync(_media), Is.EqualTo(2));
    }

    [Test]
    public async Task InfectedFile_Is400NamingFieldAndSignature_NothingStays_AndItIsQuarantinedWithMetadata()
    {
        var scanner = new MarkerScanner(Marker);
        await using var app = await StartAsync(scanner);
        var infected = Infected(4 * 1024 * 1024, 3 * 1024 * 1024);

        var response = await app.Client.PostAsync("/upload", Files(("clean", "ok.bin", RandomBytes(100)), ("doc", "bad.pdf", infected)));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(
            problem.RootElement.GetProperty("errors").GetProperty("doc")[0].GetString(), Is.EqualTo("The file contains malware (Test.Marker)."));
        Assert.That(problem.RootElement.GetProperty("fileName").GetString(), Is.EqualTo("bad.pdf"));
        Assert.That(problem.RootElement.GetProperty("title").GetString(), Is.EqualTo("One or more validation errors occurred."));
        Assert.That(await CountAsync(_media), Is.Zero, "the endpoint never ran");
        Assert.That(TempFiles(), Is.Empty, "the infected file's temporary file was deleted");
        StoredFileInfo? quarantined = null;
        await foreach (var info in _quarantine.ListAsync())
        {
            quarantined = info;
        }

        Assert.That(quarantined, Is.Not.Null);
        Assert.That(quarantined!.Name, Does.EndWith("/bad.pdf.quarantined"));
        await using (var read = await _quarantine.OpenReadAsync(quarantined.Name))
        {
            Assert.That(await Sha256HexAsync(read), Is.EqualTo(Sha256Hex(infected)));
        }

        var metadata = (await _quarantine.GetMetadataAsync(quarantined.Name))!.Metadata;
        Assert.That(metadata["scan-verdict"], Is.EqualTo("infected: Test.Marker"));
        Assert.That(metadata["scan-signature"], Is.EqualTo("Test.Marker"));
        Assert.That(metadata["field"], Is.EqualTo("doc"));
        Assert.That(metadata["file-name"], Is.EqualTo("bad.pdf"));
        Assert.That(metadata["owner"], Is.Empty);
        Assert.That(metadata["scanned-on"], Is.Not.Empty);
    }

    [Test]
    public async Task InfectedFile_WithoutQuarantine_IsDeleted()
    {
        await using var app = await StartAsync(new MarkerScanner(Marker), quarantine: false);

        var response = await app.Client.PostAsync("/upload", Files(("file", "bad.bin", Infected(3 * 1024 * 1024, 10))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await CountAsync(_media), Is.Zero);
        Assert.That(TempFiles(), Is.Empty);
    }

    [Test]
    public async Task ScannerFails_Is503_ButAFailOpenEndpointAcceptsTheFile_LoggedAndCounted()
    {
        var counts = new ConcurrentDictionary<string, long>();
        using var listener = Listen(counts);
        var scanner = new MarkerScanner(Marker) { Failure = new IOException("connection refused") };
        await using var app = await StartAsync(scanner);

        var closed = await app.Client.PostAsync("/upload", Files(("file", "a.bin", RandomBytes(1000))));
        var open = await app.Client.PostAsync("/open/upload", Files(("file", "a.bin", RandomBytes(1000))));

        Assert.That(closed.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await closed.Content.ReadAsStringAsync(), Does.Contain("Malware scanner unavailable"));
        Assert.That(open.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await CountAsync(_media), Is.EqualTo(1), "only the fail-open upload was kept");
        Assert.That(counts.GetValueOrDefault("uploadkit.scans.failed_open"), Is.EqualTo(1));
        Assert.That(counts.GetValueOrDefault("uploadkit.scans"), Is.EqualTo(2));
    }

    [Test]
    public async Task ScannerThatStopsReading_TimesOut_503_WithBoundedMemory()
    {
        var scanner = new MarkerScanner(Marker) { NeverRead = true };
        await using var app = await StartAsync(scanner, options: o =>
        {
            o.Timeout = TimeSpan.FromMilliseconds(300);
            o.MaxBufferedBytes = 64 * 1024;
        });

        var response = await app.Client.PostAsync("/upload", Files(("file", "a.bin", RandomBytes(8 * 1024 * 1024))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await CountAsync(_media), Is.Zero);
        Assert.That(TempFiles(), Is.Empty);
    }

    [Test]
    public async Task ScannerWithoutAVerdictInTime_Is503()
    {
        var release = new TaskCompletionSource();
        var scanner = new MarkerScanner(Marker) { BeforeVerdict = _ => release.Task };
        await using var app = await StartAsync(scanner, options: o => o.Timeout = TimeSpan.FromMilliseconds(300));

        var response = await app.Client.PostAsync("/upload", Files(("file", "a.bin", RandomBytes(1000))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        release.SetResult();
    }

    [Test]
    public async Task TooLargeForTheScanner_Is413_EvenWhenFailingOpen()
    {
        var scanner = new MarkerScanner(Marker) { Limit = 10_000 };
        await using var app = await StartAsync(scanner);

        var response = await app.Client.PostAsync("/open/upload", Files(("file", "a.bin", RandomBytes(20_000))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await CountAsync(_media), Is.Zero);
    }

    [Test]
    public async Task Progress_ShowsScanningWhileTheVerdictIsAwaited()
    {
        var id = Guid.NewGuid().ToString("N");
        UploadProgress? seen = null;
        IUploadProgressStore? store = null;
        var scanner = new MarkerScanner(Marker)
        {
            BeforeVerdict = async _ => seen = await store!.GetAsync(id),
        };
        await using var app = await StartAsync(scanner);
        store = app.Services.GetRequiredService<IUploadProgressStore>();
        var request = new HttpRequestMessage(HttpMethod.Post, "/progress/upload") { Content = Files(("file", "a.bin", RandomBytes(1000))) };
        request.Headers.Add(ProgressUploadHandler.HeaderName, id);

        var response = await app.Client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(seen!.State, Is.EqualTo(UploadProgressState.Scanning), "a page polling progress shows \"scanning…\"");
        Assert.That(seen.IsFinal, Is.False);
        Assert.That((await store.GetAsync(id))!.State, Is.EqualTo(UploadProgressState.Complete));
    }

    [Test]
    public async Task DirectUpload_InfectedObject_IsRejectedQuarantinedAndDeleted_CleanOneBindsWithItsVerdict()
    {
        await using var app = await StartAsync(new MarkerScanner(Marker));
        var uploads = app.Services.GetRequiredService<IDirectUploads>();
        var bad = await uploads.BeginAsync(FileStorageNames.Default, new DirectUploadRequest("bad.bin", "application/octet-stream"), "alice");
        await _media.SaveAsync(bad.ObjectName, new MemoryStream(Infected(300_000, 299_000)));

        var refusal = Assert.ThrowsAsync<UploadRejectedException>(() => uploads.CompleteAsync(bad.Id, "alice"));

        Assert.That(refusal!.StatusCode, Is.EqualTo(400));
        Assert.That(refusal.Errors!["file"], Is.EqualTo(new[] { "The file contains malware (Test.Marker)." }));
        Assert.That((await uploads.GetAsync(bad.Id, "alice"))!.RejectionReason, Does.Contain("Test.Marker"));
        Assert.That(await CountAsync(_media), Is.Zero);
        StoredFileInfo? quarantined = null;
        await foreach (var info in _quarantine.ListAsync())
        {
            quarantined = info;
        }

        var metadata = (await _quarantine.GetMetadataAsync(quarantined!.Name))!.Metadata;
        Assert.That(metadata["owner"], Is.EqualTo("alice"));
        Assert.That(metadata["source"], Does.StartWith("default/uploads/").And.EndWith("/bad.bin"), "the scanned (sealed) object");

        var good = await uploads.BeginAsync(FileStorageNames.Default, new DirectUploadRequest("good.bin", "application/octet-stream"));
        await _media.SaveAsync(good.ObjectName, new MemoryStream(RandomBytes(300_000)));
        var bound = await uploads.CompleteAsync(good.Id);
        Assert.That(bound.Length, Is.EqualTo(300_000));
        Assert.That((await uploads.GetAsync(good.Id))!.ScanVerdict, Is.EqualTo("clean"));
    }

    [Test]
    public async Task DirectUpload_ScannerFails_Is503_SessionStaysPending_NoSealedCopy()
    {
        await using var app = await StartAsync(new MarkerScanner(Marker) { Failure = new IOException("down") });
        var uploads = app.Services.GetRequiredService<IDirectUploads>();
        var upload = await uploads.BeginAsync(FileStorageNames.Default, new DirectUploadRequest("a.bin", "application/octet-stream"));
        await _media.SaveAsync(upload.ObjectName, new MemoryStream(RandomBytes(1000)));

        var refusal = Assert.ThrowsAsync<UploadRejectedException>(() => uploads.CompleteAsync(upload.Id));

        Assert.That(refusal!.StatusCode, Is.EqualTo(503));
        Assert.That((await uploads.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Pending));
        Assert.That(await CountAsync(_media), Is.EqualTo(1), "only the uploaded object; the sealed copy was removed");
    }

    private static MeterListener Listen(ConcurrentDictionary<string, long> counts)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "UploadKit" && instrument.Name.StartsWith("uploadkit.scans", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => counts.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.Start();
        return listener;
    }

    [Test]
    public async Task ResumableUpload_Infected_IsRefusedAtCompletion_QuarantinedAndNotKept()
    {
        var scanner = new MarkerScanner(Marker);
        await using var app = await StartAsync(scanner);
        var content = RandomBytes(50_000);
        Marker.CopyTo(content, 30_000);

        var location = await CreateResumableAsync(app, content.Length);
        using var first = await PatchResumableAsync(app, location, 0, content[..20_000]);
        using var last = await PatchResumableAsync(app, location, 20_000, content[20_000..]);

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(last.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), await last.Content.ReadAsStringAsync());
        Assert.That(await last.Content.ReadAsStringAsync(), Does.Contain("malware"));
        Assert.That(await ListAsync(_media), Is.Empty);
        Assert.That(await ListAsync(_quarantine), Has.Count.EqualTo(1));
        Assert.That(scanner.Scanned.Single(), Is.EqualTo(content), "the whole file, once");
        using var head = new HttpRequestMessage(HttpMethod.Head, location);
        head.Headers.Add("Tus-Resumable", "1.0.0");
        Assert.That((await app.Client.SendAsync(head)).StatusCode, Is.EqualTo(HttpStatusCode.Gone));
    }

    [Test]
    public async Task ResumableUpload_Clean_IsKept_WithItsVerdict()
    {
        var scanner = new MarkerScanner(Marker);
        await using var app = await StartAsync(scanner);
        var content = RandomBytes(30_000);

        var location = await CreateResumableAsync(app, content.Length);
        using var patch = await PatchResumableAsync(app, location, 0, content);

        Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await ListAsync(_media), Has.Count.EqualTo(1));
        var record = await app.Services.GetRequiredService<IResumableUploadStore>().GetAsync(location.Split('/')[^1]);
        Assert.That(record!.ScanVerdict, Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public async Task ResumableUpload_ScannerDown_Is503AndKeepsNothing()
    {
        var scanner = new MarkerScanner(Marker) { Failure = new IOException("clamd is down") };
        await using var app = await StartAsync(scanner);

        var location = await CreateResumableAsync(app, 1000);
        using var patch = await PatchResumableAsync(app, location, 0, RandomBytes(1000));

        Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(await ListAsync(_media), Is.Empty);
    }

    private static async Task<string> CreateResumableAsync(TestApp app, long length)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/resumable");
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", "filename " + Convert.ToBase64String("data.bin"u8));
        using var response = await app.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.AbsolutePath;
    }

    private static Task<HttpResponseMessage> PatchResumableAsync(TestApp app, string location, long offset, byte[] bytes)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(bytes) };
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/offset+octet-stream");
        return app.Client.SendAsync(request);
    }

    private static async Task<List<string>> ListAsync(InMemoryStorage storage)
    {
        var names = new List<string>();
        await foreach (var file in storage.ListAsync())
        {
            names.Add(file.Name);
        }

        return names;
    }

    /// <summary>Reads the whole stream and finds <c>marker</c>: infected as <c>Test.Marker</c>.</summary>
    private sealed class MarkerScanner(byte[] marker) : IFileScanner
    {
        public List<byte[]> Scanned { get; } = [];

        public Exception? Failure { get; init; }

        public bool NeverRead { get; init; }

        public long? Limit { get; init; }

        public Func<CancellationToken, Task>? BeforeVerdict { get; init; }

        public async Task<ScanVerdict> ScanAsync(Stream content, CancellationToken cancellationToken)
        {
            if (NeverRead)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (Failure is not null)
            {
                throw Failure;
            }

            using var copy = new MemoryStream();
            var buffer = new byte[8192];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                copy.Write(buffer, 0, read);
                if (copy.Length > Limit)
                {
                    return ScanVerdict.TooLarge("limit");
                }
            }

            lock (Scanned)
            {
                Scanned.Add(copy.ToArray());
            }

            if (BeforeVerdict is not null)
            {
                await BeforeVerdict(cancellationToken);
            }

            return copy.ToArray().AsSpan().IndexOf(marker) >= 0 ? ScanVerdict.Infected("Test.Marker") : ScanVerdict.Clean;
        }
    }
}
