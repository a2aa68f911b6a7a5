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

        for (var split = 1; split < body.Length; split++)
        {
            var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.SegmentedReader(body, [split, split + 1, split + 5]), Boundary);
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
