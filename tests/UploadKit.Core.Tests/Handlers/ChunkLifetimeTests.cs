using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Tests.Handlers;

/// <summary>
/// A chunk is valid only during its call: the pipe reuses its memory afterwards. These tests scribble over each
/// chunk the moment its call returns; a built-in handler that kept a chunk would produce wrong content.
/// </summary>
public class ChunkLifetimeTests
{
    [TestCase(100, 1 << 20, TestName = "MemoryUploadHandler_ChunksOverwrittenAfterEachCall_KeepsCorrectContent")]
    [TestCase(3_000_000, 1000, TestName = "TemporaryFileUploadHandler_ChunksOverwrittenAfterEachCall_KeepsCorrectContent")]
    [TestCase(30_000, 10_000, TestName = "MemoryThenTemporary_SpillWithOverwrittenChunks_KeepsCorrectContent")]
    public async Task Chain_ChunksOverwrittenAfterEachCall_KeepsCorrectContent(int length, int threshold)
    {
        using var temp = new TempDirectory();
        var options = new UploadOptions { MemoryBufferThreshold = threshold, TempFileDirectory = temp.Path };
        UploadHandler[] handlers = [new MemoryUploadHandler(), new TemporaryFileUploadHandler()];
        var context = new UploadRequestContext(options, handlers, new ServiceCollection().BuildServiceProvider());
        foreach (var handler in handlers)
        {
            handler.Attach(context);
        }

        var data = RandomBytes(length, seed: length);
        var header = new UploadFileHeader("f", "a.bin", "application/octet-stream");
        foreach (var handler in handlers)
        {
            await handler.NewFileAsync(header, CancellationToken.None);
        }

        var scratch = new byte[4096];
        var random = new Random(1);
        for (var offset = 0; offset < length;)
        {
            var size = Math.Min(random.Next(1, scratch.Length), length - offset);
            data.AsSpan(offset, size).CopyTo(scratch);
            ReadOnlyMemory<byte>? chunk = scratch.AsMemory(0, size);
            var end = offset + size;
            foreach (var handler in handlers)
            {
                chunk = await handler.ReceiveChunkAsync(chunk.Value, end - chunk.Value.Length, CancellationToken.None);
                if (chunk is null)
                {
                    break;
                }
            }

            Array.Fill(scratch, (byte)0xEE);
            offset = end;
        }

        UploadedFile? file = null;
        foreach (var handler in handlers)
        {
            file ??= await handler.FileCompleteAsync(length, CancellationToken.None);
        }

        await using (file)
        {
            await using var stream = file!.OpenReadStream();
            Assert.That(await Sha256HexAsync(stream), Is.EqualTo(Sha256Hex(data)));
            Assert.That(file.Length, Is.EqualTo(length));
        }

        Assert.That(Directory.GetFiles(temp.Path), Is.Empty, "the temp file went with the file");
    }

    [Test]
    public async Task MemoryUploadHandler_SmallFileInLargeRequest_KeepsABufferSizedToTheFile()
    {
        var handler = new MemoryUploadHandler();
        handler.Attach(new UploadRequestContext(new UploadOptions(), [handler], new ServiceCollection().BuildServiceProvider())
        {
            ContentLength = 100L << 20
        });
        await handler.NewFileAsync(new UploadFileHeader("f", "small.txt", "text/plain"), CancellationToken.None);
        var data = RandomBytes(1000, seed: 3);

        Assert.That(await handler.ReceiveChunkAsync(data, 0, CancellationToken.None), Is.Null);
        var file = (InMemoryUploadedFile)(await handler.FileCompleteAsync(data.Length, CancellationToken.None))!;

        Assert.That(file.Content.ToArray(), Is.EqualTo(data));
        Assert.That(file.Content.IsSingleSegment, Is.True);
        Assert.That(
            System.Runtime.InteropServices.MemoryMarshal.TryGetArray(file.Content.First, out var segment) ? segment.Array!.Length : 0,
            Is.EqualTo(data.Length),
            "a 1 KB file in a 100 MiB request holds an array of its own length, not a threshold-sized buffer or a pooled block");
        await file.DisposeAsync();
    }
}
