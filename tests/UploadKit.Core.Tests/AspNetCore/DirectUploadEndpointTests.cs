using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Stores;
using UploadKit.Testing;
using UploadKit.Tests.DirectUploads;
using UploadKit.Tests.Validation;

namespace UploadKit.Tests.AspNetCore;

[TestFixture]
public sealed class DirectUploadEndpointTests
{
    private static readonly byte[] Png = SampleFiles.Png(3, 2);

    [Test]
    public async Task Begin_Anonymous_Returns401()
    {
        await using var app = await DirectUploadApp.StartAsync();
        using var response = await app.SendAsync(
            null, HttpMethod.Post, "/uploads/default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        await foreach (var _ in app.Storages.Default.ListAsync())
        {
            Assert.Fail("An anonymous begin left an object.");
        }
    }

    [Test]
    public async Task CompleteGetCancel_Anonymous_Return401()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using var complete = await app.SendAsync(null, HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        using var get = await app.SendAsync(null, HttpMethod.Get, $"/uploads/{upload.Id}");
        using var cancel = await app.SendAsync(null, HttpMethod.Delete, $"/uploads/{upload.Id}");
        Assert.Multiple(() =>
        {
            Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task Begin_AllowAnonymousOptOut_Returns201()
    {
        await using var app = await DirectUploadApp.StartAsync(security: o => o.AllowAnonymous = true);
        using var response = await app.SendAsync(
            null, HttpMethod.Post, "/uploads/default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task Begin_PolicyNotMet_Returns403()
    {
        await using var app = await DirectUploadApp.StartAsync(security: o => o.AuthorizationPolicy = "uploaders");
        using var refused = await app.SendAsync(
            "alice", HttpMethod.Post, "/uploads/default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using var request = DirectUploadApp.As(
            "alice",
            HttpMethod.Post,
            "/uploads/default",
            JsonContent.Create(new { fileName = "a.png", contentType = "image/png", maxLength = 1000 }));
        request.Headers.Add("X-Role", "uploader");
        using var allowed = await app.Client.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        });
    }

    [Test]
    public async Task Begin_StorageNotOffered_Returns404()
    {
        await using var app = await DirectUploadApp.StartAsync();
        using var response = await app.SendAsync(
            "alice", HttpMethod.Post, "/uploads/secret", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [TestCase("default")]
    [TestCase("files")]
    public async Task FullCycle_PlainHttpPut_CompletesWithSameBytes(string storageName)
    {
        await using var app = await DirectUploadApp.StartAsync(kestrel: storageName == "files");
        var sha256 = Sha256Hex(Png);
        var upload = await app.BeginAsync(
            "alice", storageName, new { fileName = "my photo.png", contentType = "image/png", length = Png.Length, checksumSha256 = sha256 });
        Assert.That(upload.Method, Is.EqualTo("PUT"));
        Assert.That(upload.Url, Does.StartWith("http"));

        using (var put = await app.PutAsync(upload, Png))
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
        }

        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.OK), await complete.Content.ReadAsStringAsync());
        var reference = await complete.Content.ReadFromJsonAsync<JsonElement>();
        var name = reference.GetProperty("name").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(reference.GetProperty("storageName").GetString(), Is.EqualTo(storageName));
            Assert.That(name, Does.StartWith("uploads/").And.EndWith("/my_photo.png"));
            Assert.That(reference.GetProperty("length").GetInt64(), Is.EqualTo(Png.Length));
            Assert.That(reference.GetProperty("contentType").GetString(), Is.EqualTo("image/png"));
            Assert.That(reference.GetProperty("checksumSha256").GetString(), Is.EqualTo(sha256));
        });

        await using var stored = await app.Storages[storageName].OpenReadAsync(name);
        Assert.That(await Sha256HexAsync(stored), Is.EqualTo(sha256));
        var session = await app.Store.GetAsync(upload.Id);
        Assert.That(session!.State, Is.EqualTo(UploadSessionState.Completed));
    }

    [Test]
    public async Task CompleteGetCancel_OtherUser_Return404AndLeaveSessionIntact()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using (var put = await app.PutAsync(upload, Png))
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using var complete = await app.SendAsync("mallory", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        using var get = await app.SendAsync("mallory", HttpMethod.Get, $"/uploads/{upload.Id}");
        using var cancel = await app.SendAsync("mallory", HttpMethod.Delete, $"/uploads/{upload.Id}");
        Assert.Multiple(() =>
        {
            Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });

        using var own = await app.SendAsync("alice", HttpMethod.Get, $"/uploads/{upload.Id}");
        Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await own.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString(), Is.EqualTo("Pending"));
        using var done = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Cancel_Owner_DeletesObject()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using (await app.PutAsync(upload, Png))
        {
        }

        var session = await app.Store.GetAsync(upload.Id);
        Assert.That(await app.Storages.Default.ExistsAsync(session!.ObjectName), Is.True);
        using var cancel = await app.SendAsync("alice", HttpMethod.Delete, $"/uploads/{upload.Id}");
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await app.Storages.Default.ExistsAsync(session.ObjectName), Is.False);
        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.Gone));
    }

    [Test]
    public async Task Put_TamperedSizeLimit_Returns403AndStoresNothing()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 10 });
        var tampered = upload.Url.Replace("max=10&", "max=100000&", StringComparison.Ordinal);
        Assert.That(tampered, Is.Not.EqualTo(upload.Url));
        using var put = await app.PutAsync(upload, Png, url: tampered);
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        await AssertEmptyAsync(app.Storages.Default);
    }

    [Test]
    public async Task Put_ForgedSignatureOrUnknownSession_Returns403()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        var sig = upload.Url[(upload.Url.IndexOf("sig=", StringComparison.Ordinal) + 4)..];
        using var forged = await app.PutAsync(
            upload, Png, url: upload.Url.Replace(sig, (sig[0] == 'A' ? "B" : "A") + sig[1..], StringComparison.Ordinal));
        using var unsigned = await app.PutAsync(upload, Png, url: upload.Url[..upload.Url.IndexOf('?', StringComparison.Ordinal)]);
        using var other = await app.PutAsync(
            upload, Png, url: upload.Url.Replace(upload.Id, (upload.Id[0] == 'x' ? "y" : "x") + upload.Id[1..], StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
        await AssertEmptyAsync(app.Storages.Default);
    }

    [Test]
    public async Task Put_AfterExpiry_Returns403()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        app.Time.Advance(DirectUploadOptions.DefaultDefaultExpiry + TimeSpan.FromSeconds(1));
        using var put = await app.PutAsync(upload, Png);
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        await AssertEmptyAsync(app.Storages.Default);
    }

    [Test]
    public async Task Put_OtherContentType_Returns415()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using var put = await app.PutAsync(upload, Png, contentType: "text/html");
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        await AssertEmptyAsync(app.Storages.Default);
    }

    [TestCase("default", false)]
    [TestCase("files", false)]
    [TestCase("default", true)]
    [TestCase("files", true)]
    public async Task Put_OverSignedMaximum_Returns413AndLeavesNothing(string storageName, bool chunked)
    {
        await using var app = await DirectUploadApp.StartAsync(kestrel: true);
        var upload = await app.BeginAsync(
            "alice", storageName, new { fileName = "big.bin", contentType = "application/octet-stream", maxLength = 64 * 1024 });
        var content = RandomBytes(1024 * 1024);
        using var request = new HttpRequestMessage(HttpMethod.Put, upload.Url)
        {
            Content = chunked ? new StreamContent(new NonSeekableStream(content)) : new ByteArrayContent(content),
        };
        request.Content.Headers.ContentType = new("application/octet-stream");
        HttpResponseMessage? response = null;
        try
        {
            response = await app.Client.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("The upload is larger than 64 KiB, the most this upload URL allows."));
        }
        catch (HttpRequestException)
        {
            // The server may answer 413 and close before the client finished sending; either way nothing is stored.
        }
        finally
        {
            response?.Dispose();
        }

        await AssertEmptyAsync(app.Storages[storageName]);
        if (storageName == "files" && Directory.Exists(app.Directory))
        {
            Assert.That(Directory.EnumerateFiles(app.Directory, "*", SearchOption.AllDirectories), Is.Empty);
        }
    }

    [Test]
    public async Task Put_Twice_SecondReturns409AndKeepsFirst()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using (var first = await app.PutAsync(upload, Png))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using var second = await app.PutAsync(upload, Encoding.ASCII.GetBytes("other"));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        var session = await app.Store.GetAsync(upload.Id);
        await using var stored = await app.Storages.Default.OpenReadAsync(session!.ObjectName);
        Assert.That(await Sha256HexAsync(stored), Is.EqualTo(Sha256Hex(Png)));
    }

    [Test]
    public async Task Complete_SpoofedMagicBytes_Returns400AndDeletesObject()
    {
        await using var app = await DirectUploadApp.StartAsync(group => group.WithFileValidators("file", FileValidators.Signature()));
        var html = Encoding.ASCII.GetBytes("<html><script>alert(1)</script></html>");
        var upload = await app.BeginAsync("alice", "default", new { fileName = "cat.png", contentType = "image/png", maxLength = 1000 });
        using (var put = await app.PutAsync(upload, html))
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(complete.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await complete.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Is.Not.Empty);
        await AssertEmptyAsync(app.Storages.Default);
        var session = await app.Store.GetAsync(upload.Id);
        Assert.That(session!.State, Is.EqualTo(UploadSessionState.Rejected));
    }

    [Test]
    public async Task Complete_RealPngWithSignatureValidator_Returns200()
    {
        await using var app = await DirectUploadApp.StartAsync(group => group.WithFileValidators(
            "file", FileValidators.Signature(), FileValidators.Extensions("png")));
        var upload = await app.BeginAsync("alice", "default", new { fileName = "cat.png", contentType = "image/png", maxLength = 1000 });
        using (await app.PutAsync(upload, Png))
        {
        }

        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.OK), await complete.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Complete_NothingUploaded_Returns400AndStaysPending()
    {
        await using var app = await DirectUploadApp.StartAsync();
        var upload = await app.BeginAsync("alice", "default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000 });
        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await app.Store.GetAsync(upload.Id))!.State, Is.EqualTo(UploadSessionState.Pending));
    }

    [Test]
    public async Task Begin_PostToLocalStorage_Returns400()
    {
        await using var app = await DirectUploadApp.StartAsync();
        using var response = await app.SendAsync(
            "alice", HttpMethod.Post, "/uploads/default", new { fileName = "a.png", contentType = "image/png", maxLength = 1000, method = "POST" });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCase("default")]
    [TestCase("files")]
    public async Task FullCycle_DeclaredTypeDiffersFromName_StoresTheNamesType(string storageName)
    {
        await using var app = await DirectUploadApp.StartAsync(kestrel: storageName == "files");
        var mp3 = Encoding.ASCII.GetBytes("ID3 some audio bytes");
        var upload = await app.BeginAsync("alice", storageName, new { fileName = "x.mp3", contentType = "text/html", maxLength = 1000 });
        Assert.That(upload.Headers["Content-Type"], Is.EqualTo("audio/mpeg"));
        Assert.That((await app.Store.GetAsync(upload.Id))!.ContentType, Is.EqualTo("audio/mpeg"));

        using (var put = await app.PutAsync(upload, mp3))
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
        }

        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.OK), await complete.Content.ReadAsStringAsync());
        var reference = await complete.Content.ReadFromJsonAsync<JsonElement>();
        var name = reference.GetProperty("name").GetString()!;
        await using var stored = await app.Storages[storageName].OpenReadAsync(name);
        using var bytes = new MemoryStream();
        await stored.CopyToAsync(bytes);
        Assert.Multiple(() =>
        {
            Assert.That(reference.GetProperty("contentType").GetString(), Is.EqualTo("audio/mpeg"));
            Assert.That(bytes.ToArray(), Is.EqualTo(mp3));
        });
    }

    [TestCase("page.html")]
    [TestCase("logo.svg")]
    public async Task Begin_ActiveContent_Returns400AndLeavesNoSession(string fileName)
    {
        await using var app = await DirectUploadApp.StartAsync();
        using var response = await app.SendAsync(
            "alice", HttpMethod.Post, "/uploads/default", new { fileName, contentType = "image/png", maxLength = 1000 });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var pending = await app.Store.ListExpiredAsync(DateTimeOffset.MaxValue).ToListAsync();
        var ended = await app.Store.ListEndedAsync(DateTimeOffset.MaxValue).ToListAsync();
        var objects = await app.Storages[FileStorageNames.Default].ListAsync().ToListAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Does.Contain("cannot be uploaded directly"));
            Assert.That(pending, Is.Empty);
            Assert.That(ended, Is.Empty);
            Assert.That(objects, Is.Empty);
        });
    }

    [Test]
    public async Task Begin_ActiveContentAllowed_StoresItWithItsType()
    {
        await using var app = await DirectUploadApp.StartAsync(configure: o => o.AllowActiveContent = true);
        var svg = Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        var upload = await app.BeginAsync("alice", "default", new { fileName = "logo.svg", contentType = "image/png", maxLength = 1000 });
        Assert.That(upload.Headers["Content-Type"], Is.EqualTo("image/svg+xml"));
        using (var put = await app.PutAsync(upload, svg))
        {
            Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.OK), await put.Content.ReadAsStringAsync());
        }

        using var complete = await app.SendAsync("alice", HttpMethod.Post, $"/uploads/{upload.Id}/complete");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.OK), await complete.Content.ReadAsStringAsync());
        var reference = await complete.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(reference.GetProperty("contentType").GetString(), Is.EqualTo("image/svg+xml"));
    }

    [Test]
    public async Task Begin_StoreClientContentType_SignsTheDeclaredType()
    {
        await using var app = await DirectUploadApp.StartAsync(configure: o => o.StoreClientContentType = true);
        var upload = await app.BeginAsync("alice", "default", new { fileName = "x.mp3", contentType = "audio/ogg", maxLength = 1000 });
        Assert.That(upload.Headers["Content-Type"], Is.EqualTo("audio/ogg"));
    }

    [Test]
    public async Task Begin_InvalidBody_Returns400()
    {
        await using var app = await DirectUploadApp.StartAsync();
        using var noType = await app.SendAsync("alice", HttpMethod.Post, "/uploads/default", new { fileName = "a.png" });
        using var badChecksum = await app.SendAsync(
            "alice", HttpMethod.Post, "/uploads/default", new { fileName = "a.png", contentType = "image/png", checksumSha256 = "abc" });
        using var request = DirectUploadApp.As(
            "alice", HttpMethod.Post, "/uploads/default", new StringContent("{", Encoding.UTF8, "application/json"));
        using var malformed = await app.Client.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(noType.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badChecksum.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(malformed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task Put_SessionCancelledWhileReceiving_Returns409AndLeavesNothing()
    {
        var gated = new GatedStorage();
        await using var app = await DirectUploadApp.StartAsync(storages: b => b.AddStorage("gated", _ => gated));
        var upload = await app.Uploads.BeginAsync("gated", new("a.png", "image/png", maxLength: 1000));
        var put = PutSignedAsync(app, upload);
        await gated.SaveStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(await app.Uploads.CancelAsync(upload.Id), Is.True);
        gated.Release.SetResult();
        using var response = await put;
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        await AssertEmptyAsync(gated);
    }

    private static async Task<HttpResponseMessage> PutSignedAsync(DirectUploadApp app, DirectUpload upload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(app.Client.BaseAddress!, upload.SignedRequest.Url))
        {
            Content = new ByteArrayContent(Png),
        };
        request.Content.Headers.ContentType = new("image/png");
        return await app.Client.SendAsync(request);
    }

    internal static async Task AssertEmptyAsync(IFileStorage storage)
    {
        var names = new List<string>();
        await foreach (var file in storage.ListAsync())
        {
            names.Add(file.Name);
        }

        Assert.That(names, Is.Empty);
    }

    /// <summary>A body of unknown length, sent chunked.</summary>
    private sealed class NonSeekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }

    /// <summary>An in-memory storage whose saves wait for the test, to act while a body is being received.</summary>
    internal sealed class GatedStorage() : DelegatingStorage(new InMemoryStorage())
    {
        public TaskCompletionSource SaveStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
        {
            SaveStarted.TrySetResult();
            await Release.Task;
            return await Inner.SaveAsync(name, content, options, cancellationToken);
        }
    }
}
