using System.Diagnostics;
using System.Net;
using System.Runtime;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace UploadKit.Benchmarks;

/// <summary>
/// The measured server: Kestrel on 127.0.0.1, one endpoint per variant. Each upload endpoint answers with
/// the bytes it received, where it stored them, and the allocations and peak working set of the request.
/// </summary>
internal static class BenchServer
{
    public const long BodyLimit = 2L * 1024 * 1024 * 1024;

    private const string StartKey = "bench.start";

    public static async Task<int> RunAsync(string[] args)
    {
        var dataDirectory = args.Length > 0 ? args[0] : throw new ArgumentException("usage: server <data-directory> [--transport settings]");
        var transport = args.Length > 2 && args[1] == "--transport" ? TransportSettings.Validate(args[2]) : "";
        Directory.CreateDirectory(dataDirectory);
        using var sampler = new MemorySampler();
        using var profiler = Environment.GetEnvironmentVariable("UPLOADKIT_BENCH_ALLOC_PROFILE") == "1" ? new AllocationProfiler() : null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseSockets(o => TransportSettings.Apply(transport, o));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = BodyLimit;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = BodyLimit);
        builder.Services.AddScoped<DiscardedLength>();
        var uploadKit = builder.Services.AddUploadKit(o =>
        {
            o.MaxRequestBodySize = BodyLimit;
            o.TempFileDirectory = dataDirectory;
        });
        ResumableServer.AddStorages(uploadKit, dataDirectory);

        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            // Counted from here: everything the server allocates while reading the body, in any thread.
            context.Items[StartKey] = new RequestStart(GC.GetTotalAllocatedBytes(precise: true), Stopwatch.GetTimestamp());
            await next(context);
        });

        long idle = 0;
        app.MapGet("/health", () => "ok");
        app.MapGet("/stats", () => Results.Json(
            new ServerStats(
                idle,
                sampler.Current(),
                sampler.Peak,
                sampler.HighWaterMark(),
                sampler.HighWaterMarkResettable,
                GCSettings.IsServerGC ? "server" : "workstation"),
            BenchJsonContext.Default.ServerStats));
        app.MapPost("/prepare", (bool? collect) =>
        {
            // Every run starts from a fresh peak. A forced full collection is optional: it gives every run the same
            // heap, but it also makes ArrayPool.Shared trim its large arrays, which a server under steady load seldom sees.
            if (collect == true)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }

            profiler?.Reset();
            var now = sampler.ResetPeak();
            return Results.Json(
                new ServerStats(
                    idle, now, now, sampler.HighWaterMark(), sampler.HighWaterMarkResettable, GCSettings.IsServerGC ? "server" : "workstation"),
                BenchJsonContext.Default.ServerStats);
        });

        // Where the working set is: the collector's heap and what it has committed, and how many full collections ran.
        app.MapGet("/gc", (bool? collect) =>
        {
            if (collect == true)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            }

            var info = GC.GetGCMemoryInfo();
            return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"heap {info.HeapSizeBytes >> 20} MiB, committed {info.TotalCommittedBytes >> 20} MiB, fragmented {info.FragmentedBytes >> 20} " +
                $"MiB, gen2 collections {GC.CollectionCount(2)}, working set {sampler.Current() >> 20} MiB");
        });

        app.MapGet("/alloc-profile", () => profiler is null
            ? "off"
            : string.Join(
                '\n',
                profiler.Top(12)
                    .Select(e => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{e.Value / 1024,10:N0} KiB  {e.Key}"))));

        var files = new FileNames(dataDirectory);
        app.MapPost("/raw-file", async (HttpContext context) =>
        {
            var path = files.Next();
            var sink = new FileSink(path);
            await using (sink)
            {
                var reader = context.Request.BodyReader;
                while (true)
                {
                    var result = await reader.ReadAsync(context.RequestAborted);
                    foreach (var segment in result.Buffer)
                    {
                        await sink.WriteAsync(segment, context.RequestAborted);
                    }

                    reader.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }

                await sink.CompleteAsync(context.RequestAborted);
            }

            return Finish(context, sampler, sink.Length, path);
        });

        // Experiment: the raw copy written the way TemporaryFileUploadHandler writes (RandomAccess.WriteAsync on the
        // handle, positions tracked by hand) instead of through FileStream.WriteAsync.
        app.MapPost("/experiment-raw-randomaccess", async (HttpContext context) =>
        {
            var path = files.Next();
            var sink = new FileSink(path, randomAccess: true);
            await using (sink)
            {
                var reader = context.Request.BodyReader;
                while (true)
                {
                    var result = await reader.ReadAsync(context.RequestAborted);
                    foreach (var segment in result.Buffer)
                    {
                        await sink.WriteAsync(segment, context.RequestAborted);
                    }

                    reader.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        break;
                    }
                }

                await sink.CompleteAsync(context.RequestAborted);
            }

            return Finish(context, sampler, sink.Length, path);
        });

        app.MapPost("/raw-discard", async (HttpContext context) =>
        {
            var reader = context.Request.BodyReader;
            long length = 0;
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                length += result.Buffer.Length;
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            return Finish(context, sampler, length, null);
        });

        app.MapPost("/iformfile", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var file = form.Files[0];
            var path = files.Next();
            var target = FileSink.CreateFile(path);
            await using (target)
            {
                await file.CopyToAsync(target, context.RequestAborted);
            }

            return Finish(context, sampler, file.Length, path);
        });

        app.MapPost(
            "/multipartreader-4k", (Delegate)((HttpContext context) => ReadWithMultipartReaderAsync(context, sampler, files, bufferSize: null)));
        app.MapPost(
            "/multipartreader-1m",
            (Delegate)((HttpContext context) => ReadWithMultipartReaderAsync(context, sampler, files, bufferSize: FileSink.BufferSize)));

        // The default chain (memory, then a temporary file), bound as a minimal API parameter. A spilled file is moved
        // (renamed) out; one the memory handler kept (below its threshold, as in the small workload) is written out.
        app.MapPost("/uploadkit-file", async (UploadForm form, HttpContext context) =>
        {
            var path = files.Next();
            switch (form.Files[0])
            {
                case TemporaryUploadedFile temporary:
                    temporary.MoveTo(path);
                    break;
                case var inMemory:
                    var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous);
                    await using (target)
                    {
                        await using var source = inMemory.OpenReadStream();
                        await source.CopyToAsync(target, context.RequestAborted);
                    }

                    break;
            }

            return Finish(context, sampler, form.Files[0].Length, path);
        });

        // Diagnostic: the default chain without its memory handler, to tell the two handlers' costs apart.
        app.MapPost("/uploadkit-tempfile-only", (UploadForm form, HttpContext context) =>
        {
            var file = (TemporaryUploadedFile)form.Files[0];
            var path = files.Next();
            file.MoveTo(path);
            return Finish(context, sampler, file.Length, path);
        }).WithUploadHandlers(_ => new TemporaryFileUploadHandler());

        // Experiment: the default chain with the memory handler's buffers from a dedicated pool (see DedicatedPoolMemoryHandler).
        app.MapPost("/experiment-dedicated-pool", (UploadForm form, HttpContext context) =>
        {
            var file = (TemporaryUploadedFile)form.Files[0];
            var path = files.Next();
            file.MoveTo(path);
            return Finish(context, sampler, file.Length, path);
        }).WithUploadHandlers(_ => new DedicatedPoolMemoryHandler(), _ => new TemporaryFileUploadHandler());

        // Experiments: what holding a whole body in memory and then storing it costs without a parser or UploadKit: the file
        // created once the body has arrived (as a held upload's is, its name chosen by the endpoint), or before reading it.
        foreach (var (route, mode) in new[]
        {
            ("/experiment-raw-hold-write", HoldWrite.Synchronous),
            ("/experiment-raw-hold-writeasync", HoldWrite.Asynchronous),
            ("/experiment-raw-hold-createfirst", HoldWrite.CreatedFirst),
        })
        {
            app.MapPost(route, async (HttpContext context) =>
            {
                var path = files.Next();
                var buffer = RentForBody(context);
                var length = 0;
                var early = mode == HoldWrite.CreatedFirst ? FileSink.CreateFile(path) : null;
                try
                {
                    var reader = context.Request.BodyReader;
                    while (true)
                    {
                        var result = await reader.ReadAsync(context.RequestAborted);
                        foreach (var segment in result.Buffer)
                        {
                            segment.Span.CopyTo(buffer.AsSpan(length));
                            length += segment.Length;
                        }

                        reader.AdvanceTo(result.Buffer.End);
                        if (result.IsCompleted)
                        {
                            break;
                        }
                    }

                    if (mode == HoldWrite.Synchronous)
                    {
                        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write);
                        RandomAccess.Write(handle, buffer.AsSpan(0, length), 0);
                    }
                    else
                    {
                        var stream = early ?? FileSink.CreateFile(path);
                        early = null;
                        await using (stream)
                        {
                            await stream.WriteAsync(buffer.AsMemory(0, length), context.RequestAborted);
                        }
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                    if (early is not null)
                    {
                        await early.DisposeAsync();
                    }
                }

                return Finish(context, sampler, length, path);
            });
        }

        // Experiment: the same held file parsed by MultipartReader instead of UploadKit, to compare the two parsers' share.
        app.MapPost("/experiment-multipartreader-hold-write", async (HttpContext context) =>
        {
            var reader = CreateMultipartReader(context, bufferSize: null);
            var buffer = RentForBody(context);
            string? path = null;
            var length = 0;
            try
            {
                MultipartSection? section;
                while ((section = await reader.ReadNextSectionAsync(context.RequestAborted)) is not null)
                {
                    if (path is null && section.GetContentDispositionHeader() is { } disposition && disposition.IsFileDisposition())
                    {
                        path = files.Next();
                        length = await section.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, context.RequestAborted);
                        var stream = FileSink.CreateFile(path);
                        await using (stream)
                        {
                            await stream.WriteAsync(buffer.AsMemory(0, length), context.RequestAborted);
                        }
                    }
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            return Finish(context, sampler, length, path);
        });

        app.MapPost("/experiment-memory-drop", (UploadForm form, HttpContext context) =>
            Finish(context, sampler, form.Files[0].Length, null));

        // Many files per request (the memory mode): every file hashed as the endpoint reads it, whether the chain kept
        // it in memory or spilled it to a temporary file.
        app.MapPost("/uploadkit-form-hashes", async (UploadForm form) =>
        {
            var hashes = new string[form.Files.Count];
            for (var i = 0; i < hashes.Length; i++)
            {
                await using var stream = form.Files[i].OpenReadStream();
                hashes[i] = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
            }

            var inMemory = form.Files.Count(f => f is InMemoryUploadedFile);
            return Results.Json(new FormHashes(hashes, inMemory, hashes.Length - inMemory), BenchJsonContext.Default.FormHashes);
        });

        // What a user writes: the default chain (memory, then a temporary file) bound as a minimal API parameter, then
        // UploadedFile.SaveAsync into the registry's default storage (a FileSystemStorage under the data folder).
        var storage = (FileSystemStorage)app.Services.GetRequiredService<IStorageRegistry>().Default;
        var storedNames = new FileNames(storage.Location);
        app.MapPost("/uploadkit-save", async (UploadForm form, HttpContext context) =>
        {
            var file = form.Files[0];
            var name = await file.SaveAsync(storage, storedNames.NextName("save-"), context.RequestAborted);
            return Finish(context, sampler, file.Length, Path.Combine(storage.Location, name));
        });

        // Straight to storage: StorageStreamingHandler writes the part into the same FileSystemStorage as it arrives.
        app.MapPost("/uploadkit-streaming", (UploadForm form, HttpContext context) =>
        {
            var file = (StoredUploadedFile)form.Files[0];
            file.Keep();
            return Finish(context, sampler, file.Length, Path.Combine(storage.Location, file.StoredName));
        }).WithUploadHandlers(_ => new StorageStreamingHandler(storage, _ => storedNames.NextName("streamed-")));

        // Removes a file of the storage, with its metadata, after the client has checked it (outside the measured part).
        app.MapDelete("/stored/{name}", async (string name) =>
            await storage.DeleteAsync(name) ? Results.NoContent() : Results.NotFound());

        // The parser and chain alone: one handler that drops every chunk.
        app.MapPost("/uploadkit-discard", (UploadForm form, HttpContext context) =>
            Finish(context, sampler, context.RequestServices.GetRequiredService<DiscardedLength>().Value, null))
            .WithUploadHandlers(_ => new DiscardHandler());

        ResumableServer.Map(app);

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        idle = sampler.ResetPeak();
        Console.WriteLine("LISTENING " + address);
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task<IResult> ReadWithMultipartReaderAsync(HttpContext context, MemorySampler sampler, FileNames files, int? bufferSize)
    {
        var reader = CreateMultipartReader(context, bufferSize);
        string? path = null;
        long length = 0;
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync(context.RequestAborted)) is not null)
        {
            if (section.GetContentDispositionHeader() is { } disposition && disposition.IsFileDisposition() && path is null)
            {
                path = files.Next();
                var sink = new FileSink(path);
                await using (sink)
                {
                    await sink.ReadFromAsync(section.Body, context.RequestAborted);
                    await sink.CompleteAsync(context.RequestAborted);
                }

                length = sink.Length;
            }
        }

        return Finish(context, sampler, length, path);
    }

    /// <summary>A <see cref="MultipartReader"/> over the request's body, with its boundary and the given buffer size (else the default).</summary>
    private static MultipartReader CreateMultipartReader(HttpContext context, int? bufferSize)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(context.Request.ContentType).Boundary).ToString();
        return bufferSize is { } size
            ? new MultipartReader(boundary, context.Request.Body, size)
            : new MultipartReader(boundary, context.Request.Body);
    }

    /// <summary>A pooled buffer that holds the request's whole body, for the hold experiments (the client sends a Content-Length).</summary>
    private static byte[] RentForBody(HttpContext context)
    {
        var declared = context.Request.ContentLength ?? throw new InvalidOperationException("The client sends a Content-Length.");
        return System.Buffers.ArrayPool<byte>.Shared.Rent(checked((int)declared));
    }

    private static IResult Finish(HttpContext context, MemorySampler sampler, long bytes, string? path)
    {
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var start = (RequestStart)context.Items[StartKey]!;
        var elapsed = Stopwatch.GetElapsedTime(start.Timestamp).TotalMilliseconds;
        var result = new UploadResult(bytes, path, allocated - start.AllocatedBytes, sampler.Peak, sampler.HighWaterMark(), elapsed);
        return Results.Json(result, BenchJsonContext.Default.UploadResult);
    }

    private sealed record RequestStart(long AllocatedBytes, long Timestamp);

    /// <summary>How a hold experiment writes the body it holds.</summary>
    private enum HoldWrite
    {
        /// <summary>The file created once the body has arrived, then one synchronous <c>RandomAccess.Write</c>.</summary>
        Synchronous,

        /// <summary>The file created once the body has arrived, then one asynchronous <c>FileStream.WriteAsync</c>.</summary>
        Asynchronous,

        /// <summary>The file created before the body is read, then the same asynchronous write.</summary>
        CreatedFirst,
    }

    private sealed class FileNames(string directory)
    {
        private long _next;

        public string Next() => Path.Combine(directory, NextName("stored-"));

        public string NextName(string prefix) => prefix + Interlocked.Increment(ref _next) + ".bin";
    }
}

/// <summary>The length of the file a request's <see cref="DiscardHandler"/> dropped; -1 until it has seen one.</summary>
internal sealed class DiscardedLength
{
    public long Value { get; set; } = -1;
}

/// <summary>A chain of one handler that drops every chunk and counts the bytes it saw (in the request's <see cref="DiscardedLength"/>, when
/// registered).</summary>
internal sealed class DiscardHandler : UploadHandler
{
    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
        ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);

    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        if (Context.Services.GetService<DiscardedLength>() is { } length)
        {
            length.Value = size;
        }

        return ValueTask.FromResult<UploadedFile?>(null);
    }
}
