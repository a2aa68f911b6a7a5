using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Amazon.S3;
using Amazon.S3.Transfer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UploadKit.Storage.S3;

namespace UploadKit.Benchmarks;

/// <summary>
/// The S3 streaming comparison: one file uploaded through an app whose endpoint streams it into <see cref="S3Storage"/> with
/// <see cref="StorageStreamingHandler"/>, against the same file uploaded straight to the same s3rver with the AWS SDK's
/// <see cref="TransferUtility"/> (same part size and parts in flight), interleaved. Both run in this process, so the
/// memory figure (peak resident set above the start of each upload) counts the client's side too, equally for both.
/// <c>s3</c> mode prints it; the main run measures it after its idle-connection figures and reports it.
/// </summary>
internal static class S3StreamingBench
{
    private const string Bucket = "bench";
    private const string StorageName = FileStorageNames.Default;
    private const long MiB = 1024 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var size = 256 * MiB;
        var runs = 3;
        var partSize = S3StorageOptions.DefaultChunkSize;
        var parallel = S3StorageOptions.DefaultMaxConcurrency;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i++])
            {
                case "--size": size = long.Parse(value, CultureInfo.InvariantCulture) * MiB; break;
                case "--runs": runs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--part-mib": partSize = checked((int)(int.Parse(value, CultureInfo.InvariantCulture) * MiB)); break;
                case "--parallel": parallel = int.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i - 1]}; s3 [--size MiB] [--runs N] [--part-mib N] [--parallel N]");
            }
        }

        var options = BenchOptions.Parse([]);
        var directory = Directory.CreateTempSubdirectory("uploadkit-bench-s3-").FullName;
        var settings = new S3StreamingSettings(size, runs, partSize, parallel);
        var result = await MeasureAsync(settings, options.RepositoryRoot, directory, Console.WriteLine);
        if (result.NotMeasured is not null)
        {
            Console.WriteLine($"s3: not measured: {result.NotMeasured}.");
            return 1;
        }

        Console.WriteLine(result.Summary);
        return 0;
    }

    /// <summary>
    /// Starts s3rver and the app, runs one unmeasured upload of each kind, then <see cref="S3StreamingSettings.Runs"/>
    /// interleaved rounds (the order swapped every round); every stored object is checked by length and deleted.
    /// <paramref name="directory"/> holds the payload and s3rver's files, and is deleted at the end. <paramref name="log"/>
    /// gets the header once s3rver listens and each upload's line as it ends. A result with
    /// <see cref="S3StreamingResult.NotMeasured"/> set when s3rver cannot start; an upload that fails throws.
    /// </summary>
    public static async Task<S3StreamingResult> MeasureAsync(
        S3StreamingSettings settings, string repositoryRoot, string directory, Action<string> log)
    {
        var (size, runs, partSize, parallel) = settings;
        Directory.CreateDirectory(directory);
        try
        {
            await using var s3rver = await ResumableBench.S3rver.StartAsync(repositoryRoot, Path.Combine(directory, "s3rver"));
            if (s3rver.Unavailable is not null)
            {
                return new S3StreamingResult(settings) { NotMeasured = $"s3rver is unavailable ({s3rver.Unavailable})" };
            }

            var result = new S3StreamingResult(settings) { Endpoint = s3rver.Endpoint };
            var payload = Path.Combine(directory, "payload.bin");
            await WritePayloadAsync(payload, size);
            await using var app = await StartAppAsync(s3rver.Endpoint, partSize, parallel);
            var storage = (S3Storage)app.Services.GetRequiredService<IStorageRegistry>()[StorageName];
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
            using var transfer = new TransferUtility(storage.Client, new TransferUtilityConfig { ConcurrentServiceRequests = parallel });
            using var sampler = new MemorySampler();

            log(result.Header);
            // Warm-up, not counted: the first upload of each kind pays for JIT compilation and connections.
            await UploadThroughAppAsync(http, payload, "warm-app.bin");
            await transfer.UploadAsync(
                new TransferUtilityUploadRequest { BucketName = Bucket, Key = "warm-sdk.bin", FilePath = payload, PartSize = partSize });
            await storage.DeleteAsync("warm-app.bin");
            await storage.DeleteAsync("warm-sdk.bin");

            for (var run = 0; run < runs; run++)
            {
                var order = run % 2 == 0 ? new[] { S3StreamingResult.App, S3StreamingResult.Sdk } : [S3StreamingResult.Sdk, S3StreamingResult.App];
                foreach (var kind in order)
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                    var start = sampler.ResetPeak();
                    var clock = Stopwatch.StartNew();
                    var key = $"{kind}-{run}.bin";
                    if (kind == S3StreamingResult.App)
                    {
                        await UploadThroughAppAsync(http, payload, key);
                    }
                    else
                    {
                        await transfer.UploadAsync(new TransferUtilityUploadRequest
                        {
                            BucketName = Bucket,
                            Key = key,
                            FilePath = payload,
                            PartSize = partSize,
                        });
                    }

                    var seconds = clock.Elapsed.TotalSeconds;
                    var peak = Math.Max(sampler.Peak, sampler.HighWaterMark()) - start;
                    var stored = await storage.GetMetadataAsync(key) ?? throw new InvalidOperationException($"{key} was not stored.");
                    if (stored.Length != size)
                    {
                        throw new InvalidOperationException($"{key} holds {stored.Length} bytes, not {size}.");
                    }

                    await storage.DeleteAsync(key);
                    var upload = new S3StreamingUpload(run, kind, size / (double)MiB / seconds, peak);
                    result.Uploads.Add(upload);
                    log(S3StreamingResult.Line(upload));
                }
            }

            return result;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task UploadThroughAppAsync(HttpClient http, string payload, string key)
    {
        var file = File.OpenRead(payload);
        await using (file)
        {
            using var content = new MultipartFormDataContent();
            var part = new StreamContent(file, 1024 * 1024);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            content.Add(part, "file", key);
            using var response = await http.PostAsync("/s3", content);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"The app answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
    }

    private static async Task<WebApplication> StartAppAsync(string endpoint, int partSize, int parallel)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        builder.Services.AddUploadKit(o => o.MaxRequestBodySize = long.MaxValue).AddS3Storage(StorageName, o =>
        {
            o.Bucket = Bucket;
            o.Endpoint = new Uri(endpoint);
            o.AccessKey = "S3RVER";
            o.SecretKey = "S3RVER";
            o.ForcePathStyle = true;
            o.ChunkSize = partSize;
            o.MaxConcurrency = parallel;
            o.RequestChecksumCalculation = S3ChecksumMode.WhenRequired;
            o.ResponseChecksumValidation = S3ChecksumMode.WhenRequired;
        });
        var app = builder.Build();
        var storage = app.Services.GetRequiredService<IStorageRegistry>()[StorageName];
        app.MapPost("/s3", (UploadForm form) =>
        {
            var file = (StoredUploadedFile)form.Files[0];
            file.Keep();
            return Results.Text(file.StoredName);
        }).WithUploadHandlers(_ => new StorageStreamingHandler(storage, f => f.FileName));
        await app.StartAsync();
        return app;
    }

    private static async Task WritePayloadAsync(string path, long size)
    {
        var block = new byte[MiB];
        new Random(16).NextBytes(block);
        var file = File.Create(path);
        await using (file)
        {
            for (long written = 0; written < size; written += block.Length)
            {
                await file.WriteAsync(block.AsMemory(0, (int)Math.Min(block.Length, size - written)));
            }
        }
    }
}

/// <summary>What the S3 streaming comparison uploads: bytes per file, measured rounds, part size and parts in flight.</summary>
internal sealed record S3StreamingSettings(long Size, int Runs, int PartSize, int Parallel);

/// <summary>One measured upload: its round (from 0), its kind, MiB/s, and its peak resident set above its start, in bytes.</summary>
internal sealed record S3StreamingUpload(int Run, string Kind, double MiBPerSecond, long Peak);

/// <summary>The S3 streaming comparison's uploads, or why it was not measured; and the lines <c>s3</c> mode prints.</summary>
internal sealed class S3StreamingResult(S3StreamingSettings settings)
{
    /// <summary>The kind of upload that goes through the app (<see cref="StorageStreamingHandler"/> → <see cref="S3Storage"/>).</summary>
    public const string App = "app";

    /// <summary>The kind of upload that goes straight to s3rver with the AWS SDK's <see cref="TransferUtility"/>.</summary>
    public const string Sdk = "sdk";

    private const long MiB = 1024 * 1024;

    public S3StreamingSettings Settings { get; } = settings;

    /// <summary>Gets s3rver's address; empty when it did not start.</summary>
    public string Endpoint { get; init; } = "";

    /// <summary>Gets why nothing was measured (s3rver unavailable, or an upload that failed), or null.</summary>
    public string? NotMeasured { get; init; }

    /// <summary>Gets whether an upload failed (as opposed to s3rver being unavailable).</summary>
    public bool Failed { get; init; }

    /// <summary>Gets the measured uploads, in the order run.</summary>
    public List<S3StreamingUpload> Uploads { get; } = [];

    /// <summary>Gets the most <see cref="S3Storage"/>'s part buffers hold: part size × (parts in flight + 1).</summary>
    public long PartBufferBound => (long)Settings.PartSize * (Settings.Parallel + 1);

    /// <summary>Gets the ratio of the medians, through the app over straight to s3rver.</summary>
    public double Ratio => MedianRate(App) / MedianRate(Sdk);

    public string Header => Inv(
        $"s3: {Settings.Size / MiB} MiB, part {Settings.PartSize / MiB} MiB, {Settings.Parallel} parts in flight, ",
        $"{Settings.Runs} interleaved runs; s3rver {Endpoint}");

    public string Summary => Inv(
        $"s3: app (StorageStreamingHandler → S3Storage) {MedianRate(App):F1} MiB/s, peak +{MedianPeak(App) / MiB:F0} MiB; ",
        $"AWS SDK TransferUtility straight to s3rver {MedianRate(Sdk):F1} MiB/s, peak +{MedianPeak(Sdk) / MiB:F0} MiB; ",
        $"ratio {Ratio:F2} (medians). S3Storage's part buffers are bounded by {Settings.PartSize / MiB} MiB × {Settings.Parallel + 1}.");

    public static string Line(S3StreamingUpload upload) =>
        Inv($"  run {upload.Run + 1} {upload.Kind}: {upload.MiBPerSecond:F1} MiB/s, peak +{upload.Peak / (double)MiB:F0} MiB");

    public IEnumerable<S3StreamingUpload> Of(string kind) => Uploads.Where(u => u.Kind == kind);

    public double MedianRate(string kind) => BenchReport.Median(Of(kind).Select(u => u.MiBPerSecond));

    public double MedianPeak(string kind) => BenchReport.Median(Of(kind).Select(u => (double)u.Peak));

    private static string Inv(params FormattableString[] parts) => string.Concat(parts.Select(p => p.ToString(CultureInfo.InvariantCulture)));
}
