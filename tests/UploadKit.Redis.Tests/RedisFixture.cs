using System.Globalization;
using StackExchange.Redis;
using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

/// <summary>
/// Starts Debian's redis-server on 127.0.0.1 on a free port for the test run, with persistence off and a throwaway
/// working folder, and stops it after.
/// </summary>
[SetUpFixture]
public sealed class RedisFixture
{
    private static ServiceProcess? _server;
    private static TempDirectory? _directory;
    private static string? _unavailable;
    private static ConnectionMultiplexer? _connection;

    /// <summary>Gets the connection string of the running server.</summary>
    public static string ConnectionString { get; private set; } = "";

    /// <summary>Gets a connection for checking what the stores wrote.</summary>
    public static IDatabase Database => (_connection ?? throw new InvalidOperationException("redis-server is not running.")).GetDatabase();

    /// <summary>Fails (under CI) or skips the calling test when redis-server could not be started.</summary>
    public static void Require()
    {
        if (_unavailable is not null)
        {
            TestEnvironment.Unavailable(_unavailable);
        }
    }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var program = ServiceProcess.FindProgram("redis-server") ?? ServiceProcess.FindProgram("/usr/bin/redis-server");
        if (program is null)
        {
            _unavailable = "redis-server is not installed; run eng/install-prerequisites.sh (as root) to install Debian's redis-server.";
            return;
        }

        _directory = new TempDirectory("uploadkit-redis-");
        var port = ServiceProcess.GetFreePort();
        _server = await ServiceProcess.StartAsync(
            program,
            [
                "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", _directory.Path,
            ],
            port,
            _directory.Path);
        ConnectionString = $"127.0.0.1:{port}";
        _connection = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _directory?.Dispose();
    }
}
