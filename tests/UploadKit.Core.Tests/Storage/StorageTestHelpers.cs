using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http;

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

/// <summary>A stream of unknown length that reads from an array, optionally failing or waiting part-way.</summary>
internal sealed class UnknownLengthStream(byte[] content, int failAt = -1, Task? pauseAt = null, int pausePosition = -1) : Stream
{
    private int _position;

    public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (pauseAt is not null && _position >= pausePosition)
        {
            Reached.TrySetResult();
            await pauseAt.WaitAsync(cancellationToken);
        }

        if (failAt >= 0 && _position >= failAt)
        {
            throw new IOException("The client went away.");
        }

        var limit = content.Length;
        if (failAt >= 0)
        {
            limit = Math.Min(limit, failAt);
        }

        if (pauseAt is not null && _position < pausePosition)
        {
            limit = Math.Min(limit, pausePosition);
        }

        var count = Math.Min(Math.Min(buffer.Length, 4096), limit - _position);
        content.AsSpan(_position, count).CopyTo(buffer.Span);
        _position += count;
        return count;
    }
}
