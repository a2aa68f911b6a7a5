using System.Net;
using Microsoft.AspNetCore.Builder;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Storage;

/// <summary>The content type and disposition an upload is stored with come from the server, over HTTP as in unit.</summary>
public class StoredContentTypeTests : TempDirectoryTests
{
    private static readonly byte[] Png = [
        0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R', 0, 0, 0, 1];

    [TestCase(false, "x.mp3", "audio/mpeg", null, TestName = "SaveAsync_OverHttp_PartDeclaredHtmlNamedMp3_StoredAsAudioMpeg")]
    [TestCase(false, "x.dat", "image/png", null, TestName = "SaveAsync_OverHttp_UnknownExtension_StoredWithTheSignaturesType")]
    [TestCase(false, "x.html", "text/html", "attachment", TestName = "SaveAsync_OverHttp_HtmlUpload_StoredAsAttachment")]
    [TestCase(true, "x.mp3", "text/html", "attachment", TestName = "SaveAsync_OverHttp_EndpointTrustsClientTypes_StoresTheDeclaredTypeAsAttachment")]
    public async Task SaveAsync_OverHttp_StoresTheServersType(bool trustClient, string fileName, string storedType, string? storedDisposition)
    {
        var storage = new InMemoryStorage();
        await using var app = await UploadApp.StartAsync(Temp, a =>
        {
            var endpoint = a.MapPost("/upload", async (UploadForm form) => await form.Files.GetRequired("file").SaveAsync(storage, fileName));
            if (trustClient)
            {
                endpoint.WithUploadLimits(o => o.StoreClientContentType = true);
            }
        });

        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", fileName, Png, "text/html")));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var info = await storage.GetMetadataAsync(fileName);
        Assert.That(info!.ContentType, Is.EqualTo(storedType));
        Assert.That(info.ContentDisposition, Is.EqualTo(storedDisposition));
    }

    [TestCase("x.mp3", "audio/mpeg", null, TestName = "StorageStreamingHandler_OverHttp_PartDeclaredHtmlNamedMp3_StoredAsAudioMpeg")]
    [TestCase("x.svg", "image/svg+xml", "attachment", TestName = "StorageStreamingHandler_OverHttp_SvgUpload_StoredAsAttachment")]
    public async Task StorageStreamingHandler_OverHttp_StoresTheServersType(string fileName, string storedType, string? storedDisposition)
    {
        var storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Path.Combine(Temp, "media") });
        await using var app = await UploadApp.StartAsync(Temp, a => a
            .MapPost("/upload", (UploadForm form) =>
            {
                var file = (StoredUploadedFile)form.Files.GetRequired("file");
                file.Keep();
                return file.StoredName;
            })
            .WithUploadHandlers(_ => new StorageStreamingHandler(storage)));

        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", fileName, StoredContentScenarios.ScriptPage, "text/html")));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var info = await storage.GetMetadataAsync(fileName);
        Assert.That(info!.ContentType, Is.EqualTo(storedType));
        Assert.That(info.ContentDisposition, Is.EqualTo(storedDisposition));
    }

    [TestCase("text/html", true)]
    [TestCase("TEXT/HTML; charset=utf-8", true)]
    [TestCase("application/xhtml+xml", true)]
    [TestCase("image/svg+xml", true)]
    [TestCase("text/xml", true)]
    [TestCase("application/xml", true)]
    [TestCase("application/rss+xml", true)]
    [TestCase("text/javascript", true)]
    [TestCase("application/javascript", true)]
    [TestCase("application/ecmascript", true)]
    [TestCase("text/xsl", true)]
    [TestCase("audio/mpeg", false)]
    [TestCase("image/png", false)]
    [TestCase("text/plain", false)]
    [TestCase("application/octet-stream", false)]
    [TestCase("", false)]
    [TestCase(null, false)]
    public void IsActiveContent_MediaType_TellsWhetherABrowserWouldRunIt(string? contentType, bool active) =>
        Assert.That(StoredContentTypes.IsActiveContent(contentType), Is.EqualTo(active));

    [Test]
    public void GetContentDisposition_SaveOptionWinsOverStorageDefaultWhichWinsOverTheRule()
    {
        Assert.That(
            StoredContentTypes.GetContentDisposition("text/html", new FileSaveOptions { ContentDisposition = "inline" }, "attachment; filename=x"),
            Is.EqualTo("inline"));
        Assert.That(
            StoredContentTypes.GetContentDisposition("text/html", null, "inline"),
            Is.EqualTo("inline"),
            "a storage configured inline opts in for all its objects");
        Assert.That(StoredContentTypes.GetContentDisposition("text/html", null), Is.EqualTo("attachment"));
        Assert.That(StoredContentTypes.GetContentDisposition("audio/mpeg", null), Is.Null);
    }

    [Test]
    public void GetContentType_NoTypeGiven_TakesTheNamesOrOctetStream()
    {
        Assert.That(StoredContentTypes.GetContentType("a/b/song.mp3", null), Is.EqualTo("audio/mpeg"));
        Assert.That(StoredContentTypes.GetContentType("a/b/blob", new FileSaveOptions()), Is.EqualTo("application/octet-stream"));
        Assert.That(
            StoredContentTypes.GetContentType("song.mp3", new FileSaveOptions { ContentType = "audio/x-custom" }),
            Is.EqualTo("audio/x-custom"),
            "what the app passes");
    }
}
