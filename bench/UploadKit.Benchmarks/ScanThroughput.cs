using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace UploadKit.Benchmarks;

/// <summary>
/// <c>scan</c> mode: the throughput of one large multipart upload through UploadKit's default chain, without scanning, with
/// the scanning stage feeding a scanner that only reads (the stage's own cost), and with clamd (<c>--clamd endpoint</c>).
/// Client and servers share this process; each configuration is its own Kestrel app on 127.0.0.1, and the runs rotate
/// between them so that noise falls on all alike.
/// </summary>
internal static class ScanThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        var runs = 5;
        var sizeMib = 100;
        string? clamd = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs":
                    runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--size-mib":
                    sizeMib = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--clamd":
                    clamd = args[++i];
                    break;
                default:
                    await Console.Error.WriteLineAsync("usage: scan [--runs 5] [--size-mib 100] [--clamd tcp://127.0.0.1:3310]");
                    return 2;
            }
        }

        var size = (long)sizeMib * 1024 * 1024;
        var temp = Directory.CreateTempSubdirectory("uploadkit-bench-scan-");
        var configurations = new List<(string Name, Action<IUploadKitBuilder> Configure)>
        {
            ("no scanning", _ => { }),
            ("scanning stage, reading scanner", b => b.AddScanning(_ => new ReadingScanner(), o => o.Timeout = TimeSpan.FromMinutes(5))),
        };
        if (clamd is not null)
        {
            void AddClamd(IUploadKitBuilder b)
            {
                b.AddClamAvScanning(o =>
                {
                    o.Endpoint = clamd;
                    o.StreamMaxLength = size + 1;
                    o.Timeout = TimeSpan.FromMinutes(5);
                });
                b.Services.Configure<ScanningOptions>(o => o.Timeout = TimeSpan.FromMinutes(5));
            }

            configurations.Add(("scanning with clamd", AddClamd));
        }

        var apps = new List<(string Name, WebApplication App, HttpClient Client)>();
        try
        {
            foreach (var (name, configure) in configurations)
            {
                var app = await StartAsync(temp.FullName, configure);
                var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                apps.Add((name, app, new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(10) }));
            }

            var results = apps.ToDictionary(a => a.Name, _ => new List<double>());
            var pool = new byte[16 * 1024 * 1024];
            new Random(18).NextBytes(pool);
            for (var run = -1; run < runs; run++)
            {
                for (var k = 0; k < apps.Count; k++)
                {
                    var (name, _, client) = apps[(k + Math.Max(run, 0)) % apps.Count];
                    var seconds = await UploadAsync(client, pool, size);
                    if (run >= 0)
                    {
                        results[name].Add(sizeMib / seconds);
                    }
                }
            }

            Console.WriteLine($"| {sizeMib} MiB multipart upload, {runs} runs | median MiB/s | min–max |");
            Console.WriteLine("|---|---|---|");
            foreach (var (name, values) in results)
            {
                values.Sort();
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture, $"| {name} | {values[values.Count / 2]:0.0} | {values[0]:0.0}–{values[^1]:0.0} |"));
            }

            return 0;
        }
        finally
        {
            foreach (var (_, app, client) in apps)
            {
                client.Dispose();
                await app.DisposeAsync();
            }

            temp.Delete(recursive: true);
        }
    }

    private static async Task<WebApplication> StartAsync(string temp, Action<IUploadKitBuilder> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        configure(builder.Services.AddUploadKit(o =>
        {
            o.TempFileDirectory = temp;
            o.MaxRequestBodySize = 4L * 1024 * 1024 * 1024;
        }));
        var app = builder.Build();
        app.MapPost("/upload", (UploadForm form) => Results.Ok(form.Files.Sum(f => f.Length)));
        await app.StartAsync();
        return app;
    }

    private static async Task<double> UploadAsync(HttpClient client, byte[] pool, long size)
    {
        const string Boundary = "----UploadKitBenchScan";
        var head = System.Text.Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n" +
            "Content-Type: application/octet-stream\r\n\r\n");
        var tail = System.Text.Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        var content = new StreamContent(new PoolStream(head, pool, size, tail), 1024 * 1024);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
        content.Headers.ContentLength = head.Length + size + tail.Length;
        var watch = Stopwatch.StartNew();
        using var response = await client.PostAsync("/upload", content);
        var body = await response.Content.ReadAsStringAsync();
        watch.Stop();
        if (response.StatusCode != HttpStatusCode.OK || body != size.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"upload failed: {(int)response.StatusCode} {body}");
        }

        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>A scanner that reads every byte and finds nothing: what the scanning stage costs without an engine.</summary>
    private sealed class ReadingScanner : IFileScanner
    {
        public async Task<ScanVerdict> ScanAsync(Stream content, CancellationToken cancellationToken)
        {
            var buffer = new byte[64 * 1024];
            long total = 0;
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
            }

            return total >= 0 ? ScanVerdict.Clean : ScanVerdict.Failed("unreachable");
        }
    }

    /// <summary>The multipart head, <c>size</c> bytes taken round-robin from a random pool, then the tail.</summary>
    private sealed class PoolStream(byte[] head, byte[] pool, long size, byte[] tail) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => head.Length + size + tail.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var total = head.Length + size + tail.Length;
            if (_position >= total)
            {
                return 0;
            }

            ReadOnlySpan<byte> source;
            if (_position < head.Length)
            {
                source = head.AsSpan((int)_position);
            }
            else if (_position < head.Length + size)
            {
                var at = _position - head.Length;
                source = pool.AsSpan((int)(at % pool.Length), (int)Math.Min(pool.Length - (at % pool.Length), size - at));
            }
            else
            {
                source = tail.AsSpan((int)(_position - head.Length - size));
            }

            var n = Math.Min(source.Length, buffer.Length);
            source[..n].CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
