using Microsoft.Net.Http.Headers;
using UploadKit.Pipeline;

namespace UploadKit.Tests.Pipeline;

/// <summary>
/// Parameter decoding, checked on the published examples: MultipartReader cannot be the oracle here, since it shares
/// the header parsers that stop short (its FileNameStar cannot read a quoted value).
/// </summary>
public class HeaderParametersTests
{
    // RFC 8187 §3.2.3 (and RFC 5987 §3.2.2 before it): "foo: bar; title=…".
    [TestCase("title=Economy", "Economy")]
    [TestCase("title=\"US-$ rates\"", "US-$ rates")]
    [TestCase("title*=iso-8859-1'en'%A3%20rates", "£ rates")]
    [TestCase("title*=UTF-8''%c2%a3%20and%20%e2%82%ac%20rates", "£ and € rates")]
    // RFC 2231 §4: "Content-Type: application/x-stuff; title*=…".
    [TestCase("title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A", "This is ***fun***")]
    public void Get_PublishedExamples_Decode(string parameters, string expected)
    {
        Assert.That(MediaTypeHeaderValue.TryParse("application/x-stuff; " + parameters, out var parsed), Is.True);

        Assert.That(HeaderParameters.Get(parsed!.Parameters, "title"), Is.EqualTo(expected));
    }

    [TestCase("form-data; name=\"f\"; filename*=\"UTF-8''na%C3%AFve.txt\"", "f", "naïve.txt")]
    [TestCase("form-data; name=f; filename=plain.txt; filename*=UTF-8''%E2%82%AC.txt", "f", "€.txt")]
    [TestCase("form-data; filename*=UTF-8''%E2%82%AC.txt; filename=plain.txt; name=f", "f", "€.txt")]
    [TestCase("form-data; name*=UTF-8''f%C3%A9ld; name=\"plain\"; filename=\"a.txt\"", "féld", "a.txt")]
    [TestCase("form-data; name=\"a\\\"b\"; filename=\"a\\\"b\\\\c.txt\"", "a\"b", "a\"b\\c.txt")]
    [TestCase("form-data; name=\"f\"; filename=\"C:\\dir\\a.txt\"", "f", "C:\\dir\\a.txt")]
    [TestCase("FORM-DATA; NAME=\"f\"; FILENAME*=ISO-8859-1'fr'caf%E9.txt", "f", "café.txt")]
    [TestCase("form-data; name=\"f\"; filename*=UTF-8''caf%E9.txt", "f", "café.txt")]
    [TestCase("form-data; name=\"f\"; filename*=UTF-7''%2B.txt; filename=fallback.txt", "f", "fallback.txt")]
    [TestCase("form-data; name=\"f\"; filename*=UTF-8''bad%2.txt; filename=fallback.txt", "f", "fallback.txt")]
    [TestCase("form-data; name=\"f\"; filename*=no-apostrophes", "f", null)]
    [TestCase("form-data; name=\"f\"; filename=\"\"", "f", "")]
    public void TryParseFormData_Parameters_AreDecoded(string header, string name, string? fileName)
    {
        Assert.That(HeaderParameters.TryParseFormData(header, out var disposition), Is.True);

        Assert.That(disposition.Name, Is.EqualTo(name));
        Assert.That(disposition.IsFile, Is.True, "a filename or filename* parameter makes a file, decodable or not");
        Assert.That(disposition.FileName, Is.EqualTo(fileName));
    }

    [Test]
    public void TryParseFormData_NoFileName_IsAField()
    {
        Assert.That(HeaderParameters.TryParseFormData("form-data; name=\"title\"", out var disposition), Is.True);
        Assert.That(disposition, Is.EqualTo(new FormDataDisposition("title", false, null)));
    }

    [TestCase("attachment; filename=a.txt")]
    [TestCase("form-data; name=\"unterminated")]
    [TestCase("")]
    [TestCase(null)]
    public void TryParseFormData_NotFormData_IsFalse(string? header) =>
        Assert.That(HeaderParameters.TryParseFormData(header, out _), Is.False);

    // Taken by the direct read of the common shape.
    [TestCase("form-data; name=\"f\"", true)]
    [TestCase("form-data; name=\"\"", true)]
    [TestCase("form-data; name=\"f\"; filename=\"a.txt\"", true)]
    [TestCase("form-data; name=\"f\"; filename=\"\"", true)]
    [TestCase("FORM-DATA; NAME=\"f\"; FILENAME=\"A.TXT\"", true)]
    [TestCase("form-data; name=\"a;b=c d\"; filename=\"x; filename=y\"", true)]
    [TestCase("form-data; name=\"f\"; filename=\"/\"", true)]
    // Left to the general parser: quoted pairs, * parameters, duplicates, odd spacing, trailing ';', tokens, other text.
    [TestCase("form-data; name=\"a\\\"b\"; filename=\"a\\\"b.txt\"", false)]
    [TestCase("form-data; name=\"f\"; filename=\"C:\\dir\\a.txt\"", false)]
    [TestCase("form-data; name*=UTF-8''f%C3%A9ld; name=\"plain\"", false)]
    [TestCase("form-data; name=\"f\"; filename*=UTF-8''na%C3%AFve.txt", false)]
    [TestCase("form-data; name=\"f\"; filename=\"a.txt\"; filename*=\"UTF-8''b.txt\"", false)]
    [TestCase("form-data; name=\"f\"; name=\"g\"", false)]
    [TestCase("form-data; name=\"f\"; filename=\"a\"; filename=\"b\"", false)]
    [TestCase("form-data; name=\"f\"; filename=\"a\"; name=\"g\"", false)]
    [TestCase("form-data;name=\"f\"", false)]
    [TestCase("form-data;  name=\"f\"", false)]
    [TestCase("form-data ; name=\"f\"", false)]
    [TestCase("form-data; name = \"f\"", false)]
    [TestCase("form-data; name=\"f\";filename=\"a\"", false)]
    [TestCase("form-data; name=\"f\"; filename=\"a\" ", false)]
    [TestCase("form-data; name=\"f\";", false)]
    [TestCase("form-data; name=\"f\"; filename=\"a\";", false)]
    [TestCase("form-data; name=f; filename=a.txt", false)]
    [TestCase("form-data; filename=\"a.txt\"; name=\"f\"", false)]
    [TestCase("form-data; name=\"caf\u00e9\"; filename=\"\u20ac.txt\"", false)]
    [TestCase("form-data; name=\"a\tb\"", false)]
    [TestCase("form-data; name=\"f\"x", false)]
    [TestCase("form-data; name=\"f\"; filename=\"a", false)]
    [TestCase("form-data; name=\"f\"; filename=\"a\"\"", false)]
    [TestCase("form-data; name=\"unterminated", false)]
    [TestCase("form-datax; name=\"f\"", false)]
    [TestCase("attachment; name=\"f\"; filename=\"a.txt\"", false)]
    public void TryParseFormData_TrickyHeaders_AnswerAsTheGeneralParser(string header, bool common) =>
        Assert.That(AssertAnswersAsTheGeneralParser(header), Is.EqualTo(common), "taken by the direct read");

    /// <summary>Checks <paramref name="header"/> gets the general parser's answer; returns whether the direct read took it.</summary>
    private static bool AssertAnswersAsTheGeneralParser(string header)
    {
        var general = HeaderParameters.TryParseAnyFormData(header, out var expected);
        var common = HeaderParameters.TryParseCommonFormData(header, out var direct);
        if (common)
        {
            Assert.That(general, Is.True, header);
            Assert.That(direct, Is.EqualTo(expected), header);
        }

        Assert.That(HeaderParameters.TryParseFormData(header, out var disposition), Is.EqualTo(general), header);
        Assert.That(disposition, Is.EqualTo(expected), header);
        return common;
    }

    [Test]
    public void TryParseFormData_RandomHeaders_AnswerAsTheGeneralParser()
    {
        // Headers near the common shape, changed a little at random: every answer is the general parser's.
        string[] pieces = ["form-data", "FORM-data", "; ", ";", "  ", " ", "name", "NAME", "name*", "filename", "FileName", "filename*", "=", "\"",
            "\\", "a", "b.txt", "é", "%41", "UTF-8''", "\t", "\u0001", "~", "\u007f"];
        var random = new Random(12);
        var direct = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var header = random.Next(3) == 0
                ? string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => pieces[random.Next(pieces.Length)]))
                : Mutate($"form-data; name=\"{Word(random)}\"" + (random.Next(2) == 0 ? $"; filename=\"{Word(random)}\"" : ""), pieces, random);

            if (AssertAnswersAsTheGeneralParser(header))
            {
                direct++;
            }
        }

        Assert.That(direct, Is.GreaterThan(1000), "the direct read was tried on the common shape");
    }

    private const string WordCharacters = "ab.;= /\\\"\u00e9\t~";

    private static string Word(Random random) =>
        new([.. Enumerable.Range(0, random.Next(0, 6)).Select(_ => WordCharacters[random.Next(WordCharacters.Length)])]);

    private static string Mutate(string header, string[] pieces, Random random)
    {
        var count = random.Next(0, 3);
        for (var i = 0; i < count; i++)
        {
            var at = random.Next(header.Length + 1);
            header = random.Next(2) == 0 && at < header.Length
                ? header.Remove(at, 1)
                : header.Insert(at, pieces[random.Next(pieces.Length)]);
        }

        return header;
    }

    [TestCase("\"\"", "")]
    [TestCase("\"a\\\\b\\\"c\"", "a\\b\"c")]
    [TestCase("\"a\\b\"", "a\\b")]
    [TestCase("token", "token")]
    [TestCase("\"", "\"")]
    public void Unquote_QuotedPairs_UndoneOnlyForQuoteAndBackslash(string raw, string expected) =>
        Assert.That(HeaderParameters.Unquote(raw), Is.EqualTo(expected));

    [Test]
    public void DecodeExtValue_InvalidUtf8_FallsBackToLatin1() =>
        Assert.That(HeaderParameters.DecodeExtValue("UTF-8''%FF%E9"), Is.EqualTo("ÿé"));
}
