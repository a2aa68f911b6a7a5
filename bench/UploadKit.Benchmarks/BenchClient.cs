using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Amazon.Runtime;
using UploadKit.Storage.S3;

namespace UploadKit.Benchmarks;

/// <summary>
/// Starts the server, uploads every size with every variant in rotating order (one warm-up round, then the
/// measured rounds), checks what was stored, runs the concurrency rounds and writes the report.
/// </summary>
internal static class BenchClient
{
    private const double MiB = 1024 * 1024;
    private const double WarmUpMiB = 4;
    private static bool s_collect;

    public static async Task<int> RunAsync(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        if (options.Help)
        {
            Console.WriteLine(BenchOptions.Usage);
            return 0;
        }

        s_collect = options.Collect;
        var machine = MachineFacts.Collect(options.RepositoryRoot);
        if (Directory.Exists(options.DataDirectory))
        {
            Directory.Delete(options.DataDirectory, recursive: true);
        }

        Directory.CreateDirectory(options.DataDirectory);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var payload = new Payload(seed: 20_240_601);
        var variants = Variant.Select(options).ToList();
        var report = new BenchReport(options, machine, started);
        if (variants.Any(v => v.Peer is not null))
        {
            var install = await Peers.InstallAsync(options.PeersDirectory);
            report.PeerInstall = install;
            Log($"peers: bench/peers/install.sh took {install.Duration.TotalSeconds:F1} s, {install.Output}");
            if (install.Missing.Count > 0)
            {
                Log("peers that cannot run: " + string.Join(", ", install.Missing));
                variants.RemoveAll(v => v.Peer is not null && install.Missing.Contains(v.Peer));
            }
        }

        report.Variants = variants;
        var targets = new Dictionary<string, ServerTarget>();
        try
        {
            foreach (var key in variants.Select(v => v.ServerKey).Distinct())
            {
                try
                {
                    targets[key] = await ServerTarget.StartAsync(key, options);
                }
                catch (InvalidOperationException ex) when (!key.StartsWith("dotnet", StringComparison.Ordinal))
                {
                    // A peer that installed but does not start is reported, not silently left out.
                    report.PeerFailures.Add($"{key} did not start: {ex.Message}");
                    Log($"peer {key} did not start: {ex.Message}");
                    variants.RemoveAll(v => v.ServerKey == key);
                }
            }

            var idles = new Dictionary<string, ServerStats>();
            foreach (var (key, target) in targets)
            {
                idles[key] = await target.StatsAsync();
                Log($"server {key}: {target.Http.BaseAddress} pid {target.ProcessId}, idle working set {idles[key].IdleWorkingSet / MiB:F1} MiB");
            }

            var idle = idles.GetValueOrDefault("dotnet") ?? idles.Values.First();
            report.Idle = idle;

            if (options.WarmUpUploads > 0)
            {
                // Tiered compilation recompiles a method once it has run often enough, in the background, after a
                // quiet spell: the first few uploads of each path run code that is not yet fully optimised. They are
                // run here, above the memory threshold so the temporary-file path runs too, and not measured.
                var warmUp = (long)(WarmUpMiB * MiB);
                foreach (var variant in variants)
                {
                    for (var i = 0; i < options.WarmUpUploads; i++)
                    {
                        var run = await UploadBatchAsync(targets[variant.ServerKey], payload, variant, warmUp, 1);
                        if (run.Error is not null)
                        {
                            Log($"warm-up  {WarmUpMiB,5} MiB {variant.Name,-24} {Describe(run, idle)}");
                        }
                    }
                }

                await Task.Delay(TimeSpan.FromSeconds(2));
                Log($"warm-up: {options.WarmUpUploads} uploads of {WarmUpMiB} MiB per variant");
            }

            foreach (var sizeMiB in options.SizesMiB)
            {
                var size = (long)(sizeMiB * MiB);
                var count = options.UploadsPerRun(sizeMiB);
                var here = variants.Where(v => v.Transport.Length == 0 || options.TransportSizesMiB.Contains(sizeMiB)).ToList();
                Log($"size {BenchReport.SizeLabel(sizeMiB)} × {count} per run: SHA-256 {payload.Sha256(size)[..16]}…");
                for (var round = -1; round < options.RunsOf(sizeMiB); round++)
                {
                    foreach (var variant in Rotate(here, round + 1))
                    {
                        var target = targets[variant.ServerKey];
                        var run = await UploadBatchAsync(target, payload, variant, size, count);
                        if (round >= 0)
                        {
                            report.Add(sizeMiB, run);
                        }

                        Log($"{(round < 0 ? "warm-up" : "run " + (round + 1)),-8} {BenchReport.SizeLabel(sizeMiB),8} {variant.Name,-24} " +
                            Describe(run, idles[variant.ServerKey]));
                        if (options.AllocationProfile && target.IsDotnet)
                        {
                            Console.WriteLine(await target.Http.GetStringAsync("/alloc-profile"));
                        }
                    }
                }
            }

            if (options.Concurrency > 0)
            {
                var size = (long)(options.ConcurrentSizeMiB * MiB);
                var here = variants.Where(v => v.Transport.Length == 0).ToList();
                for (var round = -1; round < options.ConcurrentRuns; round++)
                {
                    foreach (var variant in Rotate(here, round + 1))
                    {
                        var run = await UploadConcurrentlyAsync(targets[variant.ServerKey], payload, variant, size, options.Concurrency);
                        if (round >= 0)
                        {
                            report.AddConcurrent(run);
                        }

                        var label = round < 0 ? "warm-up" : "run " + (round + 1);
                        Log($"{label,-8} {options.Concurrency}×{options.ConcurrentSizeMiB} MiB {variant.Name,-24} " +
                            $"{run.MiBPerSecond,8:F1} MiB/s total, {run.CpuSecondsPerGiB,5:F2} CPU s/GiB, {run.Failures} failed, peak RSS " +
                            $"{run.HighWaterMark / MiB:F1} MiB{(run.Error is null ? "" : " " + run.Error)}");
                    }
                }
            }
        }
        finally
        {
            foreach (var target in targets.Values)
            {
                await target.DisposeAsync();
            }
        }

        if (options.MemoryRuns > 0)
        {
            // The memory target, measured apart: a fresh server per variant, so that the peak above the idle server
            // is this variant's alone and not what earlier variants left in pools and heaps.
            var size = (long)(options.SizesMiB.Max() * MiB);
            foreach (var variant in variants.Where(v => v.Transport.Length == 0))
            {
                await using var target = await ServerTarget.StartAsync(variant.ServerKey, options);
                var idle = await target.StatsAsync();
                for (var i = 0; i < options.MemoryRuns; i++)
                {
                    if (!target.IsDotnet)
                    {
                        ProcessFigures.ResetHighWaterMark(target.ProcessId);
                    }

                    var run = await UploadBatchAsync(target, payload, variant, size, 1, prepare: false, idle.IdleWorkingSet);
                    report.AddMemory(idle, run);
                    Log($"fresh    {size / MiB,5} MiB {variant.Name,-24} {Describe(run, idle)}");
                }
            }
        }

        if (options.Concurrency > 0 && options.ConcurrentMemoryRuns > 0)
        {
            // The peak resident set of concurrent uploads, measured apart like the one above: a process's peak cannot fall
            // below what it holds already, so a server shared by every variant would show the same peak for all of them.
            var size = (long)(options.ConcurrentSizeMiB * MiB);
            foreach (var variant in variants.Where(v => v.Transport.Length == 0))
            {
                await using var target = await ServerTarget.StartAsync(variant.ServerKey, options);
                var idle = await target.StatsAsync();
                for (var i = 0; i < options.ConcurrentMemoryRuns; i++)
                {
                    var run = await UploadConcurrentlyAsync(target, payload, variant, size, options.Concurrency);
                    report.AddConcurrentMemory(idle, run);
                    Log($"fresh    {options.Concurrency}×{options.ConcurrentSizeMiB} MiB {variant.Name,-24} {run.MiBPerSecond,8:F1} MiB/s total, " +
                        $"peak RSS {run.HighWaterMark / MiB:F1} MiB (idle {idle.IdleWorkingSet / MiB:F1}), {run.Failures} failed");
                }
            }
        }

        if (options.IdleConnections > 0)
        {
            foreach (var key in variants.Select(v => v.ServerKey).Distinct())
            {
                var figures = await IdleConnections.MeasureAsync(key, options);
                report.IdleConnections.Add(figures);
                Log($"idle     {options.IdleConnections} kept-alive connections to {key}: {figures}");
            }
        }

        if (options.S3Runs > 0)
        {
            report.S3Streaming = await MeasureS3Async(options);
        }

        report.LeftBehind = Directory.EnumerateFiles(options.DataDirectory, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList()!;
        Directory.Delete(options.DataDirectory, recursive: true);
        report.Duration = clock.Elapsed;
        report.MachineAfter = MachineFacts.LoadAverage();
        var markdown = report.ToMarkdown();
        Directory.CreateDirectory(Path.GetDirectoryName(options.OutputPath)!);
        await File.WriteAllTextAsync(options.OutputPath, markdown);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Log($"wrote {options.OutputPath} after {clock.Elapsed:hh\\:mm\\:ss}");
        return report.AllUploadsSucceeded ? 0 : 1;
    }

    /// <summary>
    /// The S3 comparison (<see cref="S3StreamingBench"/>) at <c>--s3-size</c> with S3Storage's default part size and parts in
    /// flight, in a folder of the data folder. s3rver that cannot start, or an upload that fails, is reported and does not end
    /// the run: what was measured before it stays in the report.
    /// </summary>
    private static async Task<S3StreamingResult> MeasureS3Async(BenchOptions options)
    {
        var settings = new S3StreamingSettings(
            (long)(options.S3SizeMiB * MiB), options.S3Runs, S3StorageOptions.DefaultChunkSize, S3StorageOptions.DefaultMaxConcurrency);
        try
        {
            var result = await S3StreamingBench.MeasureAsync(settings, options.RepositoryRoot, Path.Combine(options.DataDirectory, "s3"), Log);
            Log(result.NotMeasured is null ? result.Summary : $"s3: not measured: {result.NotMeasured}.");
            return result;
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException or AmazonServiceException
                                       or AmazonClientException or TaskCanceledException)
        {
            Log("s3: FAILED " + ex.Message);
            return new S3StreamingResult(settings) { NotMeasured = ex.Message, Failed = true };
        }
    }

    /// <summary>
    /// Round <paramref name="round"/>'s order: the list rotated to start at variant <c>round</c>, walked forwards in even
    /// rounds and backwards in odd ones, so every variant takes every position and follows more than one neighbour
    /// (what the previous upload left behind, such as dirty pages of a deleted file, does not always fall on the same variant).
    /// </summary>
    private static IEnumerable<Variant> Rotate(IReadOnlyList<Variant> variants, int round)
    {
        var count = variants.Count;
        for (var i = 0; i < count; i++)
        {
            var step = round % 2 == 0 ? i : count - i;
            yield return variants[(round + step) % count];
        }
    }

    /// <summary>
    /// One measured run: <paramref name="count"/> uploads of <paramref name="size"/> bytes sent one after the other on the
    /// kept-alive connection, timed and with the server's processor time read from <c>/proc</c> around the whole batch (its
    /// clock ticks every 10 ms, so a run must be long enough for it). Every stored file is checked and removed after the
    /// batch, outside the measured part.
    /// </summary>
    private static async Task<UploadRun> UploadBatchAsync(
        ServerTarget target, Payload payload, Variant variant, long size, int count, bool prepare = true, long workingSetBefore = 0)
    {
        var http = target.Http;
        var serverPid = target.ProcessId;
        if (prepare)
        {
            workingSetBefore = (await target.PrepareAsync(s_collect)).WorkingSet;
        }

        var results = new List<(UploadResult? Result, string? Error)>(count);
        var cpuBefore = ProcessFigures.CpuSeconds(serverPid);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var (_, result, error) = await SendAsync(http, payload, variant, size);
            results.Add((result, error));
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = ProcessFigures.CpuSeconds(serverPid) - cpuBefore;
        string? firstError = null;
        long allocated = 0;
        UploadResult? last = null;
        foreach (var (result, sendError) in results)
        {
            var error = sendError ?? await VerifyAsync(http, payload, variant, size, result);
            firstError ??= error;
            if (result is not null)
            {
                allocated += result.AllocatedBytes;
                last = result;
            }
        }

        if (!target.IsDotnet && last is not null)
        {
            // A peer reports no figures of its own: its peak is the kernel's, and its allocations are not known.
            var peak = ProcessFigures.HighWaterMark(serverPid);
            last = last with { PeakWorkingSet = peak, HighWaterMark = peak };
            allocated = -1;
        }

        return new UploadRun(variant.Name, size, count, seconds, cpu, allocated, firstError is null ? last : null, workingSetBefore, firstError);
    }

    private static async Task<ConcurrentRun> UploadConcurrentlyAsync(ServerTarget target, Payload payload, Variant variant, long size, int count)
    {
        var http = target.Http;
        var serverPid = target.ProcessId;
        ProcessFigures.ResetHighWaterMark(serverPid);
        await target.PrepareAsync(s_collect);
        var cpuBefore = ProcessFigures.CpuSeconds(serverPid);
        var clock = Stopwatch.StartNew();
        var uploads = Enumerable.Range(0, count).Select(_ => Task.Run(() => SendAsync(http, payload, variant, size))).ToArray();
        var results = await Task.WhenAll(uploads);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpu = ProcessFigures.CpuSeconds(serverPid) - cpuBefore;
        var peak = ProcessFigures.HighWaterMark(serverPid);
        var stats = await target.StatsAsync();
        var failures = 0;
        string? firstError = null;
        foreach (var (_, result, sendError) in results)
        {
            var error = sendError ?? await VerifyAsync(http, payload, variant, size, result);
            if (error is not null)
            {
                failures++;
                firstError ??= error;
            }
        }

        return new ConcurrentRun(variant.Name, count, size, seconds, cpu, failures, stats.PeakWorkingSet, peak, firstError);
    }

    private static async Task<(double Seconds, UploadResult? Result, string? Error)> SendAsync(
        HttpClient http, Payload payload, Variant variant, long size)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, variant.Path) { Content = payload.CreateContent(size, variant.Multipart) };
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            var seconds = clock.Elapsed.TotalSeconds;
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync();
                return (seconds, null, $"HTTP {(int)response.StatusCode}: {body[..Math.Min(body.Length, 300)]}");
            }

            var result = await response.Content.ReadFromJsonAsync(BenchJsonContext.Default.UploadResult);
            return (seconds, result, null);
        }
        catch (HttpRequestException ex)
        {
            return (clock.Elapsed.TotalSeconds, null, ex.GetType().Name + ": " + ex.Message);
        }
    }

    /// <summary>
    /// Checks the length, and for stored files the SHA-256 of the bytes on disk; then deletes the file (through the
    /// server's storage, with its metadata, for a variant that stores into one).
    /// </summary>
    private static async Task<string?> VerifyAsync(HttpClient http, Payload payload, Variant variant, long size, UploadResult? result)
    {
        if (result is null)
        {
            return "no result";
        }

        try
        {
            if (result.Bytes != size)
            {
                return $"received {result.Bytes} bytes, sent {size}";
            }

            if (!variant.StoresFile)
            {
                return null;
            }

            if (result.Path is null || !File.Exists(result.Path))
            {
                return "the stored file is missing";
            }

            var stream = new FileStream(
                result.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            byte[] digest;
            await using (stream)
            {
                if (stream.Length != size)
                {
                    return $"the stored file has {stream.Length} bytes, sent {size}";
                }

                digest = await SHA256.HashDataAsync(stream);
            }

            var expected = payload.Sha256(size);
            var actual = Convert.ToHexStringLower(digest);
            return actual == expected ? null : $"SHA-256 mismatch: stored {actual[..16]}…, sent {expected[..16]}…";
        }
        finally
        {
            if (result.Path is not null && variant.InStorage)
            {
                using var deleted = await http.DeleteAsync("/stored/" + Uri.EscapeDataString(Path.GetFileName(result.Path)));
            }
            else if (result.Path is not null)
            {
                File.Delete(result.Path);
            }
        }
    }

    private static string Describe(UploadRun run, ServerStats idle)
    {
        if (run.Result is not { } result)
        {
            return "FAILED " + run.Error;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{run.MiBPerSecond,8:F1} MiB/s {run.RequestsPerSecond,7:F0} req/s  CPU {run.CpuSecondsPerGiB,5:F2} s/GiB " +
            $"{run.CpuMillisecondsPerRequest,7:F2} ms/req  peak +{(result.PeakWorkingSet - idle.IdleWorkingSet) / MiB,6:F1} MiB over idle " +
            $"(+{(result.PeakWorkingSet - run.WorkingSetBefore) / MiB,6:F1} in request)  " +
            $"{run.AllocatedPerMiB,9:F0} B/MiB{(run.Error is null ? "  sha ok" : "  FAILED " + run.Error)}");
    }

    private static void Log(string line) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:HH:mm:ss} {line}"));
}

/// <summary>One measured run: <paramref name="Count"/> uploads of <paramref name="Size"/> bytes, one after the other.</summary>
/// <param name="Variant">The variant's name.</param>
/// <param name="Size">Bytes of each file.</param>
/// <param name="Count">Uploads in the run.</param>
/// <param name="Seconds">The client's time for the whole run.</param>
/// <param name="CpuSeconds">The server process's user and system time over the run.</param>
/// <param name="AllocatedBytes">What the server allocated in the run's requests, summed.</param>
/// <param name="Result">The last upload's answer (its peaks cover the run); null when any upload failed.</param>
/// <param name="WorkingSetBefore">The server's working set before the run.</param>
/// <param name="Error">The first failure, if any.</param>
internal sealed record UploadRun(
    string Variant, long Size, int Count, double Seconds, double CpuSeconds, long AllocatedBytes, UploadResult? Result, long WorkingSetBefore,
    string? Error)
{
    private double MiBs => Count * (Size / (1024.0 * 1024));

    public double MiBPerSecond => MiBs / Seconds;

    public double RequestsPerSecond => Count / Seconds;

    public double CpuSecondsPerGiB => CpuSeconds / (MiBs / 1024);

    public double CpuMillisecondsPerRequest => CpuSeconds * 1000 / Count;

    public double AllocatedPerMiB => Result is null || AllocatedBytes < 0 ? double.NaN : AllocatedBytes / MiBs;
}

/// <summary>One round of concurrent uploads with one variant.</summary>
/// <param name="Variant">The variant's name.</param>
/// <param name="Count">Simultaneous uploads.</param>
/// <param name="Size">Bytes of each file.</param>
/// <param name="Seconds">The time from starting the first upload to the last answer.</param>
/// <param name="CpuSeconds">The server process's user and system time over the round.</param>
/// <param name="Failures">Uploads that failed.</param>
/// <param name="PeakWorkingSet">The server's sampled peak (a peer's: its kernel peak).</param>
/// <param name="HighWaterMark">The kernel's peak resident set of the server process over the round (VmHWM).</param>
/// <param name="Error">The first failure, if any.</param>
internal sealed record ConcurrentRun(
    string Variant, int Count, long Size, double Seconds, double CpuSeconds, int Failures, long PeakWorkingSet, long HighWaterMark, string? Error)
{
    public double MiBPerSecond => Count * (Size / (1024.0 * 1024)) / Seconds;

    public double CpuSecondsPerGiB => CpuSeconds / (Count * (Size / (1024.0 * 1024 * 1024)));
}
