using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;

namespace UploadKit.Tests.DirectUploads;

/// <summary>
/// The service outside a request (as an app's own code or a background job calls it), with storages written behind its back as a client would.
/// </summary>
[TestFixture]
public sealed class DirectUploadServiceTests
{
    private static readonly byte[] Content = Encoding.ASCII.GetBytes("ID3 some audio bytes");

    private FakeTimeProvider _time = null!;
    private ServiceProvider _services = null!;
    private InMemoryStorage _storage = null!;
    private IDirectUploads _uploads = null!;
    private IUploadSessionStore _store = null!;
    private ListLogger _log = null!;
    private Action? _duringValidation;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        _storage = new InMemoryStorage();
        _log = new ListLogger();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<ILoggerProvider>(_log);
        services.AddLogging();
        services.AddUploadKit().AddStorage("tracks", _ => _storage).AddValidator(new HookValidator(() => _duringValidation?.Invoke()));
        services.Configure<DirectUploadOptions>(o => o.SigningKey = Convert.ToBase64String(new byte[32]));
        _services = services.BuildServiceProvider();
        _uploads = _services.GetRequiredService<IDirectUploads>();
        _store = _services.GetRequiredService<IUploadSessionStore>();
    }

    [TearDown]
    public Task TearDown() => _services.DisposeAsync().AsTask();

    private DirectUploadSweeper Sweeper => _services.GetServices<IHostedService>().OfType<DirectUploadSweeper>().Single();

    [Test]
    public async Task BeginAsync_Twice_ReservesDistinctNamesAndIds()
    {
        var first = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        var second = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        Assert.Multiple(() =>
        {
            Assert.That(first.Id, Is.Not.EqualTo(second.Id));
            Assert.That(first.ObjectName, Is.Not.EqualTo(second.ObjectName));
            Assert.That(first.ObjectName, Does.Match("^uploads/[a-z0-9]{20}/song\\.mp3$"));
            Assert.That(first.SignedRequest.Url.IsAbsoluteUri, Is.False, "Outside a request and without PublicBaseUrl the URL is app-relative.");
            Assert.That(first.SignedRequest.Url.OriginalString, Does.StartWith("/uploads/" + first.Id + "?"));
            Assert.That(first.SignedRequest.ExpiresOn, Is.EqualTo(_time.GetUtcNow() + DirectUploadOptions.DefaultDefaultExpiry));
        });
        var session = await _store.GetAsync(first.Id);
        Assert.Multiple(() =>
        {
            Assert.That(session!.State, Is.EqualTo(UploadSessionState.Pending));
            Assert.That(session.MaxLength, Is.EqualTo(1000));
            Assert.That(session.ContentType, Is.EqualTo("audio/mpeg"));
            Assert.That(session.ExpiresOn, Is.EqualTo(first.SignedRequest.ExpiresOn + DirectUploadOptions.DefaultCompletionWindow));
            Assert.That(session.OwnerId, Is.Null);
        });
    }

    [Test]
    public async Task BeginAsync_DeclaredTypeDiffersFromName_SignsAndStoresTheNamesType()
    {
        var upload = await _uploads.BeginAsync("tracks", new("x.mp3", "text/html", maxLength: 1000));
        var session = await _store.GetAsync(upload.Id);
        Assert.Multiple(() =>
        {
            Assert.That(upload.SignedRequest.Headers["Content-Type"], Is.EqualTo("audio/mpeg"));
            Assert.That(session!.ContentType, Is.EqualTo("audio/mpeg"));
        });

        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var reference = await _uploads.CompleteAsync(upload.Id);
        var stored = await _storage.GetMetadataAsync(reference.Name);
        await using var read = await _storage.OpenReadAsync(reference.Name);
        using var bytes = new MemoryStream();
        await read.CopyToAsync(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(reference.ContentType, Is.EqualTo("audio/mpeg"));
            Assert.That(stored!.ContentType, Is.EqualTo("audio/mpeg"));
            Assert.That(bytes.ToArray(), Is.EqualTo(Content));
        });
    }

    [Test]
    public async Task BeginAsync_UnknownExtension_SignsOctetStream()
    {
        var upload = await _uploads.BeginAsync("tracks", new("data.unknownext", "text/html", maxLength: 1000));
        Assert.That((await _store.GetAsync(upload.Id))!.ContentType, Is.EqualTo(StoredContentTypes.Unknown));
    }

    [TestCase("page.html", "text/html")]
    [TestCase("logo.svg", "image/svg+xml")]
    [TestCase("feed.xml", "application/xml")]
    [TestCase("app.js", "text/javascript")]
    [TestCase("song.mp3", "text/html", true)]
    public async Task BeginAsync_ActiveContent_Throws400AndLeavesNoSession(string fileName, string declared, bool storeClientType = false)
    {
        _services.GetRequiredService<IOptions<DirectUploadOptions>>().Value.StoreClientContentType = storeClientType;
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.BeginAsync(
            "tracks", new(fileName, declared, maxLength: 1000) { FieldName = "track" }));
        var pending = await _store.ListExpiredAsync(DateTimeOffset.MaxValue).ToListAsync();
        var ended = await _store.ListEndedAsync(DateTimeOffset.MaxValue).ToListAsync();
        var objects = await _storage.ListAsync().ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(ex!.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest));
            Assert.That(ex.Errors!["track"][0], Does.Contain("cannot be uploaded directly"));
            Assert.That(pending, Is.Empty);
            Assert.That(ended, Is.Empty);
            Assert.That(objects, Is.Empty);
        });
    }

    [Test]
    public async Task BeginAsync_AllowActiveContent_SignsTheNamesType()
    {
        _services.GetRequiredService<IOptions<DirectUploadOptions>>().Value.AllowActiveContent = true;
        var upload = await _uploads.BeginAsync("tracks", new("logo.svg", "image/png", maxLength: 1000));
        Assert.That((await _store.GetAsync(upload.Id))!.ContentType, Is.EqualTo("image/svg+xml"));
    }

    [Test]
    public async Task BeginAsync_StoreClientContentType_SignsTheDeclaredType()
    {
        _services.GetRequiredService<IOptions<DirectUploadOptions>>().Value.StoreClientContentType = true;
        var upload = await _uploads.BeginAsync("tracks", new("x.mp3", "audio/ogg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/ogg");
        var reference = await _uploads.CompleteAsync(upload.Id);
        Assert.Multiple(() =>
        {
            Assert.That(upload.SignedRequest.Headers["Content-Type"], Is.EqualTo("audio/ogg"));
            Assert.That(reference.ContentType, Is.EqualTo("audio/ogg"));
        });
    }

    [Test]
    public void BeginAsync_UnknownStorage_ThrowsKeyNotFound() =>
        Assert.ThrowsAsync<KeyNotFoundException>(() => _uploads.BeginAsync("nope", new("a.mp3", "audio/mpeg")));

    [Test]
    public void BeginAsync_SuspiciousName_Throws() =>
        Assert.ThrowsAsync<SuspiciousFileNameException>(() => _uploads.BeginAsync("tracks", new("???", "audio/mpeg")));

    [Test]
    public void DirectUploadRequest_LengthOverMaximum_Throws() =>
        Assert.Throws<ArgumentException>(() => _ = new DirectUploadRequest("a.mp3", "audio/mpeg", length: 10, maxLength: 5));

    [Test]
    public async Task CompleteAsync_WrongSize_Throws400AndDeletesObject()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", length: Content.Length - 1));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(ex!.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest));
            Assert.That(ex.Errors!["file"][0], Does.Contain("bytes were expected"));
            Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
            Assert.That((await _store.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Rejected));
            Assert.That(_log.Events, Does.Contain("DirectUploadRejected"));
        });

        // Asking again gives the same answer, without a second delete.
        var again = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        Assert.That(again!.Errors!["file"][0], Does.Contain("bytes were expected"));
    }

    [Test]
    public async Task Owner_IsAnArgument_OnlyTheSameOwnerFindsTheSession()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000), ownerId: "alice");
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var byBob = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id, "bob"));
        var byNoOwner = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CancelAsync(upload.Id));
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(byBob!.StatusCode, Is.EqualTo(StatusCodes.Status404NotFound));
            Assert.That(byNoOwner!.StatusCode, Is.EqualTo(StatusCodes.Status404NotFound));
            Assert.That(await _uploads.GetAsync(upload.Id), Is.Null);
            Assert.That((await _uploads.GetAsync(upload.Id, "alice"))!.OwnerId, Is.EqualTo("alice"));
            Assert.That((await _store.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Pending), "another owner's calls change nothing");
        });

        var reference = await _uploads.CompleteAsync(upload.Id, "alice");
        var status = await _uploads.GetAsync(upload.Id, "alice");
        Assert.Multiple(() =>
        {
            Assert.That(reference.Length, Is.EqualTo(Content.Length));
            Assert.That(status!.State, Is.EqualTo(UploadSessionState.Completed));
            Assert.That(status.StoredFile!.Name, Is.EqualTo(reference.Name), "the status names the sealed object");
            Assert.That(status.StoredFile.Length, Is.EqualTo(Content.Length));
        });
    }

    [Test]
    public async Task CompleteAsync_ValidatorsArgument_RefusesAndDeletesObject()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id, validators: [FileValidators.MaxSize(5)]));
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(ex!.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest));
            Assert.That(ex.Errors!["file"], Is.Not.Empty);
            Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
            Assert.That((await _store.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Rejected));
        });
    }

    [Test]
    public async Task CompleteAsync_OverMaximum_Throws400AndDeletesObject()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 5) { FieldName = "track" });
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        Assert.That(ex!.Errors!["track"][0], Does.Contain("larger than 5 bytes"));
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    [Test]
    public async Task CompleteAsync_WrongType_Throws400AndDeletesObject()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "text/html");
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        Assert.That(ex!.Errors!["file"][0], Does.Contain("'text/html'"));
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    [Test]
    public async Task CompleteAsync_TypeWithParameters_MatchesMediaType()
    {
        var upload = await _uploads.BeginAsync("tracks", new("notes.txt", "text/plain", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "Text/Plain; charset=utf-8");
        var reference = await _uploads.CompleteAsync(upload.Id);
        Assert.That(reference.Length, Is.EqualTo(Content.Length));
    }

    [Test]
    public async Task CompleteAsync_ChecksumMismatch_Throws400AndDeletesObject()
    {
        var other = Sha256Hex(Encoding.ASCII.GetBytes("other"));
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", checksumSha256: other));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        Assert.That(ex!.Errors!["file"][0], Does.Contain("SHA-256"));
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    [Test]
    public async Task CompleteAsync_RecordedChecksumForged_HashesTheObjectItself()
    {
        // Metadata the uploader may set claims the expected checksum; the bytes are something else.
        var sha256 = Sha256Hex(Content);
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", checksumSha256: sha256.ToUpperInvariant()));
        var other = Content.Reverse().ToArray();
        var options = new FileSaveOptions { ContentType = "audio/mpeg" };
        options.Checksums["sha256"] = sha256;
        await _storage.SaveAsync(upload.ObjectName, new MemoryStream(other), options);
        Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False, "the refused object is deleted");
    }

    [Test]
    public async Task CompleteAsync_Valid_ReturnsReferenceAndIsRepeatable()
    {
        var sha256 = Sha256Hex(Content);
        var upload = await _uploads.BeginAsync("tracks", new("My Song.mp3", "audio/mpeg", Content.Length, 1000, sha256));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var reference = await _uploads.CompleteAsync(upload.Id);
        Assert.Multiple(() =>
        {
            Assert.That(reference.StorageName, Is.EqualTo("tracks"));
            // Sealed: the reference names the copy beside the uploaded key, which is gone.
            Assert.That(reference.Name, Is.EqualTo(upload.ObjectName.Replace("/My_Song.mp3", "/sealed/My_Song.mp3", StringComparison.Ordinal)));
            Assert.That(reference.Name, Does.EndWith("/My_Song.mp3"));
            Assert.That(reference.Checksums["sha256"], Is.EqualTo(sha256));
            Assert.That(reference.ContentType, Is.EqualTo("audio/mpeg"));
        });
        Assert.That(
            (await _uploads.GetAsync(upload.Id))!.FileName, Is.EqualTo("My Song.mp3"), "the client's name is the upload's, not the stored file's");
        var again = await _uploads.CompleteAsync(upload.Id);
        Assert.That(again.Name, Is.EqualTo(reference.Name));
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
        await using var stored = await _storage.OpenReadAsync(reference.Name);
        Assert.That(await Sha256HexAsync(stored), Is.EqualTo(sha256));
    }

    [Test]
    public async Task CompleteAsync_ObjectReplacedWhileVerified_RejectedAndNothingSealed()
    {
        // As a still-valid Azure SAS could: new bytes under the uploaded key after the checks read the old ones.
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        _duringValidation = () => _storage.SaveAsync(upload.ObjectName, new MemoryStream([1, 2, 3]), new FileSaveOptions { Overwrite = true })
            .GetAwaiter()
            .GetResult();

        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));

        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest));
        Assert.That(ex.Message, Does.Contain("changed"));
        Assert.That((await _store.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Rejected));
        Assert.That(
            await _storage.ListAsync(upload.ObjectName[..upload.ObjectName.LastIndexOf('/')]).CountAsync(),
            Is.Zero,
            "neither the replacement nor a copy stays");
    }

    [Test]
    public async Task CompleteAsync_TwiceAtOnce_BothGetTheOneSealedCopy()
    {
        var sha256 = Sha256Hex(Content);
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", Content.Length, 1000, sha256));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");

        var both = await Task.WhenAll(Task.Run(() => _uploads.CompleteAsync(upload.Id)), Task.Run(() => _uploads.CompleteAsync(upload.Id)));

        Assert.That(both[1].Name, Is.EqualTo(both[0].Name));
        Assert.That((await _store.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Completed));
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
        await using var stored = await _storage.OpenReadAsync(both[0].Name);
        Assert.That(await Sha256HexAsync(stored), Is.EqualTo(sha256));
    }

    [Test]
    public async Task SweepAsync_EndedSession_RemovesWhatItsUrlPutAfterTheEndOnlyAfterTheGracePeriod()
    {
        var completed = await _uploads.BeginAsync("tracks", new("done.mp3", "audio/mpeg", maxLength: 1000));
        var cancelled = await _uploads.BeginAsync("tracks", new("gone.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(completed, Content, "audio/mpeg");
        var bound = await _uploads.CompleteAsync(completed.Id);
        Assert.That(await _uploads.CancelAsync(cancelled.Id), Is.True);

        // The URLs are still valid: they put objects under the uploaded keys again.
        await PutBehindTheBackAsync(completed, [9, 9, 9], "audio/mpeg");
        await PutBehindTheBackAsync(cancelled, [8, 8, 8], "audio/mpeg");
        var session = await _store.GetAsync(completed.Id);
        _time.SetUtcNow(session!.ExpiresOn + DirectUploadOptions.DefaultSweepGracePeriod - TimeSpan.FromSeconds(1));
        await Sweeper.SweepAsync(CancellationToken.None);
        Assert.That(await _storage.ExistsAsync(completed.ObjectName), Is.True, "within the grace period the sessions are kept");
        Assert.That(await _store.GetAsync(cancelled.Id), Is.Not.Null);

        _time.Advance(TimeSpan.FromSeconds(2));
        await Sweeper.SweepAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(await _storage.ExistsAsync(completed.ObjectName), Is.False);
            Assert.That(await _storage.ExistsAsync(cancelled.ObjectName), Is.False);
            Assert.That(await _storage.ExistsAsync(bound.Name), Is.True, "the sealed copy is never swept");
            Assert.That(await _store.GetAsync(completed.Id), Is.Null, "swept sessions are forgotten");
            Assert.That(await _store.GetAsync(cancelled.Id), Is.Null);
            Assert.That(_log.Events, Does.Contain("DirectUploadEndedKeySwept"));
        });
    }

    [Test]
    public async Task CompleteAsync_UnknownId_Throws404()
    {
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync("nope"));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCodes.Status404NotFound));
        Assert.That(await _uploads.GetAsync("nope"), Is.Null);
    }

    [Test]
    public async Task SweepAsync_ExpiredUnconfirmed_DeletesObjectAndLogs()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        var kept = await _uploads.BeginAsync("tracks", new("kept.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        await PutBehindTheBackAsync(kept, Content, "audio/mpeg");
        var keptReference = await _uploads.CompleteAsync(kept.Id);

        Assert.That(await Sweeper.SweepAsync(CancellationToken.None), Is.Zero, "Nothing has expired yet.");
        _time.Advance(DirectUploadOptions.DefaultDefaultExpiry + DirectUploadOptions.DefaultCompletionWindow + TimeSpan.FromSeconds(1));
        Assert.That(await Sweeper.SweepAsync(CancellationToken.None), Is.EqualTo(1));
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
            Assert.That(await _storage.ExistsAsync(keptReference.Name), Is.True, "A completed upload's sealed copy is never swept.");
            Assert.That((await _store.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Expired));
            Assert.That(_log.Events, Does.Contain("DirectUploadSwept"));
        });
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCodes.Status410Gone));
    }

    [Test]
    public async Task CompleteAndSweep_ReportConfirmedAndExpiredCounters()
    {
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "UploadKit" && instrument.Name.StartsWith("uploadkit.direct_uploads.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => counts.AddOrUpdate(instrument.Name, value, (_, v) => v + value));
        listener.Start();

        var confirmed = await _uploads.BeginAsync("tracks", new("a.mp3", "audio/mpeg", maxLength: 1000));
        var forgotten = await _uploads.BeginAsync("tracks", new("b.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(confirmed, Content, "audio/mpeg");
        await PutBehindTheBackAsync(forgotten, Content, "audio/mpeg");
        await _uploads.CompleteAsync(confirmed.Id);
        _time.Advance(DirectUploadOptions.DefaultDefaultExpiry + DirectUploadOptions.DefaultCompletionWindow + TimeSpan.FromSeconds(1));
        await Sweeper.SweepAsync(CancellationToken.None);
        Assert.That(counts.GetValueOrDefault("uploadkit.direct_uploads.confirmed"), Is.GreaterThanOrEqualTo(1));
        Assert.That(counts.GetValueOrDefault("uploadkit.direct_uploads.expired"), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task CompleteAsync_AfterExpiryBeforeSweep_Throws410AndDeletesObject()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        _time.Advance(DirectUploadOptions.DefaultDefaultExpiry + DirectUploadOptions.DefaultCompletionWindow + TimeSpan.FromSeconds(1));
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => _uploads.CompleteAsync(upload.Id));
        Assert.That(ex!.StatusCode, Is.EqualTo(StatusCodes.Status410Gone));
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    [Test]
    public async Task CompleteAsync_WithinCompletionWindow_Succeeds()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        _time.Advance(DirectUploadOptions.DefaultDefaultExpiry + TimeSpan.FromMinutes(1));
        Assert.That((await _uploads.CompleteAsync(upload.Id)).Length, Is.EqualTo(Content.Length));
    }

    [Test]
    public async Task HostedSweeper_TimerTick_SweepsWithinOneInterval()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        var sweeper = Sweeper;
        await sweeper.StartAsync(CancellationToken.None);
        try
        {
            _time.Advance(DirectUploadOptions.DefaultDefaultExpiry + DirectUploadOptions.DefaultCompletionWindow);
            _time.Advance(DirectUploadOptions.DefaultSweepInterval);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (await _storage.ExistsAsync(upload.ObjectName) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
        }
        finally
        {
            await sweeper.StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public async Task SweepAsync_DeleteFails_SessionStaysPendingForTheNextSweep()
    {
        var failing = new Mock<IFileStorage>();
        failing.Setup(s => s.DeleteAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ThrowsAsync(new IOException("store down"));
        var registry = new Mock<IStorageRegistry>();
        IFileStorage? storage = failing.Object;
        registry.Setup(r => r.TryGetStorage("tracks", out storage)).Returns(true);
        var store = new InMemoryUploadSessionStore();
        await store.CreateAsync(new UploadSession("s1", "tracks", "uploads/x/a.mp3", _time.GetUtcNow().AddMinutes(-1)));
        var resumable = new ResumableUploadService(
            registry.Object, new InMemoryResumableUploadStore(_time), new ServiceCollection().BuildServiceProvider(), _time,
            NullLogger<ResumableUploadService>.Instance);
        var sweeper = new DirectUploadSweeper(
            store, registry.Object, resumable, _time, Options.Create(new DirectUploadOptions()), NullLogger<DirectUploadSweeper>.Instance);
        Assert.That(await sweeper.SweepAsync(CancellationToken.None), Is.Zero);
        Assert.That((await store.GetAsync("s1"))!.State, Is.EqualTo(UploadSessionState.Pending));
    }

    [Test]
    public async Task CompleteAndSweep_Concurrently_NeverDeleteACompletedObject()
    {
        for (var i = 0; i < 20; i++)
        {
            var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
            await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
            var session = (await _store.GetAsync(upload.Id))!;

            // A sweep that saw the session as expired races the completion.
            var complete = Task.Run(async () =>
            {
                try
                {
                    return await _uploads.CompleteAsync(upload.Id);
                }
                catch (UploadRejectedException)
                {
                    return null;
                }
            });
            var sweep = Task.Run(() => _store.TryTransitionAsync(session.Id, UploadSessionState.Pending, UploadSessionState.Expired));
            var reference = await complete;
            var expired = await sweep;
            Assert.That(reference is null, Is.EqualTo(expired), "Exactly one of completion and sweep wins.");
        }
    }

    [Test]
    public async Task CancelAsync_Pending_DeletesObjectOnce()
    {
        var upload = await _uploads.BeginAsync("tracks", new("song.mp3", "audio/mpeg", maxLength: 1000));
        await PutBehindTheBackAsync(upload, Content, "audio/mpeg");
        Assert.That(await _uploads.CancelAsync(upload.Id), Is.True);
        Assert.That(await _uploads.CancelAsync(upload.Id), Is.False);
        Assert.That(await _storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    [Test]
    public async Task BeginAsync_PresignFails_ForgetsSession()
    {
        var presigner = new Mock<IFileStorage>();
        presigner.As<IPresignedUrlProvider>().Setup(p => p.CreateUploadUrlAsync(It.IsAny<PresignedUploadRequest>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new NotSupportedException("no POST"));
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<TimeProvider>(_time);
        services.AddUploadKit().AddStorage("cloud", _ => presigner.Object);
        await using var provider = services.BuildServiceProvider();
        var uploads = provider.GetRequiredService<IDirectUploads>();
        var store = provider.GetRequiredService<IUploadSessionStore>();
        Assert.ThrowsAsync<NotSupportedException>(() => uploads.BeginAsync("cloud", new("a.mp3", "audio/mpeg")));
        _time.Advance(TimeSpan.FromDays(1));
        await foreach (var _ in store.ListExpiredAsync(_time.GetUtcNow()))
        {
            Assert.Fail("A session without a URL was kept.");
        }
    }

    [Test]
    public async Task BeginAsync_PresignedStorage_PassesConditionsAsBase64Checksum()
    {
        PresignedUploadRequest? seen = null;
        var presigner = new Mock<IFileStorage>();
        presigner.As<IPresignedUrlProvider>().Setup(p => p.CreateUploadUrlAsync(It.IsAny<PresignedUploadRequest>(), It.IsAny<CancellationToken>()))
            .Callback<PresignedUploadRequest, CancellationToken>((r, _) => seen = r)
            .ReturnsAsync(new PresignedUrl("PUT", new Uri("https://store.example/x"), _time.GetUtcNow().AddMinutes(5)));
        var services = new ServiceCollection().AddLogging();
        services.AddUploadKit().AddStorage("cloud", _ => presigner.Object);
        await using var provider = services.BuildServiceProvider();
        var sha = SHA256.HashData(Content);
        var upload = await provider.GetRequiredService<IDirectUploads>().BeginAsync(
            "cloud", new("a.mp3", "audio/mpeg", Content.Length, 100, Convert.ToHexString(sha)) { ExpiresIn = TimeSpan.FromMinutes(5) });
        Assert.Multiple(() =>
        {
            Assert.That(upload.SignedRequest.Url, Is.EqualTo(new Uri("https://store.example/x")));
            Assert.That(seen!.Name, Is.EqualTo(upload.ObjectName));
            Assert.That(seen.ContentType, Is.EqualTo("audio/mpeg"));
            Assert.That(seen.ContentLength, Is.EqualTo(Content.Length));
            Assert.That(seen.MaxLength, Is.EqualTo(100));
            Assert.That(seen.ChecksumSha256, Is.EqualTo(Convert.ToBase64String(sha)));
            Assert.That(seen.ExpiresIn, Is.EqualTo(TimeSpan.FromMinutes(5)));
        });
    }

    [Test]
    public void AddUploadKit_ShortSigningKey_FailsAtStart()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddUploadKit(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["DirectUploads:SigningKey"] = Convert.ToBase64String(new byte[8]) }).Build());
        using var provider = services.BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<DirectUploadOptions>>().Value);
    }

    [TestCase("../up", false)]
    [TestCase("a//b", false)]
    [TestCase("", true)]
    [TestCase("media/uploads/", true)]
    public void AddUploadKit_KeyPrefix_IsChecked(string prefix, bool valid)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddUploadKit(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["DirectUploads:KeyPrefix"] = prefix }).Build());
        using var provider = services.BuildServiceProvider();
        if (valid)
        {
            Assert.That(provider.GetRequiredService<IOptions<DirectUploadOptions>>().Value.KeyPrefix, Is.EqualTo(prefix));
        }
        else
        {
            Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<DirectUploadOptions>>().Value);
        }
    }

    [Test]
    public void AddUploadKit_UnknownDirectUploadSetting_Throws()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddUploadKit(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["DirectUploads:SweepIntervall"] = "00:01:00" }).Build());
        using var provider = services.BuildServiceProvider();
        Assert.Throws<InvalidOperationException>(() => _ = provider.GetRequiredService<IOptions<DirectUploadOptions>>().Value);
    }

    [Test]
    public void LocalUploadSigner_NoKey_GeneratesOneAndWarns()
    {
        var log = new ListLogger();
        using var factory = LoggerFactory.Create(b => b.AddProvider(log));
        _ = new LocalUploadSigner(Options.Create(new DirectUploadOptions()), factory.CreateLogger<LocalUploadSigner>());
        Assert.That(log.Events, Does.Contain("GeneratedSigningKey"));
    }

    private async Task PutBehindTheBackAsync(DirectUpload upload, byte[] content, string contentType) =>
        await _storage.SaveAsync(upload.ObjectName, new MemoryStream(content), new FileSaveOptions { ContentType = contentType });

    /// <summary>Runs a test's hook while the app's validators check a stored object.</summary>
    private sealed class HookValidator(Action hook) : IFileValidator
    {
        public string? ValidateFile(UploadFileHeader file)
        {
            hook();
            return null;
        }
    }

    /// <summary>Collects the event names logged.</summary>
    private sealed class ListLogger : ILoggerProvider, ILogger
    {
        public List<string> Events { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Events)
            {
                Events.Add(eventId.Name ?? string.Empty);
            }
        }

        public void Dispose()
        {
        }
    }
}
