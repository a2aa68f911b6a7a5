using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Samples.Tests;

/// <summary>
/// A sample app running its own Program on Kestrel at 127.0.0.1 (a free port), with settings given as configuration
/// the way a deployment would, its files in a throwaway folder, and a plain HttpClient as the curl of the article.
/// </summary>
/// <typeparam name="TEntryPoint">A type of the sample's assembly.</typeparam>
public sealed class SampleApp<TEntryPoint> : IAsyncDisposable
    where TEntryPoint : class
{
    private readonly WebApplicationFactory<TEntryPoint> _factory;
    private readonly TempDirectory _directory;

    private SampleApp(WebApplicationFactory<TEntryPoint> factory, TempDirectory directory, Uri baseAddress)
    {
        _factory = factory;
        _directory = directory;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    /// <summary>The app's throwaway folder (database, media).</summary>
    public string Directory => _directory.Path;

    /// <summary>Where the app listens, such as <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client for the app.</summary>
    public HttpClient Client { get; }

    /// <summary>The app's services.</summary>
    public IServiceProvider Services => _factory.Services;

    /// <summary>The files the app stored in its <c>media</c> folder, relative to it, without the storage's own reserved folder.</summary>
    public string[] StoredFiles()
    {
        var media = Path.Combine(Directory, "media");
        return System.IO.Directory.Exists(media)
            ? System.IO.Directory.EnumerateFiles(media, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(media, f))
                .Where(f => !f.StartsWith(".uploadkit", StringComparison.Ordinal))
                .ToArray()
            : [];
    }

    /// <summary>Starts the sample.</summary>
    /// <param name="settings">Configuration keys and values, given a <c>{dir}</c> placeholder for the throwaway folder.</param>
    public static Task<SampleApp<TEntryPoint>> StartAsync(IDictionary<string, string?> settings)
    {
        var directory = new TempDirectory("uploadkit-sample-");
        var factory = new WebApplicationFactory<TEntryPoint>().WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value?.Replace("{dir}", directory.Path, StringComparison.Ordinal));
            }
        });
        factory.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        var address = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return Task.FromResult(new SampleApp<TEntryPoint>(factory, directory, new Uri(address.TrimEnd('/') + "/")));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _directory.Dispose();
    }
}
