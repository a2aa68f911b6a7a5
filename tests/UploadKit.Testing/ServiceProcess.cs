using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace UploadKit.Testing;

/// <summary>
/// A server process the tests start on 127.0.0.1 (s3rver, Azurite, redis-server) and stop when done.
/// Its output is kept so a failed start says why.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>The TCP port the service listens on.</summary>
    public int Port { get; }

    /// <summary>Everything the process printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Finds a free TCP port on 127.0.0.1.</summary>
    /// <returns>A port nobody listens on right now.</returns>
    public static int GetFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Returns the path of a program on PATH (or the path itself if it exists), or <see langword="null"/>.</summary>
    /// <param name="program">A program name such as <c>node</c> or <c>redis-server</c>.</param>
    /// <returns>The program's full path, or <see langword="null"/>.</returns>
    public static string? FindProgram(string program)
    {
        if (File.Exists(program))
        {
            return Path.GetFullPath(program);
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in new[] { "/usr/sbin", "/usr/local/sbin", "/usr/bin" })
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> and waits until <paramref name="port"/> accepts connections on 127.0.0.1.
    /// </summary>
    /// <param name="fileName">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="port">The port it will listen on.</param>
    /// <param name="workingDirectory">Its working directory; the repository root by default.</param>
    /// <param name="timeout">How long to wait for the port; 90 s by default (Azurite alone can take 30 s on a loaded machine).</param>
    /// <returns>The running service.</returns>
    /// <exception cref="InvalidOperationException">It exited or did not listen in time; the message carries its output.</exception>
    public static async Task<ServiceProcess> StartAsync(
        string fileName, IEnumerable<string> arguments, int port, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? TestEnvironment.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var service = new ServiceProcess(process, port);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{fileName} exited with code {process.ExitCode}: {service.Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return service;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        await service.DisposeAsync();
        throw new InvalidOperationException($"{fileName} did not listen on 127.0.0.1:{port} in time: {service.Output}");
    }

    /// <summary>Stops the process and its children.</summary>
    /// <returns>A task that completes when the process has exited.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (TimeoutException)
        {
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
