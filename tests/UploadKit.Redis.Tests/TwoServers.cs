using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

/// <summary>
/// Two app instances against one Redis, as two servers behind a load balancer: they share a fresh key prefix and
/// one throwaway folder, which disposing deletes.
/// </summary>
internal sealed class TwoServers : IAsyncDisposable
{
    private readonly TempDirectory _folder = new();
    private TestApp? _first;
    private TestApp? _second;

    /// <summary>The folder both apps share (temporary files or stored files), below the temp folder.</summary>
    public string Folder => _folder.Path;

    /// <summary>The Redis key prefix both apps use, fresh for each test.</summary>
    public string KeyPrefix { get; } = "test:" + Guid.NewGuid().ToString("N") + ":";

    /// <summary>The first server.</summary>
    public TestApp First => _first ?? throw new InvalidOperationException("The servers are not running.");

    /// <summary>The second server.</summary>
    public TestApp Second => _second ?? throw new InvalidOperationException("The servers are not running.");

    /// <summary>Starts both apps, one after the other, with <paramref name="startApp"/>.</summary>
    /// <param name="startApp">Starts one app configured with <see cref="Folder"/> and <see cref="KeyPrefix"/>.</param>
    /// <returns>A task that completes when both apps run.</returns>
    public async Task StartAsync(Func<TwoServers, Task<TestApp>> startApp)
    {
        _first = await startApp(this);
        _second = await startApp(this);
    }

    /// <summary>Stops both apps and leaves the folder for checks on what is left in it.</summary>
    /// <returns>A task that completes when both apps have stopped.</returns>
    public async Task StopAsync()
    {
        if (_first is not null)
        {
            await _first.DisposeAsync();
            _first = null;
        }

        if (_second is not null)
        {
            await _second.DisposeAsync();
            _second = null;
        }
    }

    /// <summary>Stops both apps and deletes the folder.</summary>
    /// <returns>A task that completes when both are gone.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _folder.Dispose();
    }
}
