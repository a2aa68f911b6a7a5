using System.Text;
using UploadKit.Testing;

namespace UploadKit.Tests.Pipeline;

public class Base64PartDecoderTests
{
    private const string Boundary = "b64boundary";

    private static byte[] Body(string encoded, bool file = true) => new MultipartBodyBuilder(Boundary)
        .AddPart(
            file ? "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n"
                 : "Content-Disposition: form-data; name=\"f\"\r\nContent-Transfer-Encoding: base64\r\n",
            Encoding.ASCII.GetBytes(encoded))
        .Build();

    /// <summary>Base64 of <paramref name="data"/> with whitespace of every kind sprinkled in, including inside the padding.</summary>
    private static string Sprinkle(byte[] data, Random random)
    {
        var builder = new StringBuilder();
        foreach (var c in Convert.ToBase64String(data))
        {
            if (random.Next(5) == 0)
            {
                builder.Append(random.Next(4) switch { 0 => " ", 1 => "\t", 2 => "\r\n", _ => "\r\n  " });
            }

            builder.Append(c);
        }

        return builder.Append("\r\n").ToString();
    }

    [Test]
    public async Task ParseAsync_Base64SplitAtEveryOffset_DecodesTheSameBytes()
    {
        var data = Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray();
        var body = Body(Sprinkle(data, new Random(3)));

        await AssertDecodedAtEverySplitAsync(body, data, 1, 5);
    }

    /// <summary>Parses <paramref name="body"/> cut at every offset (and at the given distances after it) and checks each decodes to
    /// <paramref name="data"/>.</summary>
    private static async Task AssertDecodedAtEverySplitAsync(byte[] body, byte[] data, params int[] more)
    {
        for (var split = 1; split < body.Length; split++)
        {
            var parts = await ParserHarness.ParseWithOursAsync(
                ParserHarness.SegmentedReader(body, [split, .. more.Select(m => split + m)]), Boundary);
            Assert.That(parts.Single().Content, Is.EqualTo(Convert.ToHexString(data)), $"split at {split}");
        }
    }

    [Test]
    public async Task ParseAsync_RandomBase64_DecodesWhateverTheSegmentation([Range(0, 49)] int seed)
    {
        var random = new Random(seed);
        var data = new byte[random.Next(0, 20_000)];
        random.NextBytes(data);
        var body = Body(Sprinkle(data, random));

        var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.TrickleReader(body, random, random.Next(1, 5000)), Boundary);

        Assert.That(parts.Single().Content, Is.EqualTo(Convert.ToHexString(data)));
    }

    /// <summary>
    /// Base64 in lines of <paramref name="lineLength"/> characters ending in CRLF, where every line whose index is in
    /// <paramref name="spacedLines"/> has the same length but carries one space and one tab among its characters.
    /// </summary>
    private static string Lines(byte[] data, int lineLength, Func<int, bool> spacedLines, Random random)
    {
        var encoded = Convert.ToBase64String(data);
        var builder = new StringBuilder();
        for (int at = 0, line = 0; at < encoded.Length; line++)
        {
            var spaced = spacedLines(line);
            var take = Math.Min(spaced ? lineLength - 2 : lineLength, encoded.Length - at);
            var text = encoded.Substring(at, take);
            at += take;
            if (spaced)
            {
                text = text.Insert(random.Next(text.Length + 1), " ");
                text = text.Insert(random.Next(1, text.Length + 1), "\t");
            }

            builder.Append(text).Append("\r\n");
        }

        return builder.ToString();
    }

    [Test]
    public async Task ParseAsync_MimeLinesSplitAtEveryOffset_DecodesTheSameBytes()
    {
        var data = Enumerable.Range(0, 600).Select(i => (byte)(i * 13)).ToArray();
        var body = Body(Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks) + "\r\n");

        await AssertDecodedAtEverySplitAsync(body, data, 1, 78, 200);
    }

    [Test]
    public async Task ParseAsync_LargeMimeLines_DecodeWhateverTheSegmentation([Range(0, 19)] int seed)
    {
        var random = new Random(seed);
        var data = new byte[random.Next(10_000, 60_000)];
        random.NextBytes(data);
        var body = Body(Lines(data, random.Next(1, 30) * 4, _ => false, random));

        var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.TrickleReader(body, random, random.Next(100, 9000)), Boundary);

        Assert.That(parts.Single().Content, Is.EqualTo(Convert.ToHexString(data)));
    }

    [TestCase(5, TestName = "ParseAsync_LinesOfOneLengthWithWhitespaceInside_DecodeTheSameBytes(every 5th line)")]
    [TestCase(1, TestName = "ParseAsync_LinesOfOneLengthWithWhitespaceInside_DecodeTheSameBytes(every line)")]
    [TestCase(97, TestName = "ParseAsync_LinesOfOneLengthWithWhitespaceInside_DecodeTheSameBytes(one late line)")]
    public async Task ParseAsync_LinesOfOneLengthWithWhitespaceInside_DecodeTheSameBytes(int every)
    {
        // Lines with a space and a tab inside have the measured length too: taken whole, they must be collected again.
        for (var seed = 0; seed < 10; seed++)
        {
            var random = new Random(seed);
            var data = new byte[random.Next(5_000, 30_000)];
            random.NextBytes(data);
            var body = Body(Lines(data, 76, line => line > 0 && line % every == 0, random));

            var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.TrickleReader(body, random, random.Next(200, 5000)), Boundary);

            Assert.That(parts.Single().Content, Is.EqualTo(Convert.ToHexString(data)), $"seed {seed}");
        }
    }

    [Test]
    public async Task ParseAsync_WhitespaceAtEachPlaceOfAMeasuredLine_DecodesTheSameBytes([Values(" ", "\t", "\r", "\n")] string whitespace)
    {
        // A line of the measured length with one whitespace byte in it, at every place, is not taken whole.
        var data = Enumerable.Range(0, 57 * 8).Select(i => (byte)(i * 31)).ToArray();
        var encoded = Convert.ToBase64String(data);
        for (var place = 0; place < 76; place++)
        {
            var builder = new StringBuilder();
            for (var line = 0; line < 8; line++)
            {
                var text = encoded.Substring(line * 76, 76);
                builder.Append(line == 4 ? text[..place] + whitespace + text[place..^1] + "\r\n" + text[^1] : text).Append("\r\n");
            }

            var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(Body(builder.ToString()), [4096]), Boundary);

            Assert.That(parts.Single().Content, Is.EqualTo(Convert.ToHexString(data)), $"whitespace at {place}");
        }
    }

    [Test]
    public void ParseAsync_ControlByteAtEachPlaceOfAMeasuredLine_Throws400()
    {
        var data = Enumerable.Range(0, 57 * 8).Select(i => (byte)(i * 31)).ToArray();
        var lines = Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks).Split("\r\n");
        for (var place = 0; place < 76; place++)
        {
            var spoiled = lines.ToArray();
            spoiled[4] = spoiled[4][..place] + "\u0001" + spoiled[4][(place + 1)..];
            var body = Body(string.Join("\r\n", spoiled) + "\r\n");

            var ex = Assert.ThrowsAsync<UploadRejectedException>(
                () => ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, []), Boundary));

            Assert.That(ex!.StatusCode, Is.EqualTo(400), $"control byte at {place}");
            Assert.That(ex.Message, Does.Contain("'f'").And.Contain("base64"));
        }
    }

    [Test]
    public async Task ParseAsync_WhitespaceRunsAcrossSegmentEnds_DecodeTheSameBytes()
    {
        // Runs of 1 to 40 whitespace bytes between MIME lines, the body cut at every offset and again a little later.
        var data = Enumerable.Range(0, 57 * 12).Select(i => (byte)(i * 29)).ToArray();
        var lines = Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks).Split("\r\n");
        var builder = new StringBuilder();
        for (var line = 0; line < lines.Length; line++)
        {
            builder.Append(lines[line]).Append("\r\n").Append(string.Concat(Enumerable.Repeat(" \t\r\n", line * 3 % 10)));
            builder.Append(" \t"[..(line % 3)]);
        }

        await AssertDecodedAtEverySplitAsync(Body(builder.ToString()), data, 1, 17);
    }

    [TestCase("YQ==", TestName = "ParseAsync_MimeLinesThenDataAfterPadding_Throws400")]
    [TestCase("x", TestName = "ParseAsync_MimeLinesThenTextAfterPadding_Throws400")]
    public void ParseAsync_MimeLinesThenDataAfterPadding_Throws400(string after)
    {
        // 57 × 40 - 1 bytes: 40 whole lines of 76 characters, the last ending in '=', then more text on its own line.
        var encoded = Convert.ToBase64String(new byte[(57 * 40) - 1], Base64FormattingOptions.InsertLineBreaks);
        Assert.That(encoded, Does.EndWith("="));
        var body = Body(encoded + "\r\n" + after + "\r\n");

        foreach (var chunk in new[] { 3, 500, 5000 })
        {
            var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
                ParserHarness.TrickleReader(body, new Random(chunk), chunk), Boundary));
            Assert.That(ex!.StatusCode, Is.EqualTo(400), $"chunks up to {chunk}");
        }
    }

    [Test]
    public void ParseAsync_MimeLineWithNonAlphabetCharacter_Throws400()
    {
        var encoded = Convert.ToBase64String(new byte[57 * 100], Base64FormattingOptions.InsertLineBreaks).ToCharArray();
        encoded[78 * 60 + 10] = '-';
        var body = Body(new string(encoded) + "\r\n");

        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.TrickleReader(body, new Random(5), 4096), Boundary));

        Assert.That(ex!.StatusCode, Is.EqualTo(400));
        Assert.That(ex.Message, Does.Contain("'f'"));
    }

    [Test]
    public async Task ParseAsync_Base64Field_IsDecodedText()
    {
        var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(Body("aMOpbGxv\r\n", file: false), [60, 61]), Boundary);

        Assert.That(parts.Single(), Is.EqualTo(new ParsedPart("f", null, null, Convert.ToHexString("héllo"u8))));
    }

    [TestCase("", TestName = "ParseAsync_Base64Empty_IsEmptyFile")]
    [TestCase(" \r\n\t \r\n", TestName = "ParseAsync_Base64OnlyWhitespace_IsEmptyFile")]
    public async Task ParseAsync_Base64Empty_IsEmptyFile(string encoded)
    {
        var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(Body(encoded), []), Boundary);

        Assert.That(parts.Single().Content, Is.Empty);
    }

    [TestCase("YWJj=", TestName = "ParseAsync_Base64PaddingOnWholeQuantum_Throws400")]
    [TestCase("YQ==YQ==", TestName = "ParseAsync_Base64DataAfterPadding_Throws400")]
    [TestCase("YQ=\r\n=\r\nx", TestName = "ParseAsync_Base64TextAfterSplitPadding_Throws400")]
    [TestCase("YQ===", TestName = "ParseAsync_Base64ExtraPadding_Throws400")]
    [TestCase("YWJ", TestName = "ParseAsync_Base64Leftover_Throws400")]
    [TestCase("YW\u00e9j", TestName = "ParseAsync_Base64NonAlphabet_Throws400")]
    [TestCase("Y-Jj", TestName = "ParseAsync_Base64UrlAlphabet_Throws400")]
    public void ParseAsync_InvalidBase64_Throws400NamingThePart(string encoded)
    {
        var body = Body(encoded);
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.TrickleReader(body, new Random(2), 3), Boundary));

        Assert.That(ex!.StatusCode, Is.EqualTo(400));
        Assert.That(ex.Message, Does.Contain("'f'"));
    }

    [Test]
    public void ParseAsync_ManyPaddingCharacters_Throws400()
    {
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.SegmentedReader(Body("YQ" + new string('=', 10_000)), []), Boundary));

        Assert.That(ex!.StatusCode, Is.EqualTo(400));
    }

    [Test]
    public void ParseAsync_Base64Field_CountsDecodedBytesAgainstMaxFieldsSize()
    {
        // 1,336 base64 characters carry 1,000 bytes: over a 999-byte limit, under a 1,336-byte one.
        var body = Body(Convert.ToBase64String(new byte[1000]), file: false);
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() =>
            ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, []), Boundary, new UploadOptions { MaxFieldsSize = 999 }));
        Assert.That(ex!.StatusCode, Is.EqualTo(413));

        Assert.DoesNotThrowAsync(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.SegmentedReader(body, []), Boundary, new UploadOptions { MaxFieldsSize = 1001 }));
    }
}
