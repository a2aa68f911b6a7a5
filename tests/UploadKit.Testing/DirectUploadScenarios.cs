using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;

namespace UploadKit.Testing;

/// <summary>
/// The direct-upload cycle every backend must pass: begin, upload with a plain <see cref="HttpClient"/> straight to
/// the store, complete (with a magic-byte validator on the completing endpoint), and the sweep of what was never
/// confirmed. The app runs in memory; the store is the real emulator.
/// </summary>
public sealed class DirectUploadScenarios : IAsyncDisposable
{
    private static readonly byte[] Png = CreatePng();

    private readonly HttpClient _plain = new() { Timeout = TimeSpan.FromMinutes(2) };

    private DirectUploadScenarios(TestApp app, FakeTimeProvider time, string storageName)
    {
        App = app;
        Time = time;
        StorageName = storageName;
    }

    /// <summary>The app.</summary>
    public TestApp App { get; }

    /// <summary>The app's clock, starting at the real time so the store accepts the signatures.</summary>
    public FakeTimeProvider Time { get; }

    /// <summary>The storage's name.</summary>
    public string StorageName { get; }

    /// <summary>The direct-upload service.</summary>
    public IDirectUploads Uploads => App.Services.GetRequiredService<IDirectUploads>();

    /// <summary>The storage under test.</summary>
    public IFileStorage Storage => App.Services.GetRequiredService<IStorageRegistry>()[StorageName];

    /// <summary>Starts an app whose <paramref name="storageName"/> storage is created by <paramref name="storage"/>.</summary>
    /// <param name="storageName">The storage's name.</param>
    /// <param name="storage">Creates the storage under test.</param>
    /// <returns>The scenarios.</returns>
    public static async Task<DirectUploadScenarios> StartAsync(string storageName, Func<IServiceProvider, IFileStorage> storage)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var app = await TestApp.StartAsync(
            services =>
            {
                services.AddSingleton<TimeProvider>(time);
                services.AddAuthorization();
                // The registry requires a default storage; the one under test is named for its backend.
                services.AddUploadKit().AddStorage(storageName, storage).AddStorage(FileStorageNames.Default, _ => new InMemoryStorage());
            },
            web =>
            {
                // Anonymous on purpose, so the cycle needs no sign-in: the explicit opt-out of the default policy.
                web.UseAuthorization();
                web.MapDirectUploads("/uploads", [storageName], o => o.AllowAnonymous = true).WithFileValidators("file", FileValidators.Signature());
            });
        return new DirectUploadScenarios(app, time, storageName);
    }

    /// <summary>Begin, upload with the signed request, complete: the reference names the same bytes.</summary>
    /// <param name="method">PUT, or a browser form POST where the store offers one.</param>
    /// <returns>A task.</returns>
    public async Task FullCycleAsync(PresignedUploadMethod method = PresignedUploadMethod.Put)
    {
        var sha256 = Sha256Hex(Png);
        var request = method == PresignedUploadMethod.Post
            ? new DirectUploadRequest("cover art.png", "image/png", maxLength: 1 << 20) { Method = method }
            : new DirectUploadRequest("cover art.png", "image/png", Png.Length, 1 << 20, sha256);
        var upload = await Uploads.BeginAsync(StorageName, request);
        Assert.That(upload.SignedRequest.Method, Is.EqualTo(method == PresignedUploadMethod.Post ? "POST" : "PUT"));
        using (var sent = await SendAsync(upload, Png))
        {
            Assert.That(sent.IsSuccessStatusCode, Is.True, $"{(int)sent.StatusCode}: {await sent.Content.ReadAsStringAsync()}");
        }

        var reference = await CompleteOverHttpAsync(upload.Id, HttpStatusCode.OK);
        var bound = reference.GetProperty("name").GetString()!;
        Assert.That(bound, Is.EqualTo(SealedName(upload)), "the verified object is bound under its sealed key");
        Assert.That(await Storage.ExistsAsync(upload.ObjectName), Is.False, "the uploaded key is deleted once sealed");
        Assert.That(reference.GetProperty("length").GetInt64(), Is.EqualTo(Png.Length));
        Assert.That(reference.GetProperty("contentType").GetString(), Is.EqualTo("image/png"));
        if (reference.TryGetProperty("checksumSha256", out var checksum))
        {
            Assert.That(checksum.GetString(), Is.EqualTo(sha256));
        }
        else
        {
            Assert.That(method, Is.EqualTo(PresignedUploadMethod.Post), "A checksum given at begin is in the reference.");
        }

        Assert.That(await StoredSha256HexAsync(Storage, bound), Is.EqualTo(sha256));
        Assert.That((await Storage.GetMetadataAsync(bound))!.ContentType, Is.EqualTo("image/png"));

        // A completed upload survives every later sweep.
        await SweepAsync(upload.Id, expectGone: false, bound);
    }

    /// <summary>
    /// A URL that is still valid cannot change what the app binds: after completion the verified object is sealed under
    /// a key no URL names, so the same signed request sent again (with other bytes) at most puts an unbound object under
    /// the uploaded key, as it may after a cancellation or a rejection. The bound object keeps its verified bytes, and
    /// the sweep after the sessions' expiry plus the grace period leaves nothing else in their folders.
    /// </summary>
    /// <returns>A task.</returns>
    public async Task SealedAgainstReuseAsync()
    {
        var sha256 = Sha256Hex(Png);
        var replacement = (byte[])Png.Clone();
        replacement[^1] ^= 0xFF;

        // Completed, then the same URL again.
        var completed = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("cover.png", "image/png", maxLength: 1 << 20));
        await SendExpectingSuccessAsync(completed, Png);
        var bound = (await CompleteOverHttpAsync(completed.Id, HttpStatusCode.OK)).GetProperty("name").GetString()!;
        Assert.That(bound, Is.EqualTo(SealedName(completed)));
        using (await SendAsync(completed, replacement))
        {
            // Refused (local endpoint) or stored under the uploaded key: either way not what the app binds.
        }

        Assert.That(await StoredSha256HexAsync(Storage, bound), Is.EqualTo(sha256), "the bound object keeps its verified bytes");
        var again = await CompleteOverHttpAsync(completed.Id, HttpStatusCode.OK);
        Assert.That(again.GetProperty("name").GetString(), Is.EqualTo(bound));
        Assert.That(again.GetProperty("length").GetInt64(), Is.EqualTo(Png.Length));

        // Cancelled, then the URL used.
        var cancelled = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("cancelled.png", "image/png", maxLength: 1 << 20));
        using (var cancel = await App.Client.DeleteAsync($"/uploads/{cancelled.Id}"))
        {
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        using (await SendAsync(cancelled, Png))
        {
        }

        await CompleteOverHttpAsync(cancelled.Id, HttpStatusCode.Gone);

        // Rejected, then the URL used again with an acceptable file.
        var rejected = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("rejected.png", "image/png", maxLength: 1 << 20));
        await SendExpectingSuccessAsync(rejected, Encoding.ASCII.GetBytes("<html><script>alert(1)</script></html>"));
        await CompleteOverHttpAsync(rejected.Id, HttpStatusCode.BadRequest);
        using (await SendAsync(rejected, Png))
        {
        }

        await CompleteOverHttpAsync(rejected.Id, HttpStatusCode.BadRequest);
        Assert.That(await Storage.ExistsAsync(SealedName(rejected)), Is.False);

        await SweepEndedAsync(completed.Id, cancelled.Id, rejected.Id);

        Assert.That(await StoredSha256HexAsync(Storage, bound), Is.EqualTo(sha256), "the sweep never touches the bound object");
        Assert.That(await ListFolderAsync(completed), Is.EqualTo(new[] { bound }));
        Assert.That(await ListFolderAsync(cancelled), Is.Empty);
        Assert.That(await ListFolderAsync(rejected), Is.Empty);
    }

    /// <summary>
    /// After the app deleted what it bound, the URL (still valid) cannot recreate it: at most an unbound object under the
    /// uploaded key, which the sweep after the session's expiry plus the grace period removes.
    /// </summary>
    /// <returns>A task.</returns>
    public async Task DeletedAfterCompletionStaysDeletedAsync()
    {
        var upload = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("cover.png", "image/png", maxLength: 1 << 20));
        await SendExpectingSuccessAsync(upload, Png);
        var bound = (await CompleteOverHttpAsync(upload.Id, HttpStatusCode.OK)).GetProperty("name").GetString()!;
        Assert.That(await Storage.DeleteAsync(bound), Is.True);

        using (await SendAsync(upload, Png))
        {
        }

        Assert.That(await Storage.ExistsAsync(bound), Is.False, "the URL cannot recreate what the app bound");
        await SweepEndedAsync(upload.Id);
        Assert.That(await ListFolderAsync(upload), Is.Empty);
    }

    /// <summary>An object larger than the session allows is refused at completion and deleted.</summary>
    /// <returns>A task.</returns>
    public async Task WrongSizeAsync()
    {
        var upload = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("small.png", "image/png", maxLength: 16));
        using (var sent = await SendAsync(upload, Png))
        {
            if (!sent.IsSuccessStatusCode)
            {
                // The store itself enforced the signed length range: nothing was stored.
                Assert.That(await Storage.ExistsAsync(upload.ObjectName), Is.False);
                return;
            }
        }

        var problem = await CompleteOverHttpAsync(upload.Id, HttpStatusCode.BadRequest);
        Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Does.Contain("larger than 16 bytes"));
        Assert.That(await Storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    /// <summary>HTML sent as a PNG passes the store but not the magic-byte validator: refused and deleted.</summary>
    /// <returns>A task.</returns>
    public async Task SpoofedMagicBytesAsync()
    {
        var html = Encoding.ASCII.GetBytes("<html><body onload=alert(1)></body></html>");
        var upload = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("cat.png", "image/png", maxLength: 1000));
        using (var sent = await SendAsync(upload, html))
        {
            Assert.That(sent.IsSuccessStatusCode, Is.True);
        }

        var problem = await CompleteOverHttpAsync(upload.Id, HttpStatusCode.BadRequest);
        Assert.That(problem.GetProperty("errors").GetProperty("file").GetArrayLength(), Is.GreaterThan(0));
        Assert.That(await Storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    /// <summary>An object sent with another media type than the session's is refused and deleted (for stores that do not sign the type).</summary>
    /// <returns>A task.</returns>
    public async Task WrongTypeAsync()
    {
        var upload = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("cat.png", "image/png", maxLength: 1000));
        using (var sent = await SendAsync(upload, Png, contentType: "text/html"))
        {
            if (!sent.IsSuccessStatusCode)
            {
                // The store itself refused the unsigned type: nothing was stored.
                Assert.That(await Storage.ExistsAsync(upload.ObjectName), Is.False);
                return;
            }
        }

        var problem = await CompleteOverHttpAsync(upload.Id, HttpStatusCode.BadRequest);
        Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Does.Contain("media type"));
        Assert.That(await Storage.ExistsAsync(upload.ObjectName), Is.False);
    }

    /// <summary>An upload never confirmed is deleted by the hosted sweeper within one interval of its expiry.</summary>
    /// <returns>A task.</returns>
    public async Task ExpiredIsSweptAsync()
    {
        var upload = await Uploads.BeginAsync(StorageName, new DirectUploadRequest("forgotten.png", "image/png", maxLength: 1000));
        using (var sent = await SendAsync(upload, Png))
        {
            Assert.That(sent.IsSuccessStatusCode, Is.True);
        }

        Assert.That(await Storage.ExistsAsync(upload.ObjectName), Is.True);
        await SweepAsync(upload.Id, expectGone: true, upload.ObjectName);
        await CompleteOverHttpAsync(upload.Id, HttpStatusCode.Gone);
    }

    /// <summary>Stops the app.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        _plain.Dispose();
        await App.DisposeAsync();
    }

    private static byte[] CreatePng()
    {
        // An 8-byte signature and a 1x1 IHDR chunk: enough for magic-byte and dimension checks.
        var bytes = new byte[]
        {
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15,
            0xC4, 0x89,
        };
        return [.. bytes, .. RandomNumberGenerator.GetBytes(64)];
    }

    /// <summary>The key a completed upload is sealed under: <c>sealed/</c> inserted before the uploaded key's file name.</summary>
    private static string SealedName(DirectUpload upload)
    {
        var slash = upload.ObjectName.LastIndexOf('/');
        return upload.ObjectName[..(slash + 1)] + "sealed/" + upload.ObjectName[(slash + 1)..];
    }

    /// <summary>Sends the signed request: straight to the store, or for a local storage to the app's own endpoint.</summary>
    private Task<HttpResponseMessage> SendAsync(DirectUpload upload, byte[] content, string? contentType = null) =>
        DirectUploadClient.SendAsync(upload.SignedRequest.Url.IsAbsoluteUri ? _plain : App.Client, upload, content, contentType);

    private async Task SendExpectingSuccessAsync(DirectUpload upload, byte[] content)
    {
        using var sent = await SendAsync(upload, content);
        Assert.That(sent.IsSuccessStatusCode, Is.True, $"{(int)sent.StatusCode}: {await sent.Content.ReadAsStringAsync()}");
    }

    /// <summary>Every object in the upload's own folder (the uploaded key and its sealed copy live there).</summary>
    private async Task<List<string>> ListFolderAsync(DirectUpload upload)
    {
        var names = new List<string>();
        await foreach (var info in Storage.ListAsync(upload.ObjectName[..(upload.ObjectName.LastIndexOf('/') + 1)]))
        {
            names.Add(info.Name);
        }

        return names;
    }

    /// <summary>
    /// Moves the clock past the sessions' expiry plus the grace period and one sweep interval, and waits until the
    /// hosted sweeper has swept their keys and forgotten them.
    /// </summary>
    private async Task SweepEndedAsync(params string[] ids)
    {
        var options = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DirectUploadOptions>>().Value;
        var store = App.Services.GetRequiredService<IUploadSessionStore>();
        var latest = DateTimeOffset.MinValue;
        foreach (var id in ids)
        {
            var session = await store.GetAsync(id);
            Assert.That(session!.State, Is.Not.EqualTo(UploadSessionState.Pending));
            latest = session.ExpiresOn > latest ? session.ExpiresOn : latest;
        }

        Time.SetUtcNow(latest + options.SweepGracePeriod + TimeSpan.FromSeconds(1));
        Time.Advance(options.SweepInterval);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        foreach (var id in ids)
        {
            while (await store.GetAsync(id) is not null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.That(await store.GetAsync(id), Is.Null, "an ended session is forgotten once its key was swept");
        }
    }

    private async Task<JsonElement> CompleteOverHttpAsync(string id, HttpStatusCode expected)
    {
        using var response = await App.Client.PostAsync($"/uploads/{id}/complete", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(expected), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Moves the clock past the session's expiry and one sweep interval, and waits for the hosted sweeper's pass.</summary>
    private async Task SweepAsync(string id, bool expectGone, string objectName)
    {
        var options = App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DirectUploadOptions>>().Value;
        var session = await App.Services.GetRequiredService<IUploadSessionStore>().GetAsync(id);
        Time.SetUtcNow(session!.ExpiresOn + TimeSpan.FromSeconds(1));
        Time.Advance(options.SweepInterval);
        var store = App.Services.GetRequiredService<IUploadSessionStore>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (expectGone && (await store.GetAsync(id))!.State == UploadSessionState.Pending && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        while (expectGone && await Storage.ExistsAsync(objectName) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.That(await Storage.ExistsAsync(objectName), Is.EqualTo(!expectGone));
        Assert.That((await store.GetAsync(id))!.State, Is.EqualTo(expectGone ? UploadSessionState.Expired : UploadSessionState.Completed));
    }
}
