using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UploadKit.Benchmarks;

/// <summary>
/// The peers from other ecosystems (bench/peers): a Node <c>busboy</c> server and a Go <c>mime/multipart</c> server,
/// each its own process on 127.0.0.1, started with <c>--port P --data-dir D</c>, ready once <c>GET /health</c> answers 200.
/// </summary>
internal static class Peers
{
    public const string Busboy = "busboy";
    public const string Go = "go";

    /// <summary>
    /// Runs <c>bench/peers/install.sh</c> (npm ci, and the Go build) and times it; then tells which peers can start.
    /// </summary>
    public static async Task<PeerInstall> InstallAsync(string peersDirectory)
    {
        var script = Path.Combine(peersDirectory, "install.sh");
        if (!File.Exists(script))
        {
            return new PeerInstall(TimeSpan.Zero, false, $"{script} does not exist", []);
        }

        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = peersDirectory,
        };
        start.ArgumentList.Add(script);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start.");
        var output = new StringBuilder();
        void Collect(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        }

        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync();
        var elapsed = clock.Elapsed;
        var missing = new List<string>();
        if (!File.Exists(Path.Combine(peersDirectory, "busboy", "node_modules", "busboy", "package.json")))
        {
            missing.Add(Busboy);
        }

        if (!File.Exists(GoBinary(peersDirectory)))
        {
            missing.Add(Go);
        }

        string tail;
        lock (output)
        {
            tail = string.Join('\n', output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(8));
        }

        return new PeerInstall(elapsed, process.ExitCode == 0, $"exit code {process.ExitCode}; {tail}", missing);
    }

    /// <summary>Starts <paramref name="peer"/> on a free port, storing under <paramref name="dataDirectory"/>; waits until it is healthy.</summary>
    public static async Task<PeerProcess> StartAsync(string peer, string peersDirectory, string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var port = FreePort();
        var start = peer switch
        {
            Busboy => new ProcessStartInfo("node") { ArgumentList = { Path.Combine(peersDirectory, "busboy", "server.js") } },
            Go => new ProcessStartInfo(GoBinary(peersDirectory)),
            _ => throw new ArgumentException($"No peer '{peer}'."),
        };
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--data-dir");
        start.ArgumentList.Add(dataDirectory);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{peer} did not start.");
        var peerProcess = new PeerProcess(peer, process, new Uri($"http://127.0.0.1:{port}"));
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = peerProcess.Address };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var errors = peerProcess.Errors;
                await peerProcess.DisposeAsync();
                throw new InvalidOperationException($"{peer} exited with code {process.ExitCode}: {errors}");
            }

            try
            {
                using var health = await http.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return peerProcess;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                await peerProcess.DisposeAsync();
                throw new InvalidOperationException($"{peer} was not healthy after 30 s: {peerProcess.Errors}");
            }

            await Task.Delay(100);
        }
    }

    private static string GoBinary(string peersDirectory) => Path.Combine(peersDirectory, "go", "bin", "upload-server");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>How the peers' installation went.</summary>
/// <param name="Duration">The time install.sh took.</param>
/// <param name="Succeeded">Whether it exited with 0.</param>
/// <param name="Output">Its exit code and last lines.</param>
/// <param name="Missing">Peers that cannot start after it.</param>
internal sealed record PeerInstall(TimeSpan Duration, bool Succeeded, string Output, IReadOnlyList<string> Missing);

/// <summary>A running peer, stopped (SIGTERM, then killed) when disposed.</summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();

    public PeerProcess(string name, Process process, Uri address)
    {
        Name = name;
        _process = process;
        Address = address;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }

                Console.Error.WriteLine(name + ": " + e.Data);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
    }

    public string Name { get; }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // The protocol's SIGTERM: the peer stops cleanly; killed if it does not within 5 s.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }
}
