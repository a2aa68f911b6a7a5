using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Pipeline;

/// <summary>
/// One regression test per class of multipart attack (the parser CVEs of 2023–2026): the answer over HTTP, nothing
/// left on disk, and allocation that does not grow with the body (an in-memory parse of 1 MiB against 16 MiB).
/// </summary>
[NonParallelizable]
public class AttackClassTests : TempDirectoryTests
{
    private const int Small = 1024 * 1024;
    private const int Large = 16 * 1024 * 1024;

    /// <summary>What 15 more MiB of body may add to a request's allocation: nothing that grows with it.</summary>
    private const long AllocationSlack = 64 * 1024;

    private static IEnumerable<AdversarialShape> Shapes() => AdversarialBodies.All;

    [TestCaseSource(nameof(Shapes))]
    public async Task UploadForm_AttackShape_AnswersAndLeavesNothing(AdversarialShape shape)
    {
        // Files spill to disk early, so a body that is accepted or refused halfway must clean up what it wrote.
        await using var app = await UploadApp.StartAsync(
            Temp, a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)), o => o.MemoryBufferThreshold = 16 * 1024);
        var body = shape.Build(Small);
        var content = new ByteArrayContent(body.Body);
        content.Headers.TryAddWithoutValidation("Content-Type", shape.ContentType);

        var response = await app.Client.PostAsync("/upload", content);

        Assert.That((int)response.StatusCode, Is.EqualTo(shape.Status), await response.Content.ReadAsStringAsync());
        if (shape.Status == 200)
        {
            var report = await response.Content.ReadFromJsonAsync<FormReport>();
            Assert.That(report!.Files.Sum(f => f.Length), Is.EqualTo(body.FileBytes));
        }

        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    [TestCaseSource(nameof(Shapes))]
    public async Task ReadUploadFormAsync_AttackShape_AllocationDoesNotGrowWithBody(AdversarialShape shape)
    {
        var small = shape.Build(Small);
        var large = shape.Build(Large);

        // The least of three runs each, so first-call costs (JIT tiering, statics, pools) count in neither.
        var (smallStatus, smallBytes) = await InMemoryParse.MeasureAsync(small.Body, shape.ContentType);
        var (largeStatus, largeBytes) = await InMemoryParse.MeasureAsync(large.Body, shape.ContentType);

        await TestContext.Out.WriteLineAsync($"{shape.Name}: {smallBytes:N0} bytes allocated for 1 MiB, {largeBytes:N0} for 16 MiB");
        Assert.That(smallStatus, Is.EqualTo(shape.Status));
        Assert.That(largeStatus, Is.EqualTo(shape.Status));
        Assert.That(largeBytes, Is.LessThan(smallBytes + AllocationSlack), $"allocated {smallBytes:N0} bytes for 1 MiB, {largeBytes:N0} for 16 MiB");
    }

    [Test]
    public async Task ReadUploadFormAsync_HugeDeclaredLengthTinyBody_Is400WithoutSizingBuffersByIt()
    {
        var body = Encoding.ASCII.GetBytes(
            $"--{AdversarialBodies.Boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Length: 200000000\r\n\r\n" +
            $"abc");

        var (smallStatus, smallBytes) = await InMemoryParse.MeasureAsync(body, AdversarialBodies.ContentType, declaredLength: Small);
        var (largeStatus, largeBytes) = await InMemoryParse.MeasureAsync(body, AdversarialBodies.ContentType, declaredLength: 200_000_000);

        Assert.That(smallStatus, Is.EqualTo(400));
        Assert.That(largeStatus, Is.EqualTo(400));
        Assert.That(largeBytes, Is.LessThan(smallBytes + AllocationSlack));
    }

    [Test]
    public async Task Kestrel_HugeDeclaredLengthTinyBody_Is400AndLeavesNothing()
    {
        var app = await UploadApp.StartAsync(
            Temp, a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)), o => o.MemoryBufferThreshold = 0, kestrel: true);
        string? statusLine;
        try
        {
            var part = $"--{AdversarialBodies.Boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n" + new string(
                'x', 5000);
            var request = $"POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: {AdversarialBodies.ContentType}\r\n" +
                $"Content-Length: 200000000\r\n\r\n{part}";
            using var client = new TcpClient();
            await client.ConnectAsync(app.Client.BaseAddress!.Host, app.Client.BaseAddress.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
            client.Client.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream);
            try
            {
                statusLine = await reader.ReadLineAsync();
            }
            catch (IOException)
            {
                // The server reset the connection: no answer at all, which is not a success either.
                statusLine = null;
            }
        }
        finally
        {
            // Stopping the server waits for the request to end, and with it the cleanup of its files.
            await app.DisposeAsync();
        }

        // Kestrel takes the client's end of input as the end of the connection: it answers 400, or closes or resets it; never 2xx.
        Assert.That(statusLine, Is.Null.Or.StartWith("HTTP/1.1 400"));
        Assert.That(Directory.GetFiles(Temp), Is.Empty, "the partial temp file is deleted");
    }

    /// <summary>The whole chain over a body in memory, handed out 64 KiB per read in 4 KiB segments as Kestrel does.</summary>
    private static class InMemoryParse
    {
        private static readonly ServiceProvider Services = CreateServices();

        /// <summary>The answer, and the least number of bytes allocated by three reads of the body.</summary>
        public static async Task<(int Status, long Allocated)> MeasureAsync(byte[] body, string contentType, long? declaredLength = null)
        {
            var sequence = ParserHarness.Sequence(body, Enumerable.Range(1, body.Length / 4096).Select(i => i * 4096));
            var status = 0;
            var least = long.MaxValue;
            for (var run = 0; run < 3; run++)
            {
                var reader = new SteppedReader(sequence, 64 * 1024);
                var before = GC.GetTotalAllocatedBytes(precise: true);
                status = await RunAsync(reader, contentType, declaredLength ?? body.Length);
                least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
            }

            return (status, least);
        }

        private static async Task<int> RunAsync(PipeReader reader, string contentType, long declaredLength) =>
            (await InMemoryRequest.ReadAsync(Services, reader, contentType, declaredLength, new DiscardHandler())).Status;

        private static ServiceProvider CreateServices()
        {
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddUploadKit(_ => { });
            return services.BuildServiceProvider();
        }
    }

    private sealed class DiscardHandler : UploadHandler
    {
        public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(null);
    }

    /// <summary>Shows <c>step</c> more bytes of a prepared sequence per read; reading allocates nothing.</summary>
    private sealed class SteppedReader(ReadOnlySequence<byte> all, long step) : PipeReader
    {
        private SequencePosition _start = all.Start;
        private long _shown;

        public override bool TryRead(out ReadResult result)
        {
            _shown = Math.Min(all.Length, _shown + step);
            result = new ReadResult(all.Slice(_start, all.GetPosition(_shown)), isCanceled: false, isCompleted: _shown == all.Length);
            return true;
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            TryRead(out var result);
            return new ValueTask<ReadResult>(result);
        }

        public override void AdvanceTo(SequencePosition consumed) => _start = consumed;

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _start = consumed;

        public override void CancelPendingRead()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }
    }
}
