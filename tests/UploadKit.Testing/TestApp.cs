using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UploadKit.Testing;

/// <summary>A web app for a test: in memory (TestServer) or on Kestrel at 127.0.0.1 on a free port.</summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    /// <summary>The running app.</summary>
    public WebApplication App { get; }

    /// <summary>A client for the app.</summary>
    public HttpClient Client { get; }

    /// <summary>The app's services.</summary>
    public IServiceProvider Services => App.Services;

    /// <summary>Starts an app.</summary>
    /// <param name="configureServices">Adds services (call AddUploadKit here).</param>
    /// <param name="configureApp">Maps endpoints.</param>
    /// <param name="kestrel">True for a real Kestrel server on 127.0.0.1; false for the in-memory TestServer.</param>
    /// <returns>The running app.</returns>
    public static async Task<TestApp> StartAsync(
        Action<IServiceCollection> configureServices, Action<WebApplication> configureApp, bool kestrel = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (Environment.GetEnvironmentVariable("UPLOADKIT_TEST_LOGS") == "1")
        {
            builder.Logging.AddConsole();
        }
        if (kestrel)
        {
            builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        builder.Services.AddRouting();
        configureServices(builder.Services);
        var app = builder.Build();
        configureApp(app);
        await app.StartAsync();
        HttpClient client;
        if (kestrel)
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(5) };
        }
        else
        {
            client = app.GetTestClient();
        }

        return new TestApp(app, client);
    }

    /// <summary>Stops the app.</summary>
    /// <returns>A task that completes when the app has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
