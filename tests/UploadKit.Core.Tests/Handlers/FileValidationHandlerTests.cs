using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using UploadKit.Tests.Validation;
using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Handlers;

public class FileValidationHandlerTests
{
    private static FileValidationHandler Create(string? field, params IFileValidator[] validators)
    {
        var handler = new FileValidationHandler(field, validators);
        Attach(handlers: handler);
        return handler;
    }

    [Test]
    public async Task ReceiveChunkAsync_ValidChunks_AllocatesNothing()
    {
        var handler = Create("file", FileValidators.MaxSize(1 << 30), FileValidators.MinSize(1), FileValidators.Extensions("mp3"));
        await handler.NewFileAsync(Header(), CancellationToken.None);
        var chunk = new byte[4096];
        await handler.ReceiveChunkAsync(chunk, 0, CancellationToken.None);

        var completed = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i <= 100; i++)
        {
            completed += handler.ReceiveChunkAsync(chunk, i * 4096L, CancellationToken.None).IsCompletedSuccessfully ? 1 : 0;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(completed, Is.EqualTo(100));
        Assert.That(allocated, Is.Zero, "checking a chunk that passes allocates nothing");
    }

    [Test]
    public void NewFileAsync_DisallowedExtension_RejectsBeforeAnyByteWithEveryError()
    {
        var handler = Create("file", FileValidators.Extensions("mp3"), FileValidators.ContentTypes("audio/mpeg"));
        var ex = Assert.ThrowsAsync<UploadRejectedException>(async () => await handler.NewFileAsync(
            Header("evil.exe", "application/x-msdownload"), CancellationToken.None));
        Assert.That(ex!.StatusCode, Is.EqualTo(400));
        Assert.That(ex.Title, Is.EqualTo("One or more validation errors occurred."));
        Assert.That(ex.Errors!["file"], Is.EqualTo(new[]
        {
            "File extension \"exe\" is not allowed. Allowed extensions are: mp3.",
            "File type \"application/x-msdownload\" is not allowed. Allowed types are: audio/mpeg.",
        }));
    }

    [Test]
    public async Task NewFileAsync_OtherField_IsNotChecked()
    {
        var handler = Create("file", FileValidators.Extensions("mp3"));
        var content = SampleFiles.Html();
        var result = await StreamAsync(handler, Header("page.html", "text/html", field: "other"), content, 4);
        Assert.That(result, Is.Null);
    }

    [Test]
    public async Task ReceiveChunkAsync_SpoofedHeadSpreadOverChunks_RejectsOnceHeadIsComplete()
    {
        var handler = Create("file", FileValidators.Signature());
        await handler.NewFileAsync(Header("song.mp3", "audio/mpeg"), CancellationToken.None);
        var html = SampleFiles.Html();
        var first = await handler.ReceiveChunkAsync(html.AsMemory(0, 5), 0, CancellationToken.None);
        Assert.That(first, Is.Not.Null, "chunks pass through while the head fills");
        var ex = Assert.ThrowsAsync<UploadRejectedException>(async () => await handler.ReceiveChunkAsync(
            html.AsMemory(5, 20), 5, CancellationToken.None));
        Assert.That(ex!.Errors!["file"].Single(), Is.EqualTo("File content does not match its type."));
    }

    [Test]
    public async Task ReceiveChunkAsync_SignatureWithLongHeadValidator_RejectsOnFirstChunkStill()
    {
        var handler = Create("file", FileValidators.ImageDimensions(maxWidth: 100), FileValidators.Signature());
        await handler.NewFileAsync(Header("a.png", "image/png"), CancellationToken.None);
        var chunk = new byte[64 * 1024];
        SampleFiles.Html().CopyTo(chunk, 0);
        var ex = Assert.ThrowsAsync<UploadRejectedException>(async () => await handler.ReceiveChunkAsync(chunk, 0, CancellationToken.None));
        Assert.That(
            ex!.Errors!["file"], Is.EqualTo(new[] { "File content does not match its type." }), "the image header check waits for its own 256 KiB");
    }

    [Test]
    public async Task ReceiveChunkAsync_SizeCrossed_RejectsOnThatChunk()
    {
        var handler = Create("file", FileValidators.MaxSize(1 << 20));
        await handler.NewFileAsync(Header(), CancellationToken.None);
        var chunk = new byte[64 * 1024];
        long offset = 0;
        for (var i = 0; i < 16; i++, offset += chunk.Length)
        {
            await handler.ReceiveChunkAsync(chunk, offset, CancellationToken.None);
        }

        var ex = Assert.ThrowsAsync<UploadRejectedException>(async () => await handler.ReceiveChunkAsync(
            chunk.AsMemory(0, 1), offset, CancellationToken.None));
        Assert.That(ex!.Errors!["file"], Is.EqualTo(new[] { "File is larger than 1 MiB." }));
    }

    [Test]
    public async Task FileCompleteAsync_FileShorterThanHead_ValidatesWhatArrived()
    {
        var handler = Create(null, FileValidators.ImageDimensions(maxWidth: 50), FileValidators.MinSize(10));
        var png = SampleFiles.Png(100, 20)[..24];
        var ex = Assert.ThrowsAsync<UploadRejectedException>(() => StreamAsync(handler, Header("a.png", "image/png", field: "avatar"), png, 7));
        Assert.That(ex!.Errors!["avatar"], Is.EqualTo(new[] { "Image width 100 px is larger than 50 px." }));
    }

    [Test]
    public async Task FileCompleteAsync_ValidFile_PassesAndKeepsNothing()
    {
        var handler = Create(
            "file",
            FileValidators.Extensions("png"),
            FileValidators.Signature(),
            FileValidators.ImageDimensions(maxWidth: 200),
            FileValidators.MaxSize(1000));
        var result = await StreamAsync(handler, Header("a.png", "image/png"), SampleFiles.Png(100, 20), 3);
        Assert.That(result, Is.Null);
    }

    [Test]
    public async Task ValidateStoredAsync_StoredSpoofedObject_ReportsFromHeadReadFromStorage()
    {
        var storage = new InMemoryStorage();
        var name = await storage.SaveAsync(
            "uploads/track.mp3", new MemoryStream(SampleFiles.Html()), new FileSaveOptions { ContentType = "audio/mpeg" });
        var info = (await storage.GetMetadataAsync(name))!;
        var errors = await FileValidation.ValidateStoredAsync(
            storage,
            info,
            "file",
            [FileValidators.Extensions("mp3"), FileValidators.Signature(), FileValidators.MinSize(1)],
            "track.mp3",
            CancellationToken.None);
        Assert.That(errors, Is.EqualTo(new[] { "File content does not match its type." }));
    }

    [Test]
    public async Task ValidateStoredAsync_StoredValidObject_ReportsNothing()
    {
        var storage = new InMemoryStorage();
        var name = await storage.SaveAsync("uploads/a.png", new MemoryStream(SampleFiles.Png()), new FileSaveOptions { ContentType = "image/png" });
        var errors = await FileValidation.ValidateStoredAsync(
            storage,
            (await storage.GetMetadataAsync(name))!,
            "file",
            [FileValidators.Signature(), FileValidators.MaxSize(100)],
            null,
            CancellationToken.None);
        Assert.That(errors, Is.Empty);
    }

    [Test]
    public void WithFileValidators_Endpoint_AddsAFrontHandlerForTheField()
    {
        var conventions = new List<Action<EndpointBuilder>>();
        var builder = new TestConventionBuilder(conventions);
        builder.WithFileValidators("file", FileValidators.MaxSize(10)).WithChecksums();
        var endpoint = new RouteEndpointBuilder(_ => Task.CompletedTask, Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse("/"), 0);
        conventions.ForEach(c => c(endpoint));
        var metadata = endpoint.Metadata.OfType<UploadEndpointMetadata>().Single();
        var handlers = metadata.FrontHandlers.Select(f => f(new DefaultHttpContext())).ToList();
        Assert.That(handlers.Select(h => h.GetType()), Is.EqualTo(new[] { typeof(FileValidationHandler), typeof(ChecksumUploadHandler) }));
    }

    private sealed class TestConventionBuilder(List<Action<EndpointBuilder>> conventions) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention) => conventions.Add(convention);
    }
}
