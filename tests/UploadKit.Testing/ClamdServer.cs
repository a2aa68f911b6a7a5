using System.Diagnostics;
using System.Globalization;

namespace UploadKit.Testing;

/// <summary>
/// Debian's clamd, started on 127.0.0.1 on a free port (and on a Unix socket) in the foreground with a temporary
/// configuration and the tests' own signature database, and stopped when disposed.
/// </summary>
public sealed class ClamdServer : IAsyncDisposable
{
    private readonly ServiceProcess _process;
    private readonly TempDirectory _directory;

    private ClamdServer(ServiceProcess process, TempDirectory directory, string socketPath, TimeSpan startup)
    {
        _process = process;
        _directory = directory;
        SocketPath = socketPath;
        Startup = startup;
    }

    /// <summary>clamd's <c>StreamMaxLength</c> in these tests: above the 100 MiB clean-file test.</summary>
    public const long StreamMaxLength = 150L * 1024 * 1024;

    /// <summary>Gets the TCP endpoint, <c>tcp://127.0.0.1:port</c>.</summary>
    public string Endpoint => string.Create(CultureInfo.InvariantCulture, $"tcp://127.0.0.1:{_process.Port}");

    /// <summary>Gets the Unix socket endpoint, <c>unix:///path</c>.</summary>
    public string UnixEndpoint => "unix://" + SocketPath;

    /// <summary>Gets the path of the Unix socket.</summary>
    public string SocketPath { get; }

    /// <summary>Gets how long clamd took from start to accepting connections.</summary>
    public TimeSpan Startup { get; }

    /// <summary>Gets clamd's path, or <see langword="null"/> if it is not installed.</summary>
    public static string? Program => ServiceProcess.FindProgram("clamd") ?? ServiceProcess.FindProgram("/usr/sbin/clamd");

    /// <summary>Starts clamd.</summary>
    public static async Task<ClamdServer> StartAsync()
    {
        var program = Program ?? throw new InvalidOperationException("clamd is not installed.");
        var directory = new TempDirectory("uploadkit-clamd-");
        var database = Path.Combine(directory.Path, "db");
        TestSignatures.Write(database);
        Directory.CreateDirectory(Path.Combine(directory.Path, "tmp"));
        var port = ServiceProcess.GetFreePort();
        var socket = Path.Combine(directory.Path, "clamd.sock");
        var config = Path.Combine(directory.Path, "clamd.conf");
        var megabytes = StreamMaxLength / (1024 * 1024);
        await File.WriteAllTextAsync(config, string.Join('\n',
            "Foreground yes",
            $"TCPSocket {port}",
            "TCPAddr 127.0.0.1",
            $"LocalSocket {socket}",
            $"DatabaseDirectory {database}",
            $"TemporaryDirectory {Path.Combine(directory.Path, "tmp")}",
            $"PidFile {Path.Combine(directory.Path, "clamd.pid")}",
            $"StreamMaxLength {megabytes}M",
            // Files up to the stream limit are scanned whole, and a file past a scan limit is reported, never called clean.
            $"MaxFileSize {megabytes}M",
            $"MaxScanSize {megabytes}M",
            "AlertExceedsMax yes",
            "Bytecode no",
            "MaxThreads 4",
            "") + "\n");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var process = await ServiceProcess.StartAsync(
                program, ["--config-file=" + config], port, directory.Path, TimeSpan.FromSeconds(120));
            var startup = Stopwatch.GetElapsedTime(started);
            TestContext.Progress.WriteLine($"clamd started in {startup.TotalSeconds:0.00} s");
            return new ClamdServer(process, directory, socket, startup);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Stops clamd at once (as a crash or a restart would), leaving its temp folder for <see cref="DisposeAsync"/>.</summary>
    public ValueTask StopAsync() => _process.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _directory.Dispose();
    }
}
