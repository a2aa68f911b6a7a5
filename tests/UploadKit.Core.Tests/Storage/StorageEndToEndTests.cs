using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;
using UploadKit.Tests.Validation;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Storage;

/// <summary>Upload, store, list, serve and delete through Kestrel on 127.0.0.1, with storages from configuration.</summary>
[Category("Integration")]
public class StorageEndToEndTests : TempDirectoryTests
{
    private string _temp = null!;
    private string _media = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = Path.Combine(Temp, "tmp");
        _media = Path.Combine(Temp, "media");
        Directory.CreateDirectory(_temp);
    }

    private Task<TestApp> StartAsync(Action<WebApplication> map, int memoryThreshold = 1000) =>
        TestApp.StartAsync(
            services =>
            {
                var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["UploadKit:MemoryBufferThreshold"] = memoryThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["UploadKit:TempFileDirectory"] = _temp,
                    ["UploadKit:Storages:default:Backend"] = "FileSystem",
                    ["UploadKit:Storages:default:Options:Location"] = _media,
                    ["UploadKit:Storages:default:Options:BaseUrl"] = "/media/",
                    ["UploadKit:Storages:tracks:Backend"] = "InMemory",
                    ["UploadKit:Storages:tracks:Options:BaseUrl"] = "/tracks-media/",
                }).Build();
                services.AddUploadKit(configuration.GetSection("UploadKit"));
            },
            app =>
            {
                // Counts what the server read of each request body, to show that rejections stop reading.
                app.Use(async (context, next) =>
                {
                    var counting = new CountingStream(context.Request.Body);
                    _lastBody = counting;
                    context.Request.Body = counting;
                    await next(context);
                });
                app.MapStorageFiles("/media");
                app.MapStorageFiles("/tracks-media", "tracks");
                app.MapGet("/files", async (IStorageRegistry storages, string? prefix) =>
                {
                    var names = new List<object>();
                    await foreach (var file in storages.Default.ListAsync(prefix))
                    {
                        names.Add(new { file.Name, file.Length, file.ContentType, Sha256 = file.Checksums.GetValueOrDefault("sha256") });
                    }

                    return names;
                });
                app.MapDelete("/files/{**name}", async (IStorageRegistry storages, string name) =>
                    await storages.Default.DeleteAsync(name) ? Results.NoContent() : Results.NotFound());
                map(app);
            },
            kestrel: true);

    private CountingStream? _lastBody;

    /// <summary>The stored files, without the storage's own metadata folder.</summary>
    private string[] StoredFiles() => AllFiles(_media).Where(p => !p.Contains("/.uploadkit/", StringComparison.Ordinal)).ToArray();

    [Test]
    public async Task UploadStoreListServeDelete_FileSystemStorage_RoundTrips()
    {
        await using var app = await StartAsync(a => a.MapPost("/upload", async (UploadForm form, IStorageRegistry storages) =>
        {
            var file = form.Files.GetRequired("file");
            var name = await file.SaveAsync(storages.Default, "tracks/" + FileStorageNames.GetValidName(file.FileName));
            return new { name, url = await storages.Default.GetUrlAsync(name) };
        }).WithChecksums());
        var content = RandomBytes(2_000_000);

        // Upload: spills to a temporary file, which is moved into the storage.
        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "my song.mp3", content, "audio/mpeg")));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var saved = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(saved.GetProperty("name").GetString(), Is.EqualTo("tracks/my_song.mp3"));
        Assert.That(saved.GetProperty("url").GetString(), Is.EqualTo("/media/tracks/my_song.mp3"));
        Assert.That(Sha256Hex(File.ReadAllBytes(Path.Combine(_media, "tracks", "my_song.mp3"))), Is.EqualTo(Sha256Hex(content)));
        Assert.That(Directory.GetFiles(_temp), Is.Empty, "the temporary file was moved, not left behind");

        // A second upload of the same name gets a fresh name.
        var second = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "my song.mp3", content, "audio/mpeg")));
        var secondName = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString();
        Assert.That(secondName, Does.Match("^tracks/my_song_[A-Za-z0-9]{7}\\.mp3$"));

        // List: with the checksum computed while streaming.
        var listed = await app.Client.GetFromJsonAsync<JsonElement[]>("/files?prefix=tracks/");
        Assert.That(listed!.Select(f => f.GetProperty("name").GetString()), Is.EquivalentTo(new[] { "tracks/my_song.mp3", secondName }));
        Assert.That(listed!.Select(f => f.GetProperty("sha256").GetString()), Is.All.EqualTo(Sha256Hex(content)));
        Assert.That(listed![0].GetProperty("contentType").GetString(), Is.EqualTo("audio/mpeg"));

        // Serve: whole, and a range.
        var served = await app.Client.GetAsync("/media/tracks/my_song.mp3");
        Assert.That(served.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(served.Content.Headers.ContentType!.MediaType, Is.EqualTo("audio/mpeg"));
        Assert.That(served.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        Assert.That(served.Headers.AcceptRanges, Does.Contain("bytes"));
        Assert.That(Sha256Hex(await served.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(content)));

        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, "/media/tracks/my_song.mp3");
        rangeRequest.Headers.Range = new RangeHeaderValue(1000, 1999);
        var range = await app.Client.SendAsync(rangeRequest);
        Assert.That(range.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(range.Content.Headers.ContentRange!.ToString(), Is.EqualTo($"bytes 1000-1999/{content.Length}"));
        Assert.That(Sha256Hex(await range.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(content.AsSpan(1000, 1000))));

        // Conditional request with the entity tag.
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/media/tracks/my_song.mp3");
        conditional.Headers.IfNoneMatch.Add(served.Headers.ETag!);
        Assert.That((await app.Client.SendAsync(conditional)).StatusCode, Is.EqualTo(HttpStatusCode.NotModified));

        // Delete.
        Assert.That((await app.Client.DeleteAsync("/files/tracks/my_song.mp3")).StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await app.Client.GetAsync("/media/tracks/my_song.mp3")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await app.Client.DeleteAsync("/files/tracks/my_song.mp3")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(StoredFiles().Select(Path.GetFileName), Has.Exactly(1).Matches<string>(n => n.StartsWith("my_song_", StringComparison.Ordinal)));
    }

    [Test]
    public async Task StreamingHandler_UploadStraightToStorage_NoTemporaryFile()
    {
        await using var app = await StartAsync(a => a.MapPost("/stream", (UploadForm form) =>
                form.Files.Cast<StoredUploadedFile>().Select(f =>
                {
                    f.Keep();
                    return new { name = f.StoredName, f.Length, sha256 = f.Checksums["sha256"] };
                }).ToArray())
            .WithUploadHandlers(sp => new StorageStreamingHandler(sp.GetRequiredService<IStorageRegistry>()["tracks"]))
            .WithChecksums());
        var first = RandomBytes(5_000_000, 1);
        var second = RandomBytes(100, 2);
        var body = new MultipartBodyBuilder().AddFile("file", "a.mp3", first, "audio/mpeg").AddFile("file", "b.mp3", second, "audio/mpeg");

        var response = await app.Client.PostAsync("/stream", UploadApp.Multipart(body, chunked: true));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var files = await response.Content.ReadFromJsonAsync<JsonElement[]>();
        Assert.That(files!.Select(f => f.GetProperty("name").GetString()), Is.EqualTo(new[] { "a.mp3", "b.mp3" }));
        Assert.That(files![0].GetProperty("sha256").GetString(), Is.EqualTo(Sha256Hex(first)));

        var storage = app.Services.GetRequiredService<IStorageRegistry>()["tracks"];
        Assert.That(await StoredSha256HexAsync(storage, "a.mp3"), Is.EqualTo(Sha256Hex(first)));
        Assert.That(await StoredSha256HexAsync(storage, "b.mp3"), Is.EqualTo(Sha256Hex(second)));
        Assert.That((await storage.GetMetadataAsync("a.mp3"))!.ContentType, Is.EqualTo("audio/mpeg"));
        Assert.That(Directory.GetFiles(_temp), Is.Empty);

        var served = await app.Client.GetAsync("/tracks-media/b.mp3");
        Assert.That(Sha256Hex(await served.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(second)));
    }

    [Test]
    public async Task StreamingHandler_EndpointDoesNotKeepTheFile_StoredObjectRemovedAtRequestEnd()
    {
        await using var app = await StartAsync(a => a.MapPost("/stream", (UploadForm form) => form.Files.GetRequired("file").Length)
            .WithUploadHandlers(sp => new StorageStreamingHandler(sp.GetRequiredService<IStorageRegistry>()["tracks"])));
        var body = new MultipartBodyBuilder().AddFile("other", "a.mp3", RandomBytes(10_000, 1), "audio/mpeg");

        var response = await app.Client.PostAsync("/stream", UploadApp.Multipart(body, chunked: false));

        Assert.That((int)response.StatusCode, Is.EqualTo(400), await response.Content.ReadAsStringAsync());
        var storage = app.Services.GetRequiredService<IStorageRegistry>()["tracks"];
        var left = new List<string>();
        await foreach (var info in storage.ListAsync())
        {
            left.Add(info.Name);
        }

        Assert.That(left, Is.Empty, "a file the endpoint did not keep is removed when the request ends");
    }

    [TestCase(false, TestName = "MaxSize_50MiBUploadTo1MiBLimit_AnsweredAfterLittleMoreThan1MiB")]
    [TestCase(true, TestName = "MaxSize_50MiBChunkedUploadTo1MiBLimit_AnsweredAfterLittleMoreThan1MiB")]
    public async Task MaxSize_LargeUpload_StopsReadingAtTheLimit(bool chunked)
    {
        await using var app = await StartAsync(a => a.MapPost("/limited", (UploadForm form) => Results.Ok())
            .WithFileValidators("file", FileValidators.MaxSize(1 << 20)));
        var content = new LargeBodyContent(50 << 20, chunked);

        var response = await app.Client.PostAsync("/limited", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Is.EqualTo("File is larger than 1 MiB."));
        TestContext.Out.WriteLine($"Bytes read of a {(50 << 20) + 200}-byte body: {_lastBody!.Count}");
        Assert.That(_lastBody!.Count, Is.LessThan((1 << 20) + (256 << 10)), "the server stopped reading just past the limit");
        Assert.That(Directory.GetFiles(_temp), Is.Empty);
        Assert.That(AllFiles(_media), Is.Empty);
    }

    [Test]
    public async Task Validators_SpoofedFile_Answers400AndLeavesNothing()
    {
        await using var app = await StartAsync(
            a => a.MapPost(
                "/images", async (UploadForm form, IStorageRegistry storages) => await form.Files.GetRequired("image").SaveAsync(storages.Default))
                .WithFileValidators("image", FileValidators.Extensions("png", "jpg"), FileValidators.Signature()),
            memoryThreshold: 10);
        var spoof = new byte[200_000];
        SampleFiles.Html().CopyTo(spoof, 0);
        var body = new MultipartBodyBuilder().AddFile("image", "cat.png", spoof, "image/png");

        var response = await app.Client.PostAsync("/images", UploadApp.Multipart(body));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("errors").GetProperty("image")[0].GetString(), Is.EqualTo("File content does not match its type."));
        Assert.That(Directory.GetFiles(_temp), Is.Empty);
        Assert.That(AllFiles(_media), Is.Empty);
    }

    [Test]
    public async Task Validators_DisallowedExtension_RejectedBeforeAnyByteIsKept()
    {
        await using var app = await StartAsync(
            a => a.MapPost("/stream", (UploadForm form) => Results.Ok())
                .WithUploadHandlers(sp => new StorageStreamingHandler(sp.GetRequiredService<IStorageRegistry>().Default))
                .WithFileValidators("file", FileValidators.Extensions("mp3")));
        var body = new MultipartBodyBuilder()
            .AddFile("file", "ok.mp3", RandomBytes(300_000, 1), "audio/mpeg")
            .AddFile("file", "evil.exe", RandomBytes(300_000, 2));

        var response = await app.Client.PostAsync("/stream", UploadApp.Multipart(body));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(
            problem.GetProperty("errors").GetProperty("file")[0].GetString(),
            Is.EqualTo("File extension \"exe\" is not allowed. Allowed extensions are: mp3."));
        Assert.That(AllFiles(_media), Is.Empty, "the first file, already stored, was removed with the rejected request");
        Assert.That(Directory.GetFiles(_temp), Is.Empty);
    }

    [Test]
    public async Task Checksums_ClientDigestMismatch_Answers400AndStoresNothing()
    {
        await using var app = await StartAsync(a => a.MapPost("/raw/{filename}", async (UploadForm form, IStorageRegistry storages) =>
            await form.Files.GetRequired("file").SaveAsync(storages.Default)).WithChecksums(), memoryThreshold: 10);
        var data = RandomBytes(100_000);

        var good = new ByteArrayContent(data);
        good.Headers.ContentType = new("audio/mpeg");
        good.Headers.Add("Content-Digest", $"sha-256=:{Convert.ToBase64String(SHA256.HashData(data))}:");
        var accepted = await app.Client.PostAsync("/raw/a.mp3", good);
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await accepted.Content.ReadAsStringAsync());

        var bad = new ByteArrayContent(data);
        bad.Headers.ContentType = new("audio/mpeg");
        bad.Headers.Add("Content-Digest", $"sha-256=:{Convert.ToBase64String(SHA256.HashData([1]))}:");
        var rejected = await app.Client.PostAsync("/raw/b.mp3", bad);
        Assert.That(rejected.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await rejected.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(problem.GetProperty("errors").GetProperty("file")[0].GetString(), Does.Contain("SHA-256"));
        Assert.That(StoredFiles().Select(Path.GetFileName), Is.EqualTo(new[] { "a.mp3" }));
        Assert.That(Sha256Hex(File.ReadAllBytes(Path.Combine(_media, "a.mp3"))), Is.EqualTo(Sha256Hex(data)));
        Assert.That(Directory.GetFiles(_temp), Is.Empty);
    }

    [TestCase("page.html", "text/html")]
    [TestCase("logo.svg", "image/svg+xml")]
    [TestCase("feed.xml", "application/xml")]
    public async Task MapStorageFiles_ActiveContent_ServedAsAttachment(string name, string contentType)
    {
        await using var app = await StartAsync(_ => { });
        var storage = app.Services.GetRequiredService<IStorageRegistry>().Default;
        var content = SampleFiles.Html();
        await storage.SaveAsync(name, new MemoryStream(content), new FileSaveOptions { ContentType = contentType });

        var response = await app.Client.GetAsync("/media/" + name);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentDisposition!.DispositionType, Is.EqualTo("attachment"));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task MapStorageFiles_HtmlStoredUnderImageType_NeverInlineAsHtml()
    {
        await using var app = await StartAsync(_ => { });
        var storage = app.Services.GetRequiredService<IStorageRegistry>().Default;
        await storage.SaveAsync("trick.html", new MemoryStream(SampleFiles.Html()), new FileSaveOptions { ContentType = "image/png" });
        var response = await app.Client.GetAsync("/media/trick.html");
        Assert.That(response.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("attachment"));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/html"), "the stored name's type, not the declared one");
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(SampleFiles.Html())));
    }

    [TestCase("song.mp3", "application/octet-stream", "audio/mpeg")]
    [TestCase("photo.png", "image/jpeg", "image/png")]
    [TestCase("notes.txt", null, "text/plain")]
    [TestCase("data.unknownext", "audio/mpeg", "application/octet-stream")]
    public async Task MapStorageFiles_ContentType_FromTheStoredNameNotTheClient(string name, string? declared, string served)
    {
        await using var app = await StartAsync(_ => { });
        var content = RandomBytes(5000, 7);
        await app.Services.GetRequiredService<IStorageRegistry>().Default.SaveAsync(
            name, new MemoryStream(content), new FileSaveOptions { ContentType = declared });

        var response = await app.Client.GetAsync("/media/" + name);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo(served));
        Assert.That(response.Content.Headers.ContentDisposition, Is.Null, "passive content stays inline");
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("sandbox"));
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task MapStorageFiles_RawUploadFromCurl_ServedAsItsExtensionsType()
    {
        await using var app = await StartAsync(a => a.MapPost("/raw/{filename}", async (UploadForm form, IStorageRegistry storages) =>
            new { name = await form.Files.GetRequired("file").SaveAsync(storages.Default) }));
        var data = RandomBytes(20_000, 8);
        var body = new ByteArrayContent(data);
        body.Headers.ContentType = new("application/octet-stream");

        var saved = await (await app.Client.PostAsync("/raw/track.mp3", body)).Content.ReadFromJsonAsync<JsonElement>();
        var response = await app.Client.GetAsync("/media/" + saved.GetProperty("name").GetString());

        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("audio/mpeg"));
        Assert.That(Sha256Hex(await response.Content.ReadAsByteArrayAsync()), Is.EqualTo(Sha256Hex(data)));
    }

    [TestCase("/media/missing.png")]
    [TestCase("/media/%2e%2e/secret.txt")]
    [TestCase("/media/a/%2e%2e/%2e%2e/secret.txt")]
    [TestCase("/media/..%5csecret.txt")]
    [TestCase("/media/.uploadkit/meta/a.png")]
    public async Task MapStorageFiles_MissingOrSuspiciousName_Answers404(string path)
    {
        await File.WriteAllTextAsync(Path.Combine(Temp, "secret.txt"), "secret");
        await using var app = await StartAsync(_ => { });
        await app.Services.GetRequiredService<IStorageRegistry>().Default.SaveAsync(
            "a.png", new MemoryStream(SampleFiles.Png()), new FileSaveOptions { ContentType = "image/png" });
        var response = await app.Client.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Not.Contain("secret"));
    }

    [Test]
    public void MapStorageFiles_UnknownStorage_FailsAtStartUp()
    {
        var ex = Assert.ThrowsAsync<InvalidOperationException>(async () => await StartAsync(a => a.MapStorageFiles("/avatars", "avatars")));
        Assert.That(ex!.Message, Does.Contain("'avatars'"));
    }

    [Test]
    public async Task MapStorageFiles_Head_AnswersHeadersWithoutBody()
    {
        await using var app = await StartAsync(_ => { });
        var content = SampleFiles.Png();
        await app.Services.GetRequiredService<IStorageRegistry>().Default.SaveAsync("a.png", new MemoryStream(content));
        using var request = new HttpRequestMessage(HttpMethod.Head, "/media/a.png");
        var response = await app.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/png"));
        Assert.That(response.Content.Headers.ContentLength, Is.EqualTo(content.Length));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
    }

    /// <summary>Counts the bytes read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Add(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Add(await inner.ReadAsync(buffer, cancellationToken));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Add(int read)
        {
            Interlocked.Add(ref _count, read);
            return read;
        }
    }

    /// <summary>A multipart body with one large file, generated as it is sent; sending stops quietly if the server stops reading.</summary>
    private sealed class LargeBodyContent : HttpContent
    {
        private const string Boundary = "----UploadKitLargeBoundary";
        private readonly long _fileLength;
        private readonly bool _chunked;
        private readonly byte[] _head = System.Text.Encoding.ASCII
            .GetBytes($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\n");
        private readonly byte[] _tail = System.Text.Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");

        public LargeBodyContent(long fileLength, bool chunked)
        {
            _fileLength = fileLength;
            _chunked = chunked;
            Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            try
            {
                await stream.WriteAsync(_head);
                var block = RandomBytes(64 * 1024);
                for (long sent = 0; sent < _fileLength; sent += block.Length)
                {
                    await stream.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, _fileLength - sent)));
                }

                await stream.WriteAsync(_tail);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
            {
                // The server answered and closed the connection before the body was sent: what this test expects.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _head.Length + _fileLength + _tail.Length;
            return !_chunked;
        }
    }
}
