using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using UploadKit.Testing;

namespace UploadKit.Benchmarks;

/// <summary>
/// A diagnostic (<c>cpu</c> mode): the processor time per MiB of reading a multipart body that is already in memory,
/// in 4 KiB segments (Kestrel's block size) handed out 64 KiB per read (or as given), on one thread with no network
/// and no disk. It separates what the parser and chain cost from what the machine's noise does to the upload figures.
/// Arguments: body MiB (8), samples (9), segment bytes (4096), segments per read (64 KiB worth), a filter on the case names.
/// </summary>
internal static class CpuCost
{
    private const string Boundary = "----UploadKitBenchBoundary7MA4YWxkTrZu0gW";

    private static readonly TimeSpan SampleTime = TimeSpan.FromMilliseconds(200);

    public static async Task<int> RunAsync(string[] args)
    {
        var sizeMiB = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9;
        var segmentSize = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4096;
        var body = BuildBody(sizeMiB, segmentSize);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddUploadKit(o => o.MaxRequestBodySize = BenchServer.BodyLimit);
        services.AddScoped<DiscardedLength>();
        await using var provider = services.BuildServiceProvider();

        var cases = new (string Name, Func<PipeReader, Task<long>> Read)[]
        {
            ("raw PipeReader loop", ReadRawAsync),
            ("Span.IndexOf(delimiter) over every segment", ScanAsync),
            ("UploadKit discard chain", reader => ReadUploadKitAsync(reader, provider)),
            ("MultipartReader 1 MiB, section.Body drained", reader => ReadMultipartReaderAsync(reader, 1024 * 1024)),
            ("MultipartReader 4 KiB, section.Body drained", reader => ReadMultipartReaderAsync(reader, 4 * 1024)),
        };
        var segmentsPerRead = Math.Max(1, 64 * 1024 / segmentSize);
        if (args.Length > 3)
        {
            segmentsPerRead = int.Parse(args[3], CultureInfo.InvariantCulture);
        }

        if (args.Length > 4)
        {
            cases = [.. cases.Where(c => c.Name.Contains(args[4], StringComparison.OrdinalIgnoreCase))];
        }

        var results = cases.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = -5; round < rounds; round++)
        {
            foreach (var (name, read) in cases)
            {
                // Every read completes synchronously, so the whole measurement runs on this thread and wall time is
                // its processor time; the body is read again until a sample lasts long enough for the clock.
                long total = 0;
                var clock = Stopwatch.StartNew();
                do
                {
                    var reader = new SegmentedPipeReader(body, segmentsPerRead);
                    var bytes = await read(reader);
                    if (bytes != sizeMiB * 1024L * 1024)
                    {
                        throw new InvalidOperationException($"{name} read {bytes} bytes.");
                    }

                    total += bytes;
                }
                while (clock.Elapsed < SampleTime);

                if (round >= 0)
                {
                    results[name].Add(clock.Elapsed.TotalMicroseconds / (total / (1024.0 * 1024)));
                }
            }
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"In-memory multipart body of {sizeMiB} MiB in {segmentSize / 1024} KiB segments, {segmentsPerRead} more per read; one thread, median " +
            $"of {rounds} samples of at least {SampleTime.TotalMilliseconds} ms:"));
        foreach (var (name, values) in results)
        {
            values.Sort();
            var median = values[values.Count / 2];
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture, $"  {name,-45} {median,8:F1} µs/MiB  ({1_000_000 / median,7:F0} MiB/s on one core)"));
        }

        if (args.Length <= 4 || "adversarial".Contains(args[4], StringComparison.OrdinalIgnoreCase))
        {
            await RunAdversarialAsync(sizeMiB, rounds, segmentSize, segmentsPerRead);
        }

        return 0;
    }

    /// <summary>
    /// The UploadKit chain (discarding handler) over each adversarial shape of <see cref="AdversarialBodies"/>, per MiB
    /// of body offered, next to random data. The limits on parts are lifted so that shapes made of many parts are read
    /// to the end; shapes refused by a header limit stop early, which is their point.
    /// </summary>
    private static async Task RunAdversarialAsync(int sizeMiB, int rounds, int segmentSize, int segmentsPerRead)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddUploadKit(o =>
        {
            o.MaxRequestBodySize = BenchServer.BodyLimit;
            o.MaxFieldCount = int.MaxValue;
            o.MaxFileCount = int.MaxValue;
            o.MaxFieldsSize = long.MaxValue;
        });
        await using var provider = services.BuildServiceProvider();
        var shapes = AdversarialBodies.All.Select(shape =>
        {
            var body = shape.Build(sizeMiB * 1024 * 1024).Body;
            var segments = new List<byte[]>();
            for (var offset = 0; offset < body.Length; offset += segmentSize)
            {
                segments.Add(body.AsSpan(offset, Math.Min(segmentSize, body.Length - offset)).ToArray());
            }

            return (Shape: shape, Length: body.Length, Segments: segments, Samples: new List<double>(), Status: 0,
                Reference: new List<double>(), ReferenceOutcome: "");
        }).ToList();

        for (var round = -5; round < rounds; round++)
        {
            for (var i = 0; i < shapes.Count; i++)
            {
                var shape = shapes[i];
                long total = 0;
                var clock = Stopwatch.StartNew();
                do
                {
                    var reader = new SegmentedPipeReader(shape.Segments, segmentsPerRead);
                    shape.Status = (await InMemoryRequest.ReadAsync(provider, reader, shape.Shape.ContentType, null, new DiscardHandler())).Status;
                    total += shape.Length;
                }
                while (clock.Elapsed < SampleTime);

                if (round >= 0)
                {
                    shape.Samples.Add(clock.Elapsed.TotalMicroseconds / (total / (1024.0 * 1024)));
                }

                // The same body through MultipartReader, as a form reader uses it: each section's Content-Disposition
                // parsed and its body drained, with MultipartReader's own limits (it refuses some shapes).
                total = 0;
                clock.Restart();
                do
                {
                    shape.ReferenceOutcome = await ReadWithMultipartReaderAsync(
                        new SegmentedPipeReader(shape.Segments, segmentsPerRead), shape.Shape.ContentType);
                    total += shape.Length;
                }
                while (clock.Elapsed < SampleTime);

                if (round >= 0)
                {
                    shape.Reference.Add(clock.Elapsed.TotalMicroseconds / (total / (1024.0 * 1024)));
                }

                shapes[i] = shape;
            }
        }

        Console.Write(string.Create(CultureInfo.InvariantCulture, $"Adversarial shapes, {sizeMiB} MiB each, "));
        Console.WriteLine(
            "UploadKit discard chain with part limits lifted, then MultipartReader (sections' Content-Disposition parsed, " +
            "bodies drained, its own limits); µs per MiB of body offered:");
        var random = Median(shapes[0].Samples);
        var referenceRandom = Median(shapes[0].Reference);
        foreach (var (shape, _, _, samples, status, reference, outcome) in shapes)
        {
            var median = Median(samples);
            var referenceMedian = Median(reference);
            Console.Write(string.Create(
                CultureInfo.InvariantCulture, $"  {shape.Name,-40} {status,3} {median,9:F1} µs/MiB  {median / random,6:F2}× random  |  "));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"MultipartReader {outcome,-22} {referenceMedian,9:F1} µs/MiB  {referenceMedian / referenceRandom,6:F2}× its random"));
        }
    }

    /// <summary>Reads a body with MultipartReader as a form reader does; answers how it ended.</summary>
    private static async Task<string> ReadWithMultipartReaderAsync(PipeReader pipe, string contentType)
    {
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value!;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var sections = 0;
        try
        {
            var reader = new MultipartReader(boundary, pipe.AsStream());
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync()) is not null)
            {
                sections++;
                _ = ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out _);
                while (await section.Body.ReadAsync(buffer) > 0)
                {
                }
            }

            return sections + " sections";
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            return "refused: " + ex.GetType().Name;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static async Task<long> ReadRawAsync(PipeReader reader)
    {
        long length = 0;
        while (true)
        {
            var result = await reader.ReadAsync();
            length += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                // The multipart framing is not file data.
                return length - Prefix.Length - Suffix.Length;
            }
        }
    }

    private static readonly byte[] Delimiter = Encoding.ASCII.GetBytes("\r\n--" + Boundary);

    private static async Task<long> ScanAsync(PipeReader reader)
    {
        long length = 0;
        while (true)
        {
            var result = await reader.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                if (segment.Span.IndexOf(Delimiter) >= 0)
                {
                    length -= Delimiter.Length;
                }
            }

            length += result.Buffer.Length;
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return length - Prefix.Length - Suffix.Length + Delimiter.Length;
            }
        }
    }

    private static async Task<long> ReadUploadKitAsync(PipeReader reader, IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "POST";
        context.Request.ContentType = "multipart/form-data; boundary=" + Boundary;
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IRequestBodyPipeFeature>(new BodyPipe(reader));
        var handlers = context.GetUploadHandlers();
        handlers.Clear();
        handlers.Add(new DiscardHandler());
        await context.ReadUploadFormAsync();
        return scope.ServiceProvider.GetRequiredService<DiscardedLength>().Value;
    }

    private static async Task<long> ReadMultipartReaderAsync(PipeReader pipe, int bufferSize)
    {
        var reader = new MultipartReader(Boundary, pipe.AsStream(), bufferSize);
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        long length = 0;
        MultipartSection? section;
        while ((section = await reader.ReadNextSectionAsync()) is not null)
        {
            int read;
            while ((read = await section.Body.ReadAsync(buffer)) > 0)
            {
                length += read;
            }
        }

        ArrayPool<byte>.Shared.Return(buffer);
        return length;
    }

    private static readonly byte[] Prefix = Encoding.ASCII.GetBytes(
        "--" + Boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n" +
        "Content-Type: application/octet-stream\r\n\r\n");

    private static readonly byte[] Suffix = Encoding.ASCII.GetBytes("\r\n--" + Boundary + "--\r\n");

    private static List<byte[]> BuildBody(int sizeMiB, int segmentSize)
    {
        var payload = new Payload(seed: 20_240_601);
        var all = new byte[Prefix.Length + (sizeMiB * 1024L * 1024) + Suffix.Length];
        Prefix.CopyTo(all, 0);
        for (var i = 0; i < sizeMiB; i++)
        {
            payload.Block(i, Payload.BlockSize).Span.CopyTo(all.AsSpan(Prefix.Length + (i * Payload.BlockSize)));
        }

        Suffix.CopyTo(all, all.Length - Suffix.Length);
        var segments = new List<byte[]>();
        for (var offset = 0; offset < all.Length; offset += segmentSize)
        {
            segments.Add(all.AsSpan(offset, Math.Min(segmentSize, all.Length - offset)).ToArray());
        }

        return segments;
    }

    private sealed class BodyPipe(PipeReader reader) : Microsoft.AspNetCore.Http.Features.IRequestBodyPipeFeature
    {
        public PipeReader Reader => reader;
    }

    /// <summary>A pipe reader over fixed-size segments that hands out <c>segmentsPerRead</c> more segments per read, synchronously.</summary>
    private sealed class SegmentedPipeReader : PipeReader
    {
        private readonly Segment[] _segments;
        private readonly int _segmentsPerRead;
        private SequencePosition _start;
        private int _endIndex;

        public SegmentedPipeReader(List<byte[]> blocks, int segmentsPerRead)
        {
            _segments = new Segment[blocks.Count];
            long running = 0;
            for (var i = 0; i < blocks.Count; i++)
            {
                _segments[i] = new Segment(blocks[i], running, i);
                running += blocks[i].Length;
                if (i > 0)
                {
                    _segments[i - 1].SetNext(_segments[i]);
                }
            }

            _segmentsPerRead = segmentsPerRead;
            _start = new SequencePosition(_segments[0], 0);
            _endIndex = -1;
        }

        public override bool TryRead(out ReadResult result)
        {
            var startSegment = (Segment)_start.GetObject()!;
            var target = Math.Min(_segments.Length - 1, Math.Max(_endIndex, startSegment.Index - 1) + _segmentsPerRead);
            _endIndex = target;
            var end = _segments[target];
            var buffer = new ReadOnlySequence<byte>(startSegment, _start.GetInteger(), end, end.Memory.Length);
            result = new ReadResult(buffer, isCanceled: false, isCompleted: target == _segments.Length - 1);
            return true;
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            TryRead(out var result);
            return new ValueTask<ReadResult>(result);
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _start = consumed;

        public override void CancelPendingRead()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        private sealed class Segment : ReadOnlySequenceSegment<byte>
        {
            public Segment(byte[] data, long runningIndex, int index)
            {
                Memory = data;
                RunningIndex = runningIndex;
                Index = index;
            }

            public int Index { get; }

            public void SetNext(Segment next) => Next = next;
        }
    }
}
