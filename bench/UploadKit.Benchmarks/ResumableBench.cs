using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;

namespace UploadKit.Benchmarks;

/// <summary>
/// <c>resumable</c> mode: one file sent (a) as one multipart request through UploadKit's default chain and
/// <c>SaveAsync</c> into a storage, and (b) as a tus 1.0 upload in fixed-size PATCHes to <c>MapResumableUploads</c> on
/// the same storage, interleaved, against one server process. It reports medians of MiB/s, the server's processor
/// seconds per GiB and its peak resident set (both from <c>/proc</c> of the server process), and the ratio (b)/(a).
/// </summary>
internal static class ResumableBench
{
    private const double MiB = 1024 * 1024;
    private const double GiB = 1024 * MiB;

    private const string Bucket = "bench";

    public const string Usage = """
        dotnet run -c Release --project bench/UploadKit.Benchmarks -- resumable [options]
          --runs N           measured uploads of each kind, interleaved (default 7)
          --size MiB         file size (default 1024)
          --part MiB         bytes per PATCH, a whole number of MiB (default 8)
          --warm-up N        unmeasured uploads of 16 MiB of each kind first (default 3)
          --storages a,b     fs, s3 (default fs,s3; s3 runs when S3Storage takes resumable writes and s3rver can start)
          --s3-multipart     run the S3 case's multipart uploads even when its resumable uploads cannot run
          --fresh N          uploads of each kind on a fresh server each, for the peak above that idle server (default 1; 0 skips)
          --fixed-cost N     diagnostic: N empty PATCHes to time an append's fixed cost (default 40; 0 skips)
          --gc server|workstation  the server's GC (default server)
          --data-dir PATH    the server's folder (default: a new folder in the system temp folder)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        int runs = 7, sizeMiB = 1024, partMiB = 8, warmUp = 3, fixedCost = 40, fresh = 1;
        var storages = new List<string> { "fs", "s3" };
        var s3MultipartAlone = false;
        var serverGc = true;
        var dataDirectory = Path.Combine(
            Path.GetTempPath(), "uploadkit-bench-resumable-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--runs": runs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--size": sizeMiB = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--part": partMiB = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--warm-up": warmUp = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--storages": storages = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries)]; break;
                case "--s3-multipart": s3MultipartAlone = true; break;
                case "--fresh": fresh = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--fixed-cost": fixedCost = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--gc": serverGc = Value() != "workstation"; break;
                case "--data-dir": dataDirectory = Value(); break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        Directory.CreateDirectory(dataDirectory);
        var options = BenchOptions.Parse(["--data-dir", dataDirectory, "--gc", serverGc ? "server" : "workstation"]);
        var size = sizeMiB * (long)MiB;
        var part = partMiB * (long)MiB;
        var payload = new Payload(seed: 20_240_601);
        var expected = payload.Sha256(size);

        Console.WriteLine($"load average before: {MachineFacts.LoadAverage()} ({Environment.ProcessorCount} processors)");
        await using var s3rver = storages.Contains("s3") && (ResumableServer.S3IsResumable || s3MultipartAlone)
            ? await S3rver.StartAsync(options.RepositoryRoot, Path.Combine(dataDirectory, "s3rver"))
            : null;
        var environment = new Dictionary<string, string>();
        if (s3rver is { Unavailable: null })
        {
            environment[ResumableServer.S3EndpointVariable] = s3rver.Endpoint;
            environment[ResumableServer.S3BucketVariable] = Bucket;
        }

        await using var server = await ServerProcess.StartAsync(options, environment);
        using var http = CreateClient(server);
        var idle = (await MemoryBurst.GetStatsAsync(http)).IdleWorkingSet;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"server pid {server.ProcessId}, {(serverGc ? "server" : "workstation")} GC, idle working set {idle / MiB:F0} MiB; " +
            $"{sizeMiB} MiB file, {partMiB} MiB PATCHes, {runs} runs of each kind"));

        var failures = 0;
        foreach (var storage in storages)
        {
            var storageName = storage == "s3" ? ResumableServer.S3 : ResumableServer.FileSystem;
            var resumable = storage != "s3" || ResumableServer.S3IsResumable;
            if (storage == "s3")
            {
                if (!ResumableServer.S3IsResumable && !s3MultipartAlone)
                {
                    Console.WriteLine("s3: not measured: S3Storage does not implement IResumableFileStorage in this build.");
                    continue;
                }

                if (s3rver is null || s3rver.Unavailable is not null)
                {
                    Console.WriteLine($"s3: not measured: s3rver is unavailable ({s3rver?.Unavailable}).");
                    continue;
                }

                if (!resumable)
                {
                    Console.WriteLine("s3: S3Storage does not implement IResumableFileStorage in this build: multipart uploads only, no ratio.");
                }
            }

            var bench = new Run(http, server.ProcessId, payload, storageName, idle);
            for (var w = 0; w < warmUp; w++)
            {
                await bench.MultipartAsync(16 * (long)MiB, payload.Sha256(16 * (long)MiB));
                if (resumable)
                {
                    await bench.TusAsync(16 * (long)MiB, 4 * (long)MiB, payload.Sha256(16 * (long)MiB));
                }
            }

            var multipart = new List<Sample>();
            var tus = new List<Sample>();
            for (var r = 0; r < runs; r++)
            {
                // Interleaved, each kind first in every other round, so noise from the machine falls on both alike.
                for (var k = 0; k < 2; k++)
                {
                    var tusNow = (k == 0) == (r % 2 == 1);
                    if (tusNow && !resumable)
                    {
                        continue;
                    }

                    try
                    {
                        var sample = tusNow ? await bench.TusAsync(size, part, expected) : await bench.MultipartAsync(size, expected);
                        (tusNow ? tus : multipart).Add(sample);
                        Console.WriteLine($"  {storage} run {r + 1} {(tusNow ? "tus      " : "multipart")} {sample}");
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException or TaskCanceledException)
                    {
                        failures++;
                        Console.WriteLine($"  {storage} run {r + 1} {(tusNow ? "tus" : "multipart")} FAILED: {ex.Message}");
                    }
                }
            }

            Console.WriteLine();
            Console.WriteLine($"{storage}: medians of {runs} runs, load average now {MachineFacts.LoadAverage()}");
            Console.WriteLine(
                "| kind | MiB/s | MiB/s min-max | server CPU s/GiB | peak RSS MiB | peak above idle MiB | peak above upload's start MiB " +
                "| allocated MiB/GiB |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(Row("(a) multipart + SaveAsync", multipart));
            if (resumable)
            {
                Console.WriteLine(Row($"(b) tus, {partMiB} MiB PATCHes", tus));
                if (multipart.Count > 0 && tus.Count > 0)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"ratio (b)/(a) of median MiB/s: {Median(tus, s => s.MiBPerSecond) / Median(multipart, s => s.MiBPerSecond):F2}; " +
                        $"of median CPU s/GiB: {Median(tus, s => s.CpuPerGiB) / Median(multipart, s => s.CpuPerGiB):F2}; " +
                        $"median PATCH {Median(tus, s => s.MedianPatchMs):F0} ms"));
                }

                if (fixedCost > 0 && tus.Count > 0)
                {
                    var fixedMs = await bench.FixedCostAsync(fixedCost);
                    var patches = Math.Ceiling(size / (double)part);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"fixed cost of an append (median of {fixedCost} empty PATCHes, request to answer): {fixedMs:F2} ms; " +
                        $"x {patches:F0} PATCHes = {fixedMs * patches / 1000:F2} s " +
                        $"of the upload's {size / MiB / Median(tus, s => s.MiBPerSecond):F2} s"));
                }
            }

            for (var f = 0; f < fresh; f++)
            {
                foreach (var tusNow in resumable ? [false, true] : new[] { false })
                {
                    // The memory an upload needs, apart from what earlier uploads left in the server's heaps and pools.
                    await using var freshServer = await ServerProcess.StartAsync(options, environment);
                    using var freshHttp = CreateClient(freshServer);
                    var freshIdle = (await MemoryBurst.GetStatsAsync(freshHttp)).IdleWorkingSet;
                    var freshRun = new Run(freshHttp, freshServer.ProcessId, payload, storageName, freshIdle);
                    var small = 16 * (long)MiB;
                    Sample sample;
                    if (tusNow)
                    {
                        await freshRun.TusAsync(small, 4 * (long)MiB, payload.Sha256(small));
                        sample = await freshRun.TusAsync(size, part, expected);
                    }
                    else
                    {
                        await freshRun.MultipartAsync(small, payload.Sha256(small));
                        sample = await freshRun.MultipartAsync(size, expected);
                    }

                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"fresh server (idle {freshIdle / MiB:F0} MiB, one 16 MiB upload first), " +
                        $"{(tusNow ? "(b) tus      " : "(a) multipart")}: {sample}"));
                }
            }

            Console.WriteLine();
        }

        Console.WriteLine($"load average after: {MachineFacts.LoadAverage()}");
        await server.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
        return failures == 0 ? 0 : 1;
    }

    private static HttpClient CreateClient(ServerProcess server) =>
        new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 1 })
        {
            BaseAddress = server.Address,
            Timeout = TimeSpan.FromMinutes(20),
        };

    private static string Row(string kind, List<Sample> samples) => samples.Count == 0
        ? $"| {kind} | no run succeeded | | | | | | |"
        : string.Create(CultureInfo.InvariantCulture,
            $"| {kind} | {Median(samples, s => s.MiBPerSecond):F0} | {samples.Min(s => s.MiBPerSecond):F0}-{samples.Max(s => s.MiBPerSecond):F0} | " +
            $"{Median(samples, s => s.CpuPerGiB):F2} | {Median(samples, s => s.PeakRss) / MiB:F0} | " +
            $"{Median(samples, s => s.PeakAboveIdle) / MiB:F0} " +
            $"(max {samples.Max(s => s.PeakAboveIdle) / MiB:F0}) | {Median(samples, s => s.PeakAboveStart) / MiB:F0} " +
            $"(max {samples.Max(s => s.PeakAboveStart) / MiB:F0}) | {Median(samples, s => s.AllocatedPerGiB) / MiB:F1} |");

    private static double Median(List<Sample> samples, Func<Sample, double> value)
    {
        var sorted = samples.Select(value).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>One measured upload.</summary>
    private sealed record Sample(
        double MiBPerSecond,
        double CpuPerGiB,
        double PeakRss,
        double PeakAboveIdle,
        double PeakAboveStart,
        double AllocatedPerGiB,
        double MedianPatchMs)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{MiBPerSecond,7:F0} MiB/s  CPU {CpuPerGiB,5:F2} s/GiB  peak RSS {PeakRss / MiB,5:F0} MiB (idle + {PeakAboveIdle / MiB:F0}, " +
            $"start + {PeakAboveStart / MiB:F0})  allocated {AllocatedPerGiB / MiB,6:F1} MiB/GiB") +
            (MedianPatchMs > 0 ? string.Create(CultureInfo.InvariantCulture, $"  median PATCH {MedianPatchMs:F0} ms") : "");
    }

    /// <summary>The uploads of one storage against the server.</summary>
    private sealed class Run(HttpClient http, int serverPid, Payload payload, string storage, long idle)
    {
        public Task<Sample> MultipartAsync(long size, string expected) => MeasureAsync(size, expected, async () =>
        {
            using var response = await http.PostAsync("/save/" + storage, payload.CreateContent(size, multipart: true));
            var name = await response.Content.ReadAsStringAsync();
            return response.StatusCode == HttpStatusCode.OK
                ? ("name=" + Uri.EscapeDataString(name), 0)
                : throw new InvalidOperationException($"multipart upload: {(int)response.StatusCode} {name}");
        });

        public Task<Sample> TusAsync(long size, long part, string expected) => MeasureAsync(size, expected, async () =>
        {
            var location = await CreateAsync(size);
            var times = new List<double>();
            for (long offset = 0; offset < size; offset += part)
            {
                var length = Math.Min(part, size - offset);
                var clock = Stopwatch.StartNew();
                var after = await PatchAsync(location, offset, new SliceContent(payload, offset, length));
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (after != offset + length)
                {
                    throw new InvalidOperationException($"tus PATCH at {offset}: the server has {after} bytes, not {offset + length}.");
                }
            }

            times.Sort();
            return ("upload=" + location.Segments[^1], times[times.Count / 2]);
        });

        /// <summary>The median time of empty PATCHes: the lease, the record's reads and update, the storage's append, the answer.</summary>
        public async Task<double> FixedCostAsync(int count)
        {
            var location = await CreateAsync(1);
            var times = new List<double>();
            for (var i = 0; i < count; i++)
            {
                var clock = Stopwatch.StartNew();
                await PatchAsync(location, 0, new SliceContent(payload, 0, 0));
                times.Add(clock.Elapsed.TotalMilliseconds);
            }

            using var delete = new HttpRequestMessage(HttpMethod.Delete, location);
            delete.Headers.Add("Tus-Resumable", "1.0.0");
            (await http.SendAsync(delete)).Dispose();
            times.Sort();
            return times[times.Count / 2];
        }

        private async Task<Uri> CreateAsync(long size)
        {
            using var create = new HttpRequestMessage(HttpMethod.Post, "/resumable/" + storage);
            create.Headers.Add("Tus-Resumable", "1.0.0");
            create.Headers.Add("Upload-Length", size.ToString(CultureInfo.InvariantCulture));
            create.Headers.Add("Upload-Metadata", "filename " + Convert.ToBase64String(Encoding.UTF8.GetBytes("resumable.bin")));
            create.Content = new ByteArrayContent([]);
            using var created = await http.SendAsync(create);
            if (created.StatusCode != HttpStatusCode.Created || created.Headers.Location is not { } location)
            {
                throw new InvalidOperationException($"tus creation: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            }

            return location.IsAbsoluteUri ? location : new Uri(http.BaseAddress!, location);
        }

        private async Task<long> PatchAsync(Uri location, long offset, HttpContent content)
        {
            using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = content };
            patch.Headers.Add("Tus-Resumable", "1.0.0");
            patch.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
            using var answer = await http.SendAsync(patch);
            if (answer.StatusCode != HttpStatusCode.NoContent || !answer.Headers.TryGetValues("Upload-Offset", out var values))
            {
                throw new InvalidOperationException($"tus PATCH at {offset}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            }

            return long.Parse(values.First(), CultureInfo.InvariantCulture);
        }

        /// <summary>Times one upload and measures the server around it, then checks the stored file outside the timed part.</summary>
        private async Task<Sample> MeasureAsync(long size, string expected, Func<Task<(string Check, double MedianPatchMs)>> upload)
        {
            // A fresh peak: the server resets its kernel high-water mark (clear_refs) and its sampled peak.
            ServerStats before;
            using (var prepare = await http.PostAsync("/prepare", null))
            {
                before = await prepare.Content.ReadFromJsonAsync(BenchJsonContext.Default.ServerStats)
                    ?? throw new InvalidOperationException("The server sent no stats.");
            }

            var cpuBefore = ProcessFigures.CpuSeconds(serverPid);
            var clock = Stopwatch.StartNew();
            var (check, patchMs) = await upload();
            var seconds = clock.Elapsed.TotalSeconds;
            var cpu = ProcessFigures.CpuSeconds(serverPid) - cpuBefore;
            var stats = await MemoryBurst.GetStatsAsync(http);
            var peak = Math.Max(stats.PeakWorkingSet, stats.HighWaterMarkResettable ? ProcessFigures.HighWaterMark(serverPid) : 0);

            using var checkResponse = await http.PostAsync($"/check/{storage}?{check}", null);
            var answer = await checkResponse.Content.ReadAsStringAsync();
            if (checkResponse.StatusCode != HttpStatusCode.OK || answer != expected + " " + size.ToString(CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"the stored file is wrong: {(int)checkResponse.StatusCode} {answer}");
            }

            return new Sample(
                size / MiB / seconds, cpu / (size / GiB), peak, peak - idle, peak - before.WorkingSet,
                (stats.AllocatedBytes - before.AllocatedBytes) / (size / GiB), patchMs);
        }
    }

    /// <summary>Bytes [offset, offset + length) of the payload's file, written as they are sent, with a Content-Length.</summary>
    private sealed class SliceContent : HttpContent
    {
        private readonly Payload _payload;
        private readonly long _offset;
        private readonly long _length;

        public SliceContent(Payload payload, long offset, long length)
        {
            if (offset % Payload.BlockSize != 0)
            {
                throw new ArgumentException("A slice starts at a whole block.", nameof(offset));
            }

            _payload = payload;
            _offset = offset;
            _length = length;
            Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (long at = _offset, index = _offset / Payload.BlockSize; at < _offset + _length; at += Payload.BlockSize, index++)
            {
                await stream.WriteAsync(_payload.Block(index, (int)Math.Min(Payload.BlockSize, _offset + _length - at)), cancellationToken);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _length;
            return true;
        }
    }

    /// <summary>s3rver on 127.0.0.1 on a free port through <c>tests/services/s3rver.js</c>, as the tests run it; or why it cannot run.</summary>
    internal sealed class S3rver : IAsyncDisposable
    {
        private readonly Process? _process;
        private readonly string? _directory;

        private S3rver(Process? process, string? directory, string endpoint, string? unavailable)
        {
            _process = process;
            _directory = directory;
            Endpoint = endpoint;
            Unavailable = unavailable;
        }

        public string Endpoint { get; }

        public string? Unavailable { get; }

        public static async Task<S3rver> StartAsync(string repositoryRoot, string directory)
        {
            var script = Path.Combine(repositoryRoot, "tests", "services", "s3rver.js");
            if (!File.Exists(Path.Combine(repositoryRoot, "node_modules", "@20minutes", "s3rver", "package.json")))
            {
                return new S3rver(null, null, "", "node_modules/@20minutes/s3rver is missing; run `npm ci` in the repository root");
            }

            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            Directory.CreateDirectory(directory);
            var start = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in (string[])["--openssl-legacy-provider", script, port.ToString(CultureInfo.InvariantCulture), directory, Bucket])
            {
                start.ArgumentList.Add(arg);
            }

            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                return new S3rver(null, null, "", "node is not on PATH: " + ex.Message);
            }

            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine("s3rver: " + e.Data);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new S3rver(process, directory, $"http://127.0.0.1:{port}", null);
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    return server;
                }
                catch (SocketException) when (!process.HasExited)
                {
                    await Task.Delay(200);
                }
            }

            await server.DisposeAsync();
            return new S3rver(null, null, "", "s3rver did not listen within 60 s");
        }

        public async ValueTask DisposeAsync()
        {
            if (_process is not null)
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }

                _process.Dispose();
            }

            if (_directory is not null && Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }
}
