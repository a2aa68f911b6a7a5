using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace UploadKit.Tests;

internal static class StorageTestHelpers
{
    public static byte[] RandomBytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static async Task<string> StoredSha256Async(IFileStorage storage, string name)
    {
        await using var stream = await storage.OpenReadAsync(name);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream));
    }

    public static string CreateTempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "uploadkit-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    public static string[] AllFiles(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            : [];

    /// <summary>Creates a request context over a fresh HTTP context and attaches the handlers to it.</summary>
    public static UploadRequestContext Attach(UploadOptions? options = null, IServiceProvider? services = null, params UploadHandler[] handlers)
    {
        var http = new DefaultHttpContext();
        if (services is not null)
        {
            http.RequestServices = services;
        }

        var context = new UploadRequestContext(http, options ?? new UploadOptions(), null, "boundary", handlers);
        foreach (var handler in handlers)
        {
            handler.Attach(context);
        }

        return context;
    }

    public static UploadFileHeader Header(string fileName = "song.mp3", string contentType = "audio/mpeg", string field = "file", IHeaderDictionary? headers = null) =>
        new(field, fileName, contentType) { Headers = headers ?? new HeaderDictionary() };

    /// <summary>Feeds <paramref name="content"/> to a handler in chunks of <paramref name="chunkSize"/>, reusing one buffer as a parser would.</summary>
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
