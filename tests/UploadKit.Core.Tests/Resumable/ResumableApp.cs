using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Tests.Resumable;

/// <summary>An app with a resumable route at <c>/files</c> storing into a FileSystem storage in a temp folder.</summary>
internal sealed class ResumableApp : IAsyncDisposable
{
    private readonly TempDirectory _directory = new("uploadkit-resumable-");

    private ResumableApp()
    {
    }

    public TestApp App { get; private set; } = null!;

    public HttpClient Client => App.Client;

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public string Media => Path.Combine(_directory.Path, "media");

    public List<ResumableUploadCompletedContext> Completed { get; } = [];

    public static async Task<ResumableApp> StartAsync(
        Action<ResumableUploadOptions>? configure = null,
        Action<IUploadKitBuilder>? uploadKit = null,
        Action<RouteGroupBuilder>? route = null,
        bool kestrel = false,
        Func<FileSystemStorage, IFileStorage>? storage = null)
    {
        var app = new ResumableApp();
        app.App = await TestApp.StartAsync(
            services =>
            {
                services.AddSingleton<TimeProvider>(app.Time);
                var builder = services.AddUploadKit(o => o.TempFileDirectory = app._directory.Path)
                    .AddStorage("default", _ =>
                    {
                        var files = new FileSystemStorage(new FileSystemStorageOptions { Location = app.Media });
                        return storage is null ? files : storage(files);
                    });
                uploadKit?.Invoke(builder);
                services.AddTestAuthentication();
            },
            web =>
            {
                web.UseAuthentication();
                web.UseAuthorization();
                var group = web.MapResumableUploads("/files", o =>
                {
                    o.Folder = "uploads";
                    o.OnCompleted = c =>
                    {
                        lock (app.Completed)
                        {
                            app.Completed.Add(c);
                        }

                        return Task.CompletedTask;
                    };
                    configure?.Invoke(o);
                });
                route?.Invoke(group);
            },
            kestrel);
        return app;
    }

    public ResumableUploadService Service => App.Services.GetRequiredService<ResumableUploadService>();

    public IResumableUploadStore Store => App.Services.GetRequiredService<IResumableUploadStore>();

    /// <summary>Files in the media folder: stored files and whatever waits in the reserved folder, metadata aside.</summary>
    public IReadOnlyList<string> MediaFiles() => Directory.Exists(Media)
        ? [.. Directory.EnumerateFiles(Media, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Media, p).Replace('\\', '/'))
            .Where(p => !p.StartsWith(".uploadkit/meta/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)]
        : [];

    public static HttpRequestMessage Tus(HttpMethod method, string uri, string? user = "alice")
    {
        var request = TestAuthentication.Request(method, uri, user);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return request;
    }

    public async Task<string> CreateTusAsync(
        long? length, string fileName = "clip.bin", string type = "application/octet-stream", string? user = "alice")
    {
        using var request = Tus(HttpMethod.Post, "/files", user);
        if (length is { } known)
        {
            request.Headers.Add("Upload-Length", known.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            request.Headers.Add("Upload-Defer-Length", "1");
        }

        request.Headers.Add("Upload-Metadata", $"filename {B64(fileName)},filetype {B64(type)}");
        using var response = await Client.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.AbsolutePath;
    }

    public async Task<HttpResponseMessage> PatchTusAsync(
        string location, long offset, byte[] bytes, string? user = "alice", Action<HttpRequestMessage>? edit = null)
    {
        var request = Tus(HttpMethod.Patch, location, user);
        request.Headers.Add("Upload-Offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        edit?.Invoke(request);
        return await Client.SendAsync(request);
    }

    public static string B64(string value) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value));

    public static long Offset(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("Upload-Offset").Single(), System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        _directory.Dispose();
    }
}
