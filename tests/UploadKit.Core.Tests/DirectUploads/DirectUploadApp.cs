using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Stores;
using UploadKit.Testing;

namespace UploadKit.Tests.DirectUploads;

/// <summary>
/// An app with an in-memory storage (<c>default</c>) and a file-system storage (<c>files</c>), a fake clock, a test
/// sign-in scheme (the <c>X-User</c> header names the user) and the direct-upload endpoints at <c>/uploads</c>.
/// </summary>
internal sealed class DirectUploadApp : IAsyncDisposable
{
    public const string UserHeader = "X-User";

    private readonly TempDirectory _directory;

    private DirectUploadApp(TestApp app, FakeTimeProvider time, TempDirectory directory)
    {
        App = app;
        Time = time;
        _directory = directory;
    }

    public TestApp App { get; }

    public FakeTimeProvider Time { get; }

    public string Directory => _directory.Path;

    public HttpClient Client => App.Client;

    public IDirectUploads Uploads => App.Services.GetRequiredService<IDirectUploads>();

    public IUploadSessionStore Store => App.Services.GetRequiredService<IUploadSessionStore>();

    public IStorageRegistry Storages => App.Services.GetRequiredService<IStorageRegistry>();

    public DirectUploadSweeper Sweeper => App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>()
        .OfType<DirectUploadSweeper>()
        .Single();

    public static async Task<DirectUploadApp> StartAsync(
        Func<RouteGroupBuilder, RouteGroupBuilder>? conventions = null,
        Action<DirectUploadOptions>? configure = null,
        bool kestrel = false,
        Action<IUploadKitBuilder>? storages = null,
        Action<UploadEndpointAuthorization>? security = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var directory = new TempDirectory("uploadkit-direct-");
        var app = await TestApp.StartAsync(
            services =>
            {
                services.AddSingleton<TimeProvider>(time);
                var builder = services.AddUploadKit()
                    .AddStorage(FileStorageNames.Default, _ => new InMemoryStorage())
                    .AddStorage("files", _ => new FileSystemStorage(new FileSystemStorageOptions { Location = directory.Path }));
                storages?.Invoke(builder);
                services.Configure<DirectUploadOptions>(o =>
                {
                    o.SigningKey = Convert.ToBase64String(new byte[32]);
                    configure?.Invoke(o);
                });
                services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
                    .AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
                services.AddAuthorization(o => o.AddPolicy("uploaders", p => p.RequireClaim("role", "uploader")));
            },
            web =>
            {
                web.UseAuthentication();
                web.UseAuthorization();
                var group = web.MapDirectUploads("/uploads", [FileStorageNames.Default, "files"], security);
                conventions?.Invoke(group);
            },
            kestrel);
        return new DirectUploadApp(app, time, directory);
    }

    public static HttpRequestMessage As(string? user, HttpMethod method, string url, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, url) { Content = content };
        if (user is not null)
        {
            request.Headers.Add(UserHeader, user);
        }

        return request;
    }

    public async Task<HttpResponseMessage> SendAsync(string? user, HttpMethod method, string url, object? json = null)
    {
        using var request = As(user, method, url, json is null ? null : JsonContent.Create(json));
        return await Client.SendAsync(request);
    }

    /// <summary>Begins an upload over HTTP as <paramref name="user"/> and reads the answer as a <see cref="DirectUpload"/>-like record.</summary>
    public async Task<BeginAnswer> BeginAsync(string user, string storage, object body)
    {
        using var response = await SendAsync(user, HttpMethod.Post, "/uploads/" + storage, body);
        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<BeginAnswer>(JsonSerializerOptions.Web))!;
    }

    /// <summary>PUTs <paramref name="content"/> to a begun upload's URL with its headers, as a plain client would.</summary>
    public async Task<HttpResponseMessage> PutAsync(BeginAnswer upload, byte[] content, string? contentType = null, string? url = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, url ?? upload.Url) { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? upload.Headers["Content-Type"]);
        return await Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        _directory.Dispose();
    }

    /// <summary>The JSON the begin endpoint answers with.</summary>
    public sealed record BeginAnswer(string Id, string Method, string Url, Dictionary<string, string> Headers, DateTimeOffset ExpiresOn);

    /// <summary>Signs in the user the <c>X-User</c> header names; no header, no user.</summary>
    private sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "Header";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (Request.Headers[UserHeader].ToString() is not { Length: > 0 } user)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user), new(ClaimTypes.Name, user) };
            if (Request.Headers["X-Role"].ToString() is { Length: > 0 } role)
            {
                claims.Add(new Claim("role", role));
            }

            var identity = new ClaimsIdentity(claims, SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
