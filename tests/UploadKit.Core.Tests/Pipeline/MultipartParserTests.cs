using System.Text;
using UploadKit.Testing;

namespace UploadKit.Tests.Pipeline;

public class MultipartParserTests
{
    private const string BoundaryAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+_,-./:=?";

    [Test]
    public async Task ParseAsync_RandomWellFormedBodies_AgreesWithMultipartReader([Range(0, 199)] int seed)
    {
        var random = new Random(seed);
        var (body, boundary) = RandomBody(random);

        var expected = await ParserHarness.ParseWithOracleAsync(body, boundary);
        var whole = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, []), boundary);
        var splits = Enumerable.Range(0, random.Next(1, 40)).Select(_ => random.Next(body.Length)).ToList();
        var segmented = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, splits), boundary);
        var trickled = await ParserHarness.ParseWithOursAsync(ParserHarness.TrickleReader(body, random, random.Next(1, 300)), boundary);

        Assert.That(whole, Is.EqualTo(expected), "one segment");
        Assert.That(segmented, Is.EqualTo(expected), "random segments");
        Assert.That(trickled, Is.EqualTo(expected), "trickled writes");
    }

    [Test]
    public async Task ParseAsync_DelimiterSplitAtEveryOffset_FindsEveryPart()
    {
        var boundary = "xYz123";
        var lookalikes = Encoding.ASCII.GetBytes("a\r\n--xYz12\r\n-\r\n--xYz1\r--xYz123 no crlf before\r\n--x");
        var body = new MultipartBodyBuilder(boundary)
            .AddFile("file", "a.bin", lookalikes)
            .AddField("title", "hello\r\n--xYz")
            .AddFile("file", "b.bin", [])
            .Build();
        var expected = await ParserHarness.ParseWithOracleAsync(body, boundary);
        Assert.That(expected, Has.Count.EqualTo(3));

        for (var split = 1; split < body.Length; split++)
        {
            var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, [split]), boundary);
            Assert.That(parts, Is.EqualTo(expected), $"split at {split}");
        }

        for (var split = 1; split + 3 < body.Length; split += 3)
        {
            var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, [split, split + 1, split + 3]), boundary);
            Assert.That(parts, Is.EqualTo(expected), $"splits at {split}, +1, +3");
        }
    }

    [Test]
    public async Task ParseAsync_PreambleAndPadding_AreSkipped()
    {
        var body = Encoding.ASCII.GetBytes("preamble text\r\n--b  \t\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\nepilogue");
        var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, []), "b");
        Assert.That(parts.Single().Name, Is.EqualTo("a"));
        Assert.That(parts.Single().Content, Is.EqualTo(Convert.ToHexString("1"u8)));
    }

    [TestCase("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", TestName = "ParseAsync_TruncatedBody_Throws400")]
    [TestCase("--b\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Type", TestName = "ParseAsync_TruncatedHeaders_Throws400")]
    [TestCase("--b\r\nNoColonHere\r\n\r\nx\r\n--b--", TestName = "ParseAsync_HeaderWithoutColon_Throws400")]
    [TestCase("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", TestName = "ParseAsync_PartWithoutDisposition_Throws400")]
    [TestCase("--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", TestName = "ParseAsync_NotFormData_Throws400")]
    [TestCase("--bXYZ\r\n", TestName = "ParseAsync_GarbageAfterBoundary_Throws400")]
    [TestCase("no delimiter at all", TestName = "ParseAsync_NoDelimiter_Throws400")]
    public void ParseAsync_MalformedBody_Throws400(string text)
    {
        var body = Encoding.ASCII.GetBytes(text);
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.TrickleReader(body, new Random(1), 5), "b"));
        Assert.That(ex!.StatusCode, Is.EqualTo(400));
    }

    [Test]
    public async Task ParseAsync_EmptyBody_IsEmptyForm()
    {
        // Changed (issue 12): an empty body used to be a 400; Django and ASP.NET Core's form reader take it as an empty form.
        var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.TrickleReader([], new Random(1), 5), "b");
        Assert.That(parts, Is.Empty);
    }

    [Test]
    public void ParseAsync_RandomBytes_OnlyEverRejectsCleanly([Range(0, 299)] int seed)
    {
        var random = new Random(seed);
        var (body, boundary) = RandomBody(random);
        // Corrupt a few bytes, cut the body, or both.
        for (var i = random.Next(1, 6); i > 0; i--)
        {
            body[random.Next(body.Length)] = (byte)random.Next(256);
        }

        if (random.Next(2) == 0)
        {
            body = body[..random.Next(body.Length)];
        }

        Assert.That(
            async () =>
            {
                try
                {
                    await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, [random.Next(body.Length + 1)]), boundary);
                }
                catch (UploadRejectedException ex) when (ex.StatusCode is 400 or 413)
                {
                }

                // A real pipe also refuses a second read while one is open, which a sequence reader tolerates.
                try
                {
                    await ParserHarness.ParseWithOursAsync(ParserHarness.TrickleReader(body, random, 512), boundary);
                }
                catch (UploadRejectedException ex) when (ex.StatusCode is 400 or 413)
                {
                }
            },
            Throws.Nothing);
    }

    [Test]
    public void ParseAsync_HeadersOverLimit_Throws413()
    {
        var body = new MultipartBodyBuilder("b")
            .AddPart($"Content-Disposition: form-data; name=\"a\"\r\nX-Big: {new string('x', 20_000)}\r\n", [1])
            .Build();
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, []), "b"));
        Assert.That(ex!.StatusCode, Is.EqualTo(413));
    }

    [Test]
    public void ParseAsync_FieldsOverLimit_Throws413()
    {
        var body = new MultipartBodyBuilder("b").AddField("a", new string('x', 100)).AddField("b", new string('y', 100)).Build();
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.SegmentedReader(body, []), "b", new UploadOptions { MaxFieldsSize = 150 }));
        Assert.That(ex!.StatusCode, Is.EqualTo(413));
        Assert.That(ex.Message, Is.EqualTo("The form's fields are larger than 150 bytes."));
    }

    [Test]
    public void ParseAsync_TooManyFields_Throws413()
    {
        var builder = new MultipartBodyBuilder("b");
        for (var i = 0; i < 4; i++)
        {
            builder.AddField("f" + i, "v");
        }

        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.SegmentedReader(builder.Build(), []), "b", new UploadOptions { MaxFieldCount = 3 }));
        Assert.That(ex!.StatusCode, Is.EqualTo(413));
        Assert.That(ex.Message, Is.EqualTo("The form has more than 3 fields."));
    }

    private static (byte[] Body, string Boundary) RandomBody(Random random)
    {
        var boundaryLength = random.Next(1, 71);
        var boundary = new string(Enumerable.Range(0, boundaryLength).Select(_ => BoundaryAlphabet[random.Next(BoundaryAlphabet.Length)]).ToArray());
        var delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        var builder = new MultipartBodyBuilder(boundary);
        var parts = random.Next(0, 6);
        for (var i = 0; i < parts; i++)
        {
            var content = RandomContent(random, delimiter);
            if (random.Next(3) == 0)
            {
                var text = Convert.ToBase64String(content)[..Math.Min(content.Length, 200)];
                builder.AddField("field" + i, text);
            }
            else
            {
                builder.AddFile("file" + (i % 2), $"name{i}.bin", content, random.Next(2) == 0 ? "application/octet-stream" : "image/png");
            }
        }

        return (builder.Build(), boundary);
    }

    private static byte[] RandomContent(Random random, byte[] delimiter)
    {
        while (true)
        {
            var length = random.Next(4) switch { 0 => 0, 1 => random.Next(1, 16), 2 => random.Next(16, 5000), _ => random.Next(5000, 70_000) };
            var content = new byte[length];
            random.NextBytes(content);
            // Plant look-alikes: the delimiter cut short, or with one byte changed.
            for (var i = random.Next(0, 4); i > 0 && length > delimiter.Length; i--)
            {
                var at = random.Next(length - delimiter.Length);
                var cut = random.Next(1, delimiter.Length);
                delimiter.AsSpan(0, cut).CopyTo(content.AsSpan(at));
                if (random.Next(2) == 0)
                {
                    delimiter.CopyTo(content.AsSpan(at));
                    content[at + random.Next(delimiter.Length)] ^= 0x20;
                }
            }

            if (content.AsSpan().IndexOf(delimiter) < 0 && !content.AsSpan().EndsWith(delimiter.AsSpan(0, 2)))
            {
                return content;
            }
        }
    }
}
