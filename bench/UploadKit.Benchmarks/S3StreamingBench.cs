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
/// <c>s3</c> mode: one file uploaded through an app whose endpoint streams it into <see cref="S3Storage"/> with
/// <see cref="StorageStreamingHandler"/>, against the same file uploaded straight to the same s3rver with the AWS SDK's
/// <see cref="TransferUtility"/> (same part size and parts in flight), interleaved. Both run in this process, so the
/// memory figure (peak resident set above the start of each upload) counts the client's side too, equally for both.
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
        try
        {
            await using var s3rver = await ResumableBench.S3rver.StartAsync(options.RepositoryRoot, Path.Combine(directory, "s3rver"));
            if (s3rver.Unavailable is not null)
            {
                Console.WriteLine($"s3: not measured: s3rver is unavailable ({s3rver.Unavailable}).");
                return 1;
            }

            var payload = Path.Combine(directory, "payload.bin");
            await WritePayloadAsync(payload, size);
            await using var app = await StartAppAsync(s3rver.Endpoint, partSize, parallel);
            var storage = (S3Storage)app.Services.GetRequiredService<IStorageRegistry>()[StorageName];
            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
            using var transfer = new TransferUtility(storage.Client, new TransferUtilityConfig { ConcurrentServiceRequests = parallel });
            using var sampler = new MemorySampler();

            Console.WriteLine(
                $"s3: {size / MiB} MiB, part {partSize / MiB} MiB, {parallel} parts in flight, {runs} interleaved runs; s3rver {s3rver.Endpoint}");
            // Warm-up, not counted: the first upload of each kind pays for JIT compilation and connections.
            await UploadThroughAppAsync(http, payload, "warm-app.bin");
            await transfer.UploadAsync(
                new TransferUtilityUploadRequest { BucketName = Bucket, Key = "warm-sdk.bin", FilePath = payload, PartSize = partSize });
            await storage.DeleteAsync("warm-app.bin");
            await storage.DeleteAsync("warm-sdk.bin");

            var results = new Dictionary<string, List<(double Rate, long Peak)>> { ["app"] = [], ["sdk"] = [] };
            for (var run = 0; run < runs; run++)
            {
                foreach (var kind in run % 2 == 0 ? new[] { "app", "sdk" } : ["sdk", "app"])
                {
                    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                    var start = sampler.ResetPeak();
                    var clock = Stopwatch.StartNew();
                    var key = $"{kind}-{run}.bin";
                    if (kind == "app")
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
                    results[kind].Add((size / (double)MiB / seconds, peak));
                    Console.WriteLine($"  run {run + 1} {kind}: {size / (double)MiB / seconds:F1} MiB/s, peak +{peak / (double)MiB:F0} MiB");
                }
            }

            var app1 = Median(results["app"].Select(r => r.Rate));
            var sdk = Median(results["sdk"].Select(r => r.Rate));
            Console.WriteLine(
                $"s3: app (StorageStreamingHandler → S3Storage) {app1:F1} MiB/s, " +
                $"peak +{Median(results["app"].Select(r => (double)r.Peak)) / MiB:F0} MiB; " +
                $"AWS SDK TransferUtility straight to s3rver {sdk:F1} MiB/s, " +
                $"peak +{Median(results["sdk"].Select(r => (double)r.Peak)) / MiB:F0} MiB; " +
                $"ratio {app1 / sdk:F2} (medians). S3Storage's part buffers are bounded by {partSize / MiB} MiB × {parallel + 1}.");
            return 0;
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

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
