using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Scanning.ClamAv.Tests;

/// <summary>
/// An app that scans its uploads with clamd: <c>POST /upload</c> saves every file into the <c>default</c> storage (a folder),
/// <c>POST /open/upload</c> does the same but fails open, and a <c>quarantine</c> storage (another folder) takes infected files.
/// </summary>
public sealed class ScanningApp : IAsyncDisposable
{
    private readonly TestApp _app;
    private readonly TempDirectory _directory;

    private ScanningApp(TestApp app, TempDirectory directory)
    {
        _app = app;
        _directory = directory;
    }

    public HttpClient Client => _app.Client;

    public IServiceProvider Services => _app.Services;

    public IStorageRegistry Storages => Services.GetRequiredService<IStorageRegistry>();

    /// <summary>Gets the folder of the request's temporary files.</summary>
    public string TempFiles => Path.Combine(_directory.Path, "tmp");

    public static async Task<ScanningApp> StartAsync(
        string endpoint,
        bool quarantine = true,
        Action<ClamAvOptions>? clamAv = null,
        Action<ScanningOptions>? scanning = null,
        bool kestrel = false)
    {
        var directory = new TempDirectory("uploadkit-scan-");
        Directory.CreateDirectory(Path.Combine(directory.Path, "tmp"));
        var app = await TestApp.StartAsync(
            services =>
            {
                var builder = services.AddUploadKit(o =>
                    {
                        o.TempFileDirectory = Path.Combine(directory.Path, "tmp");
                        o.MaxRequestBodySize = 512L * 1024 * 1024;
                    })
                    .AddStorage(
                        FileStorageNames.Default,
                        _ => new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(directory.Path, "media") }));
                if (quarantine)
                {
                    builder.AddStorage(
                        ScanningOptions.DefaultQuarantineStorage,
                        _ => new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(directory.Path, "quarantine") }));
                }

                builder.AddClamAvScanning(o =>
                {
                    o.Endpoint = endpoint;
                    o.StreamMaxLength = ClamdServer.StreamMaxLength;
                    clamAv?.Invoke(o);
                });
                if (scanning is not null)
                {
                    services.Configure(scanning);
                }

                services.Configure<DirectUploadOptions>(o => o.SigningKey = Convert.ToBase64String(new byte[32]));
            },
            web =>
            {
                web.MapPost("/upload", SaveAllAsync);
                web.MapPost("/open/upload", SaveAllAsync).WithScanFailOpen();
                web.MapPost("/raw/{filename}", SaveAllAsync);
            },
            kestrel);
        return new ScanningApp(app, directory);
    }

    public static async Task<IResult> SaveAllAsync(UploadForm form, IStorageRegistry storages, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var file in form.Files)
        {
            names.Add(await file.SaveAsync(storages.Default, cancellationToken: cancellationToken));
        }

        return Results.Ok(names);
    }

    public Task<HttpResponseMessage> PostFileAsync(string path, string fileName, byte[] content)
    {
        var body = new MultipartBodyBuilder().AddField("title", "t").AddFile("file", fileName, content).Build();
        var request = new ByteArrayContent(body);
        request.Headers.ContentType = MediaTypeHeaderValue.Parse(new MultipartBodyBuilder().ContentType);
        return Client.PostAsync(path, request);
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public async Task<List<StoredFileInfo>> ListAsync(string storage)
    {
        var list = new List<StoredFileInfo>();
        if (!Storages.TryGetStorage(storage, out var found))
        {
            return list;
        }

        await foreach (var info in found.ListAsync())
        {
            list.Add(info);
        }

        return list;
    }

    /// <summary>Waits for the request's temporary files to go: they are deleted when the request ends, possibly after the answer is read.</summary>
    public async Task<string[]> WaitForNoTempFilesAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string[] left;
        while ((left = Directory.GetFiles(TempFiles, "*", SearchOption.AllDirectories)).Length > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return left;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _directory.Dispose();
    }
}
