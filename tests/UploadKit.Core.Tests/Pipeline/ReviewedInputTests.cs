using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Pipeline;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Pipeline;

/// <summary>Client inputs that once reached the app as server errors, or slipped past a limit.</summary>
public class ReviewedInputTests : TempDirectoryTests
{
    [TestCase("\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--")]
    [TestCase("hello preamble\r\n--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--")]
    public async Task ParseAsync_PreambleThroughARealPipe_IsSkipped(string text)
    {
        var body = Encoding.ASCII.GetBytes(text);
        var parts = await ParserHarness.ParseWithOursAsync(ParserHarness.TrickleReader(body, new Random(1), 7), "b");
        Assert.That(parts.Single().Name, Is.EqualTo("a"));
    }

    [Test]
    public async Task UploadForm_Utf7CharsetAndFileNames_NeverAServerError()
    {
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)));
        var body = new MultipartBodyBuilder()
            .AddPart("Content-Disposition: form-data; name=\"t\"\r\nContent-Type: text/plain; charset=utf-7\r\n", "plain"u8.ToArray())
            .AddPart("Content-Disposition: form-data; name=\"f\"; filename*=utf-7''x.txt\r\n", [1, 2])
            .AddPart("Content-Disposition: form-data; name=\"g\"; filename=\"=?utf-7?B?YWJj?=\"\r\n", [3])
            .AddPart("Content-Disposition: form-data; name=\"h\"; filename*=x-unknown''a.bin\r\n", new byte[5000]);

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var report = await response.Content.ReadFromJsonAsync<FormReport>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(report!.Fields.Keys, Is.EqualTo(new[] { "t" }), "undecodable file names are files read past, never fields");
        Assert.That(report.Fields["t"], Is.EqualTo(new[] { "plain" }));
    }

    [Test]
    public void ParseAsync_LongFieldNamesWithEmptyValues_CountTowardMaxFieldsSize()
    {
        var builder = new MultipartBodyBuilder("b");
        for (var i = 0; i < 50; i++)
        {
            builder.AddField(new string('n', 1000) + i, string.Empty);
        }

        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => ParserHarness.ParseWithOursAsync(
            ParserHarness.SegmentedReader(builder.Build(), []), "b", new UploadOptions { MaxFieldsSize = 1000 }));
        Assert.That(ex!.StatusCode, Is.EqualTo(413));
    }

    [Test]
    public async Task UrlEncodedForm_ChunkedOverLimit_Answers413AsItArrives()
    {
        await using var app = await UploadApp.StartAsync(
            Temp, a => a.MapPost("/upload", (UploadForm form) => Results.Ok()), o => o.MaxFieldsSize = 10_000);
        var content = new UploadApp.UnknownLengthContent(Encoding.ASCII.GetBytes("a=" + new string('x', 100_000)));
        content.Headers.ContentType = new("application/x-www-form-urlencoded");

        var response = await app.Client.PostAsync("/upload", content);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("The form's fields are larger than 9.8 KiB."));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("MaxFieldsSize"));
    }

    [Test]
    public async Task UrlEncodedForm_TooManyFields_Answers413NamingTheLimit()
    {
        await using var app = await UploadApp.StartAsync(
            Temp, a => a.MapPost("/upload", (UploadForm form) => Results.Ok()), o => o.MaxFieldCount = 3);

        var response = await app.Client.PostAsync("/upload", new FormUrlEncodedContent([new("a", "1"), new("b", "2"), new("c", "3"), new("d", "4")]));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("The form has more than 3 fields."));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo("MaxFieldCount"));
    }

    [Test]
    public async Task RawBody_FileHeaders_DoNotCarryTheRequestsCredentials()
    {
        IHeaderDictionary? seen = null;
        await using var app = await UploadApp.StartAsync(Temp, a => a.MapPost("/upload/{filename}", (UploadForm form) =>
        {
            seen = form.Files.Single().Headers;
            return Results.Ok();
        }));
        var request = new HttpRequestMessage(HttpMethod.Post, "/upload/a.bin") { Content = new ByteArrayContent([1]) };
        request.Content.Headers.ContentType = new("application/octet-stream");
        request.Headers.Add("Cookie", "session=secret");
        request.Headers.Add("Authorization", "Bearer secret");

        await app.Client.SendAsync(request);

        Assert.That(seen, Is.Not.Null);
        Assert.That(seen!.ContainsKey("Cookie") || seen.ContainsKey("Authorization"), Is.False);
        Assert.That(seen.ContentType.ToString(), Is.EqualTo("application/octet-stream"));
    }

    [Test]
    public async Task SaveAsync_NameAStorageRefuses_Answers400NotA500()
    {
        await using var app = await TestApp.StartAsync(
            s => s.AddUploadKit().AddStorage("default", _ => new InMemoryStorage()),
            a => a.MapPost("/upload/{filename}", async (string filename, UploadForm form, IStorageRegistry storages) =>
                Results.Ok(await form.Files.GetRequired("file").SaveAsync(storages.Default, FileStorageNames.GetValidName(filename)))));
        var content = new ByteArrayContent([1]);
        content.Headers.ContentType = new("application/octet-stream");

        var response = await app.Client.PostAsync("/upload/%F0%9F%98%80", content);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        // The reader refuses a name from which no storage name can be derived, naming the part, before the endpoint runs.
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("errors").TryGetProperty("file", out _), Is.True, problem.ToString());
    }

    [Test]
    public void Sanitize_LongMultiByteName_FitsIn255Utf8BytesKeepingExtension()
    {
        var name = FileNameSanitizer.Sanitize(new string('é', 200) + ".jpeg")!;

        Assert.That(Encoding.UTF8.GetByteCount(name), Is.LessThanOrEqualTo(255));
        Assert.That(name, Does.EndWith("é.jpeg"));
        Assert.That(FileStorageNames.Validate(name), Is.EqualTo(name), "a sanitised name is always a valid storage name");
    }
}
