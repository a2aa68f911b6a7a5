using Microsoft.Extensions.Options;
using UploadKit.Testing;

namespace UploadKit.Scanning.ClamAv.Tests;

/// <summary>The INSTREAM client against a fake clamd that speaks the protocol: framing at every chunk boundary, replies, pooling, failures.</summary>
public sealed class ClamAvScannerTests
{
    private const int Chunk = 1024;

    private static ClamAvScanner Create(string endpoint, Action<ClamAvOptions>? configure = null)
    {
        var options = new ClamAvOptions { Endpoint = endpoint, ChunkSize = Chunk, Timeout = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        return new ClamAvScanner(Options.Create(options));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(Chunk - 1)]
    [TestCase(Chunk)]
    [TestCase(Chunk + 1)]
    [TestCase((2 * Chunk) - 1)]
    [TestCase(2 * Chunk)]
    [TestCase((2 * Chunk) + 1)]
    [TestCase((5 * Chunk) + 17)]
    public async Task ScanAsync_EveryLength_SendsChunksOfChunkSizeThenTheRestThenATerminator(int length)
    {
        await using var clamd = FakeClamd.StartTcp();
        using var scanner = Create(clamd.Endpoint);
        var content = RandomBytes(length);

        // A reader that returns odd-sized reads: the client must still frame full chunks.
        var verdict = await scanner.ScanAsync(new TrickleStream(content, 333), CancellationToken.None);

        Assert.That(verdict.Outcome, Is.EqualTo(ScanOutcome.Clean));
        Assert.That(clamd.Streams.Single(), Is.EqualTo(content), "clamd got the file's bytes exactly");
        var expected = Enumerable.Repeat(Chunk, length / Chunk).ToList();
        if (length % Chunk != 0)
        {
            expected.Add(length % Chunk);
        }

        Assert.That(clamd.ChunkLengths.Single(), Is.EqualTo(expected), "full chunks, then the rest; the zero terminator ends the stream");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(Chunk - 68)]
    [TestCase(Chunk - 67)]
    [TestCase(Chunk - 1)]
    [TestCase(Chunk)]
    [TestCase((3 * Chunk) - 34)]
    public async Task ScanAsync_EicarAtAChunkBoundary_IsFound(int offset)
    {
        await using var clamd = FakeClamd.StartTcp();
        using var scanner = Create(clamd.Endpoint);
        var content = RandomBytes(offset + TestSignatures.Eicar.Length + Chunk);
        TestSignatures.Eicar.CopyTo(content, offset);

        var verdict = await scanner.ScanAsync(new MemoryStream(content), CancellationToken.None);

        Assert.That(verdict.Outcome, Is.EqualTo(ScanOutcome.Infected));
        Assert.That(verdict.Signature, Is.EqualTo(TestSignatures.EicarBodyName));
        Assert.That(clamd.Streams.Single(), Is.EqualTo(content));
    }

    [TestCase("stream: OK", ScanOutcome.Clean, null)]
    [TestCase("stream: Eicar-Signature FOUND", ScanOutcome.Infected, "Eicar-Signature")]
    [TestCase("stream: Win.Test.EICAR_HDB-1 FOUND\n", ScanOutcome.Infected, "Win.Test.EICAR_HDB-1")]
    [TestCase("INSTREAM size limit exceeded. ERROR", ScanOutcome.TooLarge, null)]
    [TestCase("Error processing command. ERROR", ScanOutcome.Error, null)]
    [TestCase("stream: Can't allocate memory ERROR", ScanOutcome.Error, null)]
    [TestCase("UNKNOWN COMMAND", ScanOutcome.Error, null)]
    [TestCase("stream: FOUND", ScanOutcome.Error, null)]
    [TestCase("", ScanOutcome.Error, null)]
    public void Parse_Replies(string reply, ScanOutcome outcome, string? signature)
    {
        var verdict = ClamAvScanner.Parse(reply);
        Assert.That(verdict.Outcome, Is.EqualTo(outcome));
        Assert.That(verdict.Signature, Is.EqualTo(signature));
    }

    [Test]
    public void Parse_SessionReply_DropsItsCommandNumber()
    {
        Assert.That(ClamAvScanner.Parse("12: stream: Eicar FOUND", 12).Signature, Is.EqualTo("Eicar"));
        Assert.That(ClamAvScanner.Parse("3: stream: OK", 3).Outcome, Is.EqualTo(ScanOutcome.Clean));
    }

    [Test]
    public async Task ScanAsync_ManyScans_ReuseOnePooledSession()
    {
        await using var clamd = FakeClamd.StartTcp();
        using var scanner = Create(clamd.Endpoint);
        for (var i = 0; i < 5; i++)
        {
            var content = i % 2 == 0 ? RandomBytes(3000) : [.. RandomBytes(10), .. TestSignatures.Eicar];
            var verdict = await scanner.ScanAsync(new MemoryStream(content), CancellationToken.None);
            Assert.That(verdict.Outcome, Is.EqualTo(i % 2 == 0 ? ScanOutcome.Clean : ScanOutcome.Infected), $"scan {i}");
        }

        Assert.That(scanner.ConnectionsOpened, Is.EqualTo(1), "one IDSESSION connection carried all five numbered commands");
        Assert.That(clamd.Accepted, Is.EqualTo(1));
    }

    [Test]
    public async Task ScanAsync_WithoutPooling_OpensAConnectionPerScan()
    {
        await using var clamd = FakeClamd.StartTcp();
        using var scanner = Create(clamd.Endpoint, o => o.MaxIdleConnections = 0);
        for (var i = 0; i < 3; i++)
        {
            Assert.That((await scanner.ScanAsync(new MemoryStream(RandomBytes(10)), CancellationToken.None)).Outcome, Is.EqualTo(ScanOutcome.Clean));
        }

        Assert.That(clamd.Accepted, Is.EqualTo(3));
    }

    [Test]
    public async Task ScanAsync_ClamdGoneAfterAPooledScan_IsAnErrorVerdict()
    {
        var clamd = FakeClamd.StartTcp();
        using var scanner = Create(clamd.Endpoint);
        Assert.That((await scanner.ScanAsync(new MemoryStream(RandomBytes(10)), CancellationToken.None)).Outcome, Is.EqualTo(ScanOutcome.Clean));
        var endpoint = clamd.Endpoint;
        await clamd.DisposeAsync(); // closes the idle session, as clamd's IdleTimeout does

        Assert.That(
            (await scanner.ScanAsync(new MemoryStream(RandomBytes(10)), CancellationToken.None)).Outcome,
            Is.EqualTo(ScanOutcome.Error),
            "nobody listens any more: an error verdict, not an exception");
        Assert.That(endpoint, Does.StartWith("tcp://"));
    }

    [Test]
    public async Task ScanAsync_OverStreamMaxLength_IsTooLargeBeforeClamdSeesTheExcess()
    {
        await using var clamd = FakeClamd.StartTcp();
        using var scanner = Create(clamd.Endpoint, o => o.StreamMaxLength = 4 * Chunk);

        var atLimit = await scanner.ScanAsync(new MemoryStream(RandomBytes(4 * Chunk)), CancellationToken.None);
        var over = await scanner.ScanAsync(new MemoryStream(RandomBytes((4 * Chunk) + 1)), CancellationToken.None);

        Assert.That(atLimit.Outcome, Is.EqualTo(ScanOutcome.Clean));
        Assert.That(over.Outcome, Is.EqualTo(ScanOutcome.TooLarge));
    }

    [Test]
    public async Task ScanAsync_ClamdsOwnSizeLimit_IsTooLarge()
    {
        await using var clamd = FakeClamd.StartTcp();
        clamd.SizeLimit = 3 * Chunk;
        using var scanner = Create(clamd.Endpoint, o => o.MaxIdleConnections = 0);

        var verdict = await scanner.ScanAsync(new MemoryStream(RandomBytes(64 * Chunk)), CancellationToken.None);

        Assert.That(verdict.Outcome, Is.EqualTo(ScanOutcome.TooLarge), verdict.ToString());
    }

    [Test]
    public async Task ScanAsync_SlowVerdict_FailsAfterTheTimeout()
    {
        await using var clamd = FakeClamd.StartTcp();
        clamd.VerdictDelay = TimeSpan.FromSeconds(30);
        using var scanner = Create(clamd.Endpoint, o => o.Timeout = TimeSpan.FromMilliseconds(300));

        var started = System.Diagnostics.Stopwatch.StartNew();
        var verdict = await scanner.ScanAsync(new MemoryStream(RandomBytes(10)), CancellationToken.None);

        Assert.That(verdict.Outcome, Is.EqualTo(ScanOutcome.Error));
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public async Task ScanAsync_ErrorReplyOrDroppedConnection_IsAnError()
    {
        await using var clamd = FakeClamd.StartTcp();
        using var scanner = Create(clamd.Endpoint);
        clamd.ReplyOverride = "stream: Can't allocate memory ERROR";
        Assert.That((await scanner.ScanAsync(new MemoryStream(RandomBytes(10)), CancellationToken.None)).Outcome, Is.EqualTo(ScanOutcome.Error));
        clamd.ReplyOverride = null;
        clamd.DropBeforeVerdict = true;
        Assert.That((await scanner.ScanAsync(new MemoryStream(RandomBytes(10)), CancellationToken.None)).Outcome, Is.EqualTo(ScanOutcome.Error));
    }

    [Test]
    public async Task ScanAsync_NothingListening_IsAnError()
    {
        using var scanner = Create($"tcp://127.0.0.1:{ServiceProcess.GetFreePort()}");
        var verdict = await scanner.ScanAsync(new MemoryStream(RandomBytes(10)), CancellationToken.None);
        Assert.That(verdict.Outcome, Is.EqualTo(ScanOutcome.Error));
        Assert.That(verdict.Error, Does.Contain("could not be reached"));
    }

    [Test]
    public async Task ScanAsync_UnixSocket_Works()
    {
        using var temp = new TempDirectory();
        await using var clamd = FakeClamd.StartUnix(Path.Combine(temp.Path, "clamd.sock"));
        using var scanner = Create(clamd.Endpoint);
        var content = (byte[])[.. RandomBytes(5000), .. TestSignatures.Eicar];

        var verdict = await scanner.ScanAsync(new MemoryStream(content), CancellationToken.None);

        Assert.That(verdict.Outcome, Is.EqualTo(ScanOutcome.Infected));
        Assert.That(clamd.Streams.Single(), Is.EqualTo(content));
    }

    [TestCase("")]
    [TestCase("127.0.0.1:3310")]
    [TestCase("http://127.0.0.1:3310")]
    [TestCase("tcp://127.0.0.1")]
    [TestCase("unix://relative/path")]
    public void Endpoint_Malformed_IsRefused(string endpoint)
    {
        Assert.That(() => Create(endpoint), Throws.InstanceOf<OptionsValidationException>());
    }

    /// <summary>A stream that returns at most a few bytes per read.</summary>
    private sealed class TrickleStream(byte[] content, int most) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, most)], cancellationToken);
    }
}
