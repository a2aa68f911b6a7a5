using System.Diagnostics;
using System.Text;

namespace UploadKit.Benchmarks;

/// <summary>The server, run as a child process of this executable, killed when the run ends.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();
    private bool _disposed;

    private ServerProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; private set; }

    public int ProcessId => _process.Id;

    /// <summary>Starts the server and waits until it listens.</summary>
    /// <param name="options">The client's options.</param>
    /// <param name="environment">Variables to set in the server's environment.</param>
    /// <param name="dataDirectory">Where it stores files; <see cref="BenchOptions.DataDirectory"/> by default.</param>
    /// <param name="transport">Kestrel transport settings (see <see cref="TransportSettings"/>); empty for the defaults.</param>
    public static async Task<ServerProcess> StartAsync(
        BenchOptions options, IReadOnlyDictionary<string, string>? environment = null, string? dataDirectory = null, string transport = "")
    {
        dataDirectory ??= options.DataDirectory;
        var executable = Environment.ProcessPath ?? throw new InvalidOperationException("The executable's path is unknown.");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(executable) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        }

        start.ArgumentList.Add("server");
        start.ArgumentList.Add(dataDirectory);
        if (transport.Length > 0)
        {
            start.ArgumentList.Add("--transport");
            start.ArgumentList.Add(transport);
        }

        // An ASP.NET Core app runs with server GC unless told otherwise; so does this server by default.
        start.Environment["DOTNET_gcServer"] = options.ServerGc ? "1" : "0";
        // IFormFile buffering writes its temporary files here, on the same disk as every other variant's files.
        var formTemp = Path.Combine(dataDirectory, "aspnet-temp");
        Directory.CreateDirectory(formTemp);
        start.Environment["ASPNETCORE_TEMP"] = formTemp;

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        if (options.AllocationProfile)
        {
            start.Environment["UPLOADKIT_BENCH_ALLOC_PROFILE"] = "1";
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("The server did not start.");
        var server = new ServerProcess(process, new Uri("http://127.0.0.1"));
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (server._errors)
                {
                    server._errors.AppendLine(e.Data);
                }

                Console.Error.WriteLine("server: " + e.Data);
            }
        };
        process.BeginErrorReadLine();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                await process.WaitForExitAsync(timeout.Token);
                throw new InvalidOperationException($"The server exited with code {process.ExitCode}: {server._errors}");
            }

            if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                server.Address = new Uri(line["LISTENING ".Length..]);
                // Keep draining stdout so the server never blocks on a full pipe.
                _ = Task.Run(async () =>
                {
                    while (await process.StandardOutput.ReadLineAsync() is { } more)
                    {
                        Console.WriteLine("server: " + more);
                    }
                });
                return server;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
