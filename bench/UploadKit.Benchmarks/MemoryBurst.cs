using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;

namespace UploadKit.Benchmarks;

/// <summary>
/// <c>memory</c> mode: a burst of concurrent multipart requests of many files each, through UploadKit's default chain,
/// against a fresh server process. It reports the server's working set idle, at its peak during the burst, and after
/// the burst once the server has been left alone, and checks every file's SHA-256 as the endpoint read it.
/// </summary>
internal static class MemoryBurst
{
    private const double MiB = 1024 * 1024;

    public const string Usage = """
        dotnet run -c Release --project bench/UploadKit.Benchmarks -- memory [options]
          --concurrency N    simultaneous requests (default 16)
          --files N          files per request (default 38)
          --file-bytes N     bytes per file (default 2500000)
          --rounds N         bursts, one after the other (default 1)
          --settle S         seconds the server is left alone after the burst before it is measured again (default 30)
          --gc server|workstation  the server's GC (default server)
          --data-dir PATH    the server's temporary folder (default: a new folder in the system temp folder)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        int concurrency = 16, files = 38, fileBytes = 2_500_000, rounds = 1, settle = 30;
        var serverGc = true;
        var dataDirectory = Path.Combine(
            Path.GetTempPath(), "uploadkit-bench-memory-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--concurrency": concurrency = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--files": files = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--file-bytes": fileBytes = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--settle": settle = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--gc": serverGc = Value() != "workstation"; break;
                case "--data-dir": dataDirectory = Value(); break;
                default:
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }

        Directory.CreateDirectory(dataDirectory);
        var options = BenchOptions.Parse(["--data-dir", dataDirectory, "--gc", serverGc ? "server" : "workstation"]);
        var payload = new Payload(seed: 20_240_601);
        var expected = Enumerable.Range(0, files).Select(f => FileSha256(payload, f, fileBytes)).ToArray();
        await using var server = await ServerProcess.StartAsync(options);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = concurrency })
        {
            BaseAddress = server.Address,
            Timeout = TimeSpan.FromMinutes(10),
        };

        var idle = await GetStatsAsync(http);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture, $"server {idle.GcMode} GC, idle working set {idle.IdleWorkingSet / MiB:F0} MiB"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{rounds} burst(s) of {concurrency} requests x {files} files x {fileBytes:N0} bytes " +
            $"({concurrency * (double)files * fileBytes / MiB:F0} MiB a burst)"));
        var failures = 0;
        long peak = 0, highWaterMark = 0;
        int inMemory = 0, temporary = 0;
        for (var round = 0; round < rounds; round++)
        {
            using (var prepare = await http.PostAsync("/prepare", null))
            {
                prepare.EnsureSuccessStatusCode();
            }

            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(r => UploadAsync(http, payload, files, fileBytes, expected)));
            var seconds = clock.Elapsed.TotalSeconds;
            var stats = await GetStatsAsync(http);
            peak = Math.Max(peak, stats.PeakWorkingSet);
            highWaterMark = Math.Max(highWaterMark, stats.HighWaterMark);
            failures += results.Sum(r => r.Failures);
            inMemory += results.Sum(r => r.InMemory);
            temporary += results.Sum(r => r.Temporary);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"burst {round + 1}: {seconds:F1} s, peak working set {stats.PeakWorkingSet / MiB:F0} MiB (sampled), " +
                $"{stats.HighWaterMark / MiB:F0} MiB (kernel peak), failures {results.Sum(r => r.Failures)}"));
            foreach (var error in results.Select(r => r.Error).Where(e => e is not null).Distinct().Take(3))
            {
                Console.WriteLine("  " + error);
            }
        }

        var afterBurst = await GetStatsAsync(http);
        Console.WriteLine("right after the burst: " + await http.GetStringAsync("/gc"));
        await Task.Delay(TimeSpan.FromSeconds(settle));
        var settled = await GetStatsAsync(http);
        Console.WriteLine($"{settle} s after the burst: " + await http.GetStringAsync("/gc"));
        if (Environment.GetEnvironmentVariable("UPLOADKIT_BENCH_DIAGNOSE") == "1")
        {
            Console.WriteLine("diagnostic, after a forced compacting collection: " + await http.GetStringAsync("/gc?collect=true"));
            await Task.Delay(TimeSpan.FromSeconds(5));
            Console.WriteLine("diagnostic, 5 s later: " + await http.GetStringAsync("/gc"));
        }
        var peakFigure = Math.Max(peak, highWaterMark);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture, $"files kept in memory {inMemory}, spilled to temporary files {temporary}, SHA-256 failures {failures}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle {idle.IdleWorkingSet / MiB:F0} MiB"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture, $"peak {peakFigure / MiB:F0} MiB = idle + {(peakFigure - idle.IdleWorkingSet) / MiB:F0} MiB"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"right after the burst {afterBurst.WorkingSet / MiB:F0} MiB = idle + {(afterBurst.WorkingSet - idle.IdleWorkingSet) / MiB:F0} MiB"));
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{settle} s after the burst {settled.WorkingSet / MiB:F0} MiB = idle + {(settled.WorkingSet - idle.IdleWorkingSet) / MiB:F0} MiB"));
        Directory.Delete(dataDirectory, recursive: true);
        return failures == 0 ? 0 : 1;
    }

    /// <summary>The server's memory figures now (its <c>/stats</c>).</summary>
    internal static async Task<ServerStats> GetStatsAsync(HttpClient http) =>
        await http.GetFromJsonAsync("/stats", BenchJsonContext.Default.ServerStats)
            ?? throw new InvalidOperationException("The server sent no stats.");

    private static async Task<BurstResult> UploadAsync(HttpClient http, Payload payload, int files, int fileBytes, string[] expected)
    {
        try
        {
            using var response = await http.PostAsync("/uploadkit-form-hashes", new ManyFilesContent(payload, files, fileBytes));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return new BurstResult(files, 0, 0, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            var form = await response.Content.ReadFromJsonAsync(BenchJsonContext.Default.FormHashes)
                ?? throw new InvalidOperationException("No answer.");
            var failures = form.Sha256.Length == files ? form.Sha256.Where((hash, i) => hash != expected[i]).Count() : files;
            return new BurstResult(failures, form.InMemory, form.Temporary, failures == 0 ? null : "wrong SHA-256 or file count");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
        {
            return new BurstResult(files, 0, 0, ex.Message);
        }
    }

    /// <summary>File <paramref name="file"/> of every request: its own run of the payload's blocks.</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> FileBlocks(Payload payload, int file, int fileBytes)
    {
        for (long offset = 0, index = file * 1000L; offset < fileBytes; offset += Payload.BlockSize, index++)
        {
            yield return payload.Block(index, (int)Math.Min(Payload.BlockSize, fileBytes - offset));
        }
    }

    private static string FileSha256(Payload payload, int file, int fileBytes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var block in FileBlocks(payload, file, fileBytes))
        {
            sha.AppendData(block.Span);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private sealed record BurstResult(int Failures, int InMemory, int Temporary, string? Error);

    /// <summary>A multipart body of many files, written as it is sent, with a Content-Length.</summary>
    private sealed class ManyFilesContent : HttpContent
    {
        private const string Boundary = "----UploadKitBenchBurst4f9a0c";
        private readonly Payload _payload;
        private readonly int _files;
        private readonly int _fileBytes;

        public ManyFilesContent(Payload payload, int files, int fileBytes)
        {
            _payload = payload;
            _files = files;
            _fileBytes = fileBytes;
            Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=" + Boundary);
        }

        private static byte[] PartHead(int file) => Encoding.ASCII.GetBytes(
            (file == 0 ? "" : "\r\n") + "--" + Boundary + "\r\n" +
            $"Content-Disposition: form-data; name=\"files\"; filename=\"file-{file}.bin\"\r\n" +
            "Content-Type: application/octet-stream\r\n\r\n");

        private static byte[] Tail => Encoding.ASCII.GetBytes("\r\n--" + Boundary + "--\r\n");

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            for (var file = 0; file < _files; file++)
            {
                await stream.WriteAsync(PartHead(file), cancellationToken);
                foreach (var block in FileBlocks(_payload, file, _fileBytes))
                {
                    await stream.WriteAsync(block, cancellationToken);
                }
            }

            await stream.WriteAsync(Tail, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = Tail.Length + (long)_files * _fileBytes;
            for (var file = 0; file < _files; file++)
            {
                length += PartHead(file).Length;
            }

            return true;
        }
    }
}
