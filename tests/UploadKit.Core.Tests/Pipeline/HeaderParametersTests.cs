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
