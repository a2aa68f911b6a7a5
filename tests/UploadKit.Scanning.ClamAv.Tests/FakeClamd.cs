using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using UploadKit.Testing;

namespace UploadKit.Scanning.ClamAv.Tests;

/// <summary>
/// A socket server that speaks clamd's protocol as clamd does (<c>zIDSESSION</c>, <c>zINSTREAM</c> with length-prefixed
/// chunks, <c>zEND</c>, replies ended by <c>\0</c> and numbered in a session) and records what it received, with switches
/// for the misbehaviour a real clamd cannot be made to show on demand: a slow verdict, a size limit, a dropped connection.
/// </summary>
public sealed class FakeClamd : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = [];
    private int _accepted;

    private FakeClamd(Socket listener, string endpoint)
    {
        _listener = listener;
        Endpoint = endpoint;
        _accepting = AcceptAsync();
    }

    /// <summary>Gets the endpoint to configure: <c>tcp://127.0.0.1:port</c> or <c>unix:///path</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Gets or sets the bytes that make a stream "infected" when they appear in it.</summary>
    public byte[] Marker { get; set; } = TestSignatures.Eicar;

    /// <summary>Gets or sets how long the verdict is held back after the stream ends.</summary>
    public TimeSpan VerdictDelay { get; set; }

    /// <summary>Gets or sets a size limit: past it the server answers <c>INSTREAM size limit exceeded. ERROR</c> and closes.</summary>
    public long? SizeLimit { get; set; }

    /// <summary>Gets or sets whether the server closes connections without a reply once a stream ended.</summary>
    public bool DropBeforeVerdict { get; set; }

    /// <summary>Gets or sets the reply to give instead of the verdict (such as an error).</summary>
    public string? ReplyOverride { get; set; }

    /// <summary>Gets the lengths of the chunks of each stream received, in order.</summary>
    public List<List<int>> ChunkLengths { get; } = [];

    /// <summary>Gets each stream's bytes as received.</summary>
    public List<byte[]> Streams { get; } = [];

    /// <summary>Gets how many connections were accepted.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Starts a fake clamd on 127.0.0.1 on a free port.</summary>
    public static FakeClamd StartTcp()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return new FakeClamd(listener, string.Create(CultureInfo.InvariantCulture, $"tcp://127.0.0.1:{port}"));
    }

    /// <summary>Starts a fake clamd on a Unix socket at <paramref name="path"/>.</summary>
    public static FakeClamd StartUnix(string path)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(16);
        return new FakeClamd(listener, "unix://" + path);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            lock (_connections)
            {
                _connections.Add(ServeAsync(socket));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var stream = new NetworkStream(socket, ownsSocket: true);
        var inSession = false;
        var number = 0;
        try
        {
            while (true)
            {
                var command = await ReadCommandAsync(stream);
                if (command is null or "END")
                {
                    return;
                }

                if (command == "IDSESSION")
                {
                    inSession = true;
                    continue;
                }

                number++;
                var prefix = inSession ? number.ToString(CultureInfo.InvariantCulture) + ": " : "";
                if (command != "INSTREAM")
                {
                    await ReplyAsync(stream, prefix + "UNKNOWN COMMAND");
                    return;
                }

                var reply = await ReceiveStreamAsync(stream);
                if (reply is null)
                {
                    await ReplyAsync(stream, prefix + "INSTREAM size limit exceeded. ERROR");
                    return;
                }

                if (DropBeforeVerdict)
                {
                    return;
                }

                if (VerdictDelay > TimeSpan.Zero)
                {
                    await Task.Delay(VerdictDelay, _stop.Token);
                }

                await ReplyAsync(stream, prefix + (ReplyOverride ?? reply));
                if (!inSession)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the test ended: the connection ends with it.
            TestContext.Progress.WriteLine("fake clamd connection ended: " + ex.GetType().Name);
        }
    }

    /// <summary>Reads the stream's chunks; the verdict, or <see langword="null"/> past the size limit.</summary>
    private async Task<string?> ReceiveStreamAsync(NetworkStream stream)
    {
        var lengths = new List<int>();
        using var data = new MemoryStream();
        var header = new byte[4];
        while (true)
        {
            await stream.ReadExactlyAsync(header, _stop.Token);
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length == 0)
            {
                break;
            }

            lengths.Add(length);
            var chunk = new byte[length];
            await stream.ReadExactlyAsync(chunk, _stop.Token);
            data.Write(chunk);
            if (SizeLimit is { } limit && data.Length > limit)
            {
                Record(lengths, data);
                return null;
            }
        }

        Record(lengths, data);
        return data.ToArray().AsSpan().IndexOf(Marker) >= 0 ? $"stream: {TestSignatures.EicarBodyName} FOUND" : "stream: OK";
    }

    private void Record(List<int> lengths, MemoryStream data)
    {
        lock (Streams)
        {
            ChunkLengths.Add(lengths);
            Streams.Add(data.ToArray());
        }
    }

    private async Task<string?> ReadCommandAsync(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }

            if (bytes.Count == 0 && one[0] != (byte)'z')
            {
                throw new IOException("commands must start with z (null-terminated)");
            }

            if (one[0] == 0)
            {
                return Encoding.ASCII.GetString([.. bytes.Skip(1)]);
            }

            bytes.Add(one[0]);
        }
    }

    private async Task ReplyAsync(NetworkStream stream, string reply)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(reply + "\0"), _stop.Token);
    }
}
