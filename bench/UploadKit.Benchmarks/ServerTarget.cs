using System.Net.Http.Json;

namespace UploadKit.Benchmarks;

/// <summary>
/// A server process the client measures, with its own HTTP client: the .NET server (with default or other Kestrel
/// transport settings) or a peer. Its processor time and peak resident set are read from <c>/proc</c> of its process,
/// whatever it runs on, so that every row is comparable; the .NET server also reports allocations and a sampled peak.
/// </summary>
internal sealed class ServerTarget : IAsyncDisposable
{
    private readonly IAsyncDisposable _process;

    private ServerTarget(string key, bool isDotnet, int processId, Uri address, IAsyncDisposable process)
    {
        Key = key;
        IsDotnet = isDotnet;
        ProcessId = processId;
        _process = process;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 64 })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromMinutes(10),
        };
    }

    public string Key { get; }

    public bool IsDotnet { get; }

    public int ProcessId { get; }

    public HttpClient Http { get; }

    /// <summary>
    /// Starts the server <paramref name="key"/> (see <see cref="Variant.ServerKey"/>), in a folder of its own under the data folder.
    /// </summary>
    public static async Task<ServerTarget> StartAsync(string key, BenchOptions options)
    {
        var dataDirectory = Path.Combine(options.DataDirectory, key.Replace('/', '-'));
        if (key == Peers.Busboy || key == Peers.Go)
        {
            var peer = await Peers.StartAsync(key, options.PeersDirectory, dataDirectory);
            return new ServerTarget(key, false, peer.ProcessId, peer.Address, peer);
        }

        var transport = key.Contains('/', StringComparison.Ordinal) ? key[(key.IndexOf('/', StringComparison.Ordinal) + 1)..] : "";
        var server = await ServerProcess.StartAsync(options, TransportSettings.Environment(transport), dataDirectory, transport);
        return new ServerTarget(key, true, server.ProcessId, server.Address, server);
    }

    /// <summary>The server's memory figures now; for a peer, from <c>/proc</c>.</summary>
    public async Task<ServerStats> StatsAsync()
    {
        if (IsDotnet)
        {
            return await Http.GetFromJsonAsync("/stats", BenchJsonContext.Default.ServerStats)
                ?? throw new InvalidOperationException("The server sent no stats.");
        }

        var resident = ProcessFigures.ResidentSet(ProcessId);
        var peak = ProcessFigures.HighWaterMark(ProcessId);
        return new ServerStats(resident, resident, peak, peak, true, "–") { AllocatedBytes = 0 };
    }

    /// <summary>Starts a new peak (and, when asked, a full collection in the .NET server); returns the figures now.</summary>
    public async Task<ServerStats> PrepareAsync(bool collect)
    {
        if (!IsDotnet)
        {
            ProcessFigures.ResetHighWaterMark(ProcessId);
            return await StatsAsync();
        }

        using var response = await Http.PostAsync(collect ? "/prepare?collect=true" : "/prepare", null);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(BenchJsonContext.Default.ServerStats)
            ?? throw new InvalidOperationException("The server sent no stats.");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _process.DisposeAsync();
    }
}
