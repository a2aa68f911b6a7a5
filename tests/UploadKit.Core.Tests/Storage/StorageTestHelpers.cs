using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace UploadKit.Tests;

internal static class StorageTestHelpers
{
    public static string[] AllFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            : [];

    /// <summary>Creates a request context and attaches the handlers to it.</summary>
    public static UploadRequestContext Attach(UploadOptions? options = null, IServiceProvider? services = null, params UploadHandler[] handlers)
    {
        var context = new UploadRequestContext(options ?? new UploadOptions(), handlers, services ?? new ServiceCollection().BuildServiceProvider());
        foreach (var handler in handlers)
        {
            handler.Attach(context);
        }

        return context;
    }

    public static UploadFileHeader Header(
        string fileName = "song.mp3", string contentType = "audio/mpeg", string field = "file", IHeaderDictionary? headers = null) =>
        new(field, fileName, contentType) { Headers = headers ?? new HeaderDictionary() };

    /// <summary>Feeds <paramref name="content"/> to a handler in chunks of <paramref name="chunkSize"/>, reusing one buffer as a parser
    /// would.</summary>
    public static async Task<UploadedFile?> StreamAsync(UploadHandler handler, UploadFileHeader header, byte[] content, int chunkSize)
    {
        await handler.NewFileAsync(header, CancellationToken.None);
        var buffer = new byte[chunkSize];
        for (var offset = 0; offset < content.Length; offset += chunkSize)
        {
            var count = Math.Min(chunkSize, content.Length - offset);
            content.AsSpan(offset, count).CopyTo(buffer);
            await handler.ReceiveChunkAsync(buffer.AsMemory(0, count), offset, CancellationToken.None);
            buffer.AsSpan().Fill(0xEE); // the chunk is no longer valid once the call returned
        }

        return await handler.FileCompleteAsync(content.Length, CancellationToken.None);
    }
}
