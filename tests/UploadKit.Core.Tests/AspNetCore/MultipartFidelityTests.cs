using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UploadKit.Testing;

namespace UploadKit.Tests.AspNetCore;

/// <summary>What an endpoint saw of one file, parameters included.</summary>
public sealed record PartReport(
    string Field, string Name, string Type, string? Charset, Dictionary<string, string> Parameters, long Length, string Sha256);

/// <summary>What an endpoint saw of a form.</summary>
public sealed record FidelityReport(Dictionary<string, string[]> Fields, List<PartReport> Files);

/// <summary>
/// Every part of a well-formed body is delivered under the name the client meant, or the request is refused with a
/// problem that names the part: the defects of issue 12, each over HTTP.
/// </summary>
public class MultipartFidelityTests : TempDirectoryTests
{
    private Task<TestApp> StartAsync(Action<UploadOptions>? configure = null) =>
        UploadApp.StartAsync(Temp, app => app.MapPost("/upload", (UploadForm form) => DescribeAsync(form)), configure);

    private static async Task<FidelityReport> DescribeAsync(UploadForm form)
    {
        var files = new List<PartReport>();
        foreach (var file in form.Files)
        {
            await using var stream = file.OpenReadStream();
            var hash = await Sha256HexAsync(stream);
            files.Add(new PartReport(
                file.FieldName, file.FileName, file.ContentType, file.Charset, file.ContentTypeParameters.ToDictionary(), file.Length, hash));
        }

        return new FidelityReport(form.Fields.ToDictionary(f => f.Key, f => f.Value.Select(v => v ?? string.Empty).ToArray()), files);
    }

    private static async Task<FidelityReport> PostOkAsync(TestApp app, MultipartBodyBuilder body)
    {
        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<FidelityReport>())!;
    }

    private static async Task<string> PostRefusedAsync(TestApp app, MultipartBodyBuilder body, HttpStatusCode status) =>
        (await PostRefusedProblemAsync(app, body, status)).GetProperty("detail").GetString()!;

    private static async Task<JsonElement> PostRefusedProblemAsync(TestApp app, MultipartBodyBuilder body, HttpStatusCode status)
    {
        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        Assert.That(response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/problem+json"));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    // 1. filename* as a quoted string made the part vanish (neither file nor field) with a 200.
    [Test]
    public async Task UploadForm_QuotedFileNameStar_IsDecoded()
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder()
            .AddPart("Content-Disposition: form-data; name=\"f\"; filename*=\"UTF-8''na%C3%AFve.txt\"\r\n", "abc"u8.ToArray());

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Single().Name, Is.EqualTo("naïve.txt"));
        Assert.That(report.Files.Single().Field, Is.EqualTo("f"));
    }

    [Test]
    public async Task UploadForm_FileNameStarAndPlain_StarWins()
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder().AddPart(
            "Content-Disposition: form-data; name=\"f\"; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt\r\n", "abc"u8.ToArray());

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Single().Name, Is.EqualTo("€ rates.txt"));
    }

    // 2. name*=UTF-8''… was ignored: the file landed under the field name "".
    [Test]
    public async Task UploadForm_NameStar_IsTheFieldName()
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder()
            .AddPart("Content-Disposition: form-data; name*=UTF-8''f%C3%A9ld; filename=\"a.txt\"\r\n", "abc"u8.ToArray())
            .AddPart("Content-Disposition: form-data; name*=\"UTF-8''t%C3%AEtle\"\r\n", "v"u8.ToArray());

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Single().Field, Is.EqualTo("féld"));
        Assert.That(report.Fields["tîtle"], Is.EqualTo(new[] { "v" }));
    }

    // 3. Quoted-pair escapes were kept: filename="a\"b.txt" became "b.txt (the backslash taken as a path separator).
    [Test]
    public async Task UploadForm_QuotedPairs_AreUndone()
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder()
            .AddPart("Content-Disposition: form-data; name=\"a\\\"b\"; filename=\"a\\\"b.txt\"\r\n", "abc"u8.ToArray())
            .AddPart("Content-Disposition: form-data; name=\"x\\\\y\"\r\n", "v"u8.ToArray());

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Single().Name, Is.EqualTo("a\"b.txt"));
        Assert.That(report.Files.Single().Field, Is.EqualTo("a\"b"));
        Assert.That(report.Fields.Keys, Is.EqualTo(new[] { "x\\y" }));
    }

    // 4. Content-Transfer-Encoding: base64 parts were stored as their base64 text.
    [TestCase(false, TestName = "UploadForm_Base64File_IsDecoded")]
    [TestCase(true, TestName = "UploadForm_Base64File_Chunked_IsDecoded")]
    public async Task UploadForm_Base64File_IsDecoded(bool chunked)
    {
        await using var app = await StartAsync(o => o.MemoryBufferThreshold = 100_000);
        var data = RandomBytes(600 * 1024, 7);
        var encoded = Encoding.ASCII.GetBytes(Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks));
        var body = new MultipartBodyBuilder()
            .AddPart("Content-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n", encoded)
            .AddPart(
                "Content-Disposition: form-data; name=\"t\"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: BASE64\r\n",
                Encoding.ASCII.GetBytes(Convert.ToBase64String("héllo wörld"u8)));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body, chunked));
        var report = (await response.Content.ReadFromJsonAsync<FidelityReport>())!;

        Assert.That(report.Files.Single().Length, Is.EqualTo(data.Length), "the decoded length, not the encoded one");
        Assert.That(report.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
        Assert.That(report.Fields["t"], Is.EqualTo(new[] { "héllo wörld" }));
        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task UploadForm_Base64SizeLimit_SeesDecodedBytes()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => DescribeAsync(form)).WithFileValidators("f", FileValidators.MaxSize(3000)));
        var fits = new MultipartBodyBuilder().AddPart(
            "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n",
            Encoding.ASCII.GetBytes(Convert.ToBase64String(new byte[3000])));

        // 4,000 base64 characters carry 3,000 bytes: the limit applies to those.
        var report = await PostOkAsync(app, fits);
        Assert.That(report.Files.Single().Length, Is.EqualTo(3000));

        var over = new MultipartBodyBuilder().AddPart(
            "Content-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n",
            Encoding.ASCII.GetBytes(Convert.ToBase64String(new byte[3003])));
        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(over));
        Assert.That((int)response.StatusCode, Is.InRange(400, 413));
        Assert.That(Directory.GetFiles(Temp), Is.Empty);
    }

    [TestCase("YWJj=x", TestName = "UploadForm_Base64TextAfterPadding_Is400")]
    [TestCase("YWJjZ", TestName = "UploadForm_Base64LeftoverCharacter_Is400")]
    [TestCase("YW*j", TestName = "UploadForm_Base64InvalidCharacter_Is400")]
    public async Task UploadForm_InvalidBase64_Is400NamingThePart(string content)
    {
        await using var app = await StartAsync(o => o.MemoryBufferThreshold = 0);
        var body = new MultipartBodyBuilder()
            .AddFile("first", "ok.bin", RandomBytes(5000))
            .AddPart(
                "Content-Disposition: form-data; name=\"scan\"; filename=\"b.bin\"\r\nContent-Transfer-Encoding: base64\r\n",
                Encoding.ASCII.GetBytes(content));

        var detail = await PostRefusedAsync(app, body, HttpStatusCode.BadRequest);

        Assert.That(detail, Does.Contain("'scan'").And.Contain("base64"));
        Assert.That(Directory.GetFiles(Temp), Is.Empty, "the file read before the bad part is deleted");
    }

    [TestCase("quoted-printable", TestName = "UploadForm_QuotedPrintablePart_Is400")]
    [TestCase("x-uuencode", TestName = "UploadForm_UnknownTransferEncoding_Is400")]
    public async Task UploadForm_UnsupportedTransferEncoding_Is400(string encoding)
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder().AddPart(
            $"Content-Disposition: form-data; name=\"q\"; filename=\"q.txt\"\r\nContent-Transfer-Encoding: {encoding}\r\n", "a=3Db"u8.ToArray());

        var detail = await PostRefusedAsync(app, body, HttpStatusCode.BadRequest);

        Assert.That(detail, Does.Contain("'q'").And.Contain(encoding));
    }

    [TestCase("binary")]
    [TestCase("8bit")]
    [TestCase("7BIT")]
    public async Task UploadForm_IdentityTransferEncodings_PassThrough(string encoding)
    {
        await using var app = await StartAsync();
        var data = RandomBytes(2000);
        var body = new MultipartBodyBuilder()
            .AddPart($"Content-Disposition: form-data; name=\"f\"; filename=\"f.bin\"\r\nContent-Transfer-Encoding: {encoding}\r\n", data);

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Single().Sha256, Is.EqualTo(Sha256Hex(data)));
    }

    // 5. A multipart/form-data request with Content-Length: 0 got 400.
    [TestCase(false, TestName = "UploadForm_EmptyBody_ContentLengthZero_IsEmptyForm")]
    [TestCase(true, TestName = "UploadForm_EmptyBody_Chunked_IsEmptyForm")]
    public async Task UploadForm_EmptyBody_IsEmptyForm(bool chunked)
    {
        await using var app = await StartAsync();
        HttpContent content = chunked ? new UploadApp.UnknownLengthContent([]) : new ByteArrayContent([]);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");

        var response = await app.Client.PostAsync("/upload", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var report = await response.Content.ReadFromJsonAsync<FidelityReport>();
        Assert.That(report!.Fields, Is.Empty);
        Assert.That(report.Files, Is.Empty);
    }

    // 6. File parts whose name is empty or sanitises to nothing were counted by no limit: a million read, then 200.
    [Test]
    public async Task UploadForm_UnusableFileNames_CountAgainstMaxFileCount()
    {
        await using var app = await StartAsync(o => o.MaxFileCount = 5);
        var body = new MultipartBodyBuilder();
        foreach (var name in new[] { "", "/", "..", "\u0001", "", "/", "" })
        {
            body.AddPart($"Content-Disposition: form-data; name=\"f\"; filename=\"{name}\"\r\n", []);
        }

        var problem = await PostRefusedProblemAsync(app, body, HttpStatusCode.RequestEntityTooLarge);

        Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("more than 5 files"));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("MaxFileCount"));
    }

    [Test]
    public async Task UploadForm_UnusableFileNamesWithinTheLimit_AreIgnored()
    {
        await using var app = await StartAsync(o => o.MaxFileCount = 3);
        var body = new MultipartBodyBuilder()
            .AddPart("Content-Disposition: form-data; name=\"f\"; filename=\"\"\r\n", [])
            .AddFile("f", "real.txt", "abc"u8.ToArray());

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Select(f => f.Name), Is.EqualTo(new[] { "real.txt" }), "a browser's empty file input sends no file");
    }

    // Django's test_blank_filenames: names blank before or after sanitising are ignored, the request still succeeds.
    [Test]
    public async Task UploadForm_BlankFileNamesAsDjangoTestsThem_AreIgnoredAndTheRestKept()
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder();
        var names = new[] { "", "C:\\Windows\\", "/", "ends-with-slash/" };   // on the wire as Django sends them: C:\Windows\ unescaped
        for (var i = 0; i < names.Length; i++)
        {
            body.AddPart($"Content-Disposition: form-data; name=\"file{i}\"; filename=\"{names[i]}\"\r\n", "data"u8.ToArray());
        }

        body.AddFile("kept", "real.txt", "abc"u8.ToArray());

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Select(f => f.Name), Is.EqualTo(new[] { "real.txt" }));
        Assert.That(report.Fields, Is.Empty, "a file part with a blank name does not turn into a field");
    }

    // 7. The limit on headers per part was a hard-coded 16: not an option, not documented.
    [Test]
    public async Task UploadForm_MaxPartHeaderCount_IsAnOption()
    {
        var headers = "Content-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n" +
            string.Concat(Enumerable.Range(0, 19).Select(i => $"X-Extra-{i}: {i}\r\n"));
        var body = new MultipartBodyBuilder().AddPart(headers, "abc"u8.ToArray());

        await using (var strict = await StartAsync())
        {
            var problem = await PostRefusedProblemAsync(strict, body, HttpStatusCode.RequestEntityTooLarge);
            Assert.That(problem.GetProperty("detail").GetString(), Does.Contain("more than 16 headers"));
            Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("MaxPartHeaderCount"));
        }

        await using var lenient = await StartAsync(o => o.MaxPartHeaderCount = 20);
        var report = await PostOkAsync(lenient, body);
        Assert.That(report.Files.Single().Name, Is.EqualTo("a.txt"));
    }

    [Test]
    public async Task AddUploadKit_Configuration_BindsMaxPartHeaderCount()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["MaxPartHeaderCount"] = "40" })
            .Build();
        await using var provider = new ServiceCollection().AddUploadKit(configuration).Services.BuildServiceProvider();

        Assert.That(provider.GetRequiredService<IOptions<UploadOptions>>().Value.MaxPartHeaderCount, Is.EqualTo(40));
        Assert.That(new UploadOptions().MaxPartHeaderCount, Is.EqualTo(UploadOptions.DefaultMaxPartHeaderCount).And.EqualTo(16));
    }

    // 8. A file name sent as raw Latin-1 bytes failed the whole request with 400.
    [Test]
    public async Task UploadForm_Latin1FileNameBytes_AreRead()
    {
        await using var app = await StartAsync();
        var headers = Encoding.Latin1.GetBytes("Content-Disposition: form-data; name=\"f\"; filename=\"café déjà.txt\"\r\n");
        var body = new MultipartBodyBuilder().AddPart(headers, "abc"u8.ToArray()).AddField("note", "ünïcode");

        var report = await PostOkAsync(app, body);

        Assert.That(report.Files.Single().Name, Is.EqualTo("café déjà.txt"));
        Assert.That(report.Fields["note"], Is.EqualTo(new[] { "ünïcode" }));
    }

    // 9. ContentTypeParameters left out charset, which Django's content_type_extra holds.
    [Test]
    public async Task UploadForm_ContentTypeParameters_IncludeCharset()
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder().AddPart(
            "Content-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: text/plain; charset=\"ISO-8859-1\"; format=flowed\r\n",
            "abc"u8.ToArray());

        var file = (await PostOkAsync(app, body)).Files.Single();

        Assert.That(file.Charset, Is.EqualTo("ISO-8859-1"));
        Assert.That(file.Parameters, Is.EqualTo(new Dictionary<string, string> { ["charset"] = "ISO-8859-1", ["format"] = "flowed" }));
    }

    // The nested multipart/mixed of RFC 2388 would deliver its files as one field's text: refused, naming the part.
    [Test]
    public async Task UploadForm_NestedMultipartMixed_Is400NamingThePart()
    {
        await using var app = await StartAsync();
        var body = new MultipartBodyBuilder().AddPart(
            "Content-Disposition: form-data; name=\"files\"\r\nContent-Type: multipart/mixed; boundary=inner\r\n",
            "--inner\r\nContent-Disposition: file; filename=\"a.txt\"\r\n\r\nabc\r\n--inner--"u8.ToArray());

        var detail = await PostRefusedAsync(app, body, HttpStatusCode.BadRequest);

        Assert.That(detail, Does.Contain("'files'").And.Contain("multipart/mixed"));
    }
}
