using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace UploadKit.Benchmarks;

/// <summary>
/// The memory cost of idle kept-alive connections, the trade-off of Kestrel's
/// <c>WaitForDataBeforeAllocatingBuffer = false</c> (a connection then holds a receive buffer while it waits): a fresh
/// server, its resident set read, then N connections each sending one <c>GET /health</c> and reading the answer, left
/// open and idle for a second, and the resident set read again.
/// </summary>
internal static class IdleConnections
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

    public static async Task<IdleFigures> MeasureAsync(string key, BenchOptions options)
    {
        await using var target = await ServerTarget.StartAsync(key, options);
        var address = target.Http.BaseAddress!;
        var buffer = new byte[4096];

        // A few connections first, closed again, so that the code of a connection has run once before the figure.
        var warmUp = new List<Socket>();
        await OpenAsync(warmUp, 20);
        warmUp.ForEach(s => s.Dispose());
        await Task.Delay(TimeSpan.FromSeconds(1));
        var before = ProcessFigures.ResidentSet(target.ProcessId);
        var sockets = new List<Socket>(options.IdleConnections);
        try
        {
            await OpenAsync(sockets, options.IdleConnections);

            // Node closes connections idle for 5 s; the figure is read well before.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var after = ProcessFigures.ResidentSet(target.ProcessId);
            return new IdleFigures(key, options.IdleConnections, before, after);
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }

        async Task OpenAsync(List<Socket> into, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                into.Add(socket);
                await socket.ConnectAsync(address.Host, address.Port);
                await socket.SendAsync(Request);
                // The answer is small; read until its head has arrived, which is all a kept-alive client waits for.
                var received = new StringBuilder();
                while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await socket.ReceiveAsync(buffer);
                    if (read == 0)
                    {
                        throw new InvalidOperationException($"{key} closed connection {i} after {received.Length} bytes.");
                    }

                    received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
        }
    }
}

/// <summary>The resident set of a server before and with <paramref name="Connections"/> idle kept-alive connections.</summary>
internal sealed record IdleFigures(string Server, int Connections, long Before, long After)
{
    public double KiBPerConnection => (After - Before) / 1024.0 / Connections;

    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Before / 1048576.0:F1} MiB → {After / 1048576.0:F1} MiB, {KiBPerConnection:F1} KiB per connection");
}
