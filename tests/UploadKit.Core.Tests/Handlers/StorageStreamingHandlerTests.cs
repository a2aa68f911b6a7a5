using UploadKit.Testing;

using static UploadKit.Tests.StorageTestHelpers;

namespace UploadKit.Tests.Handlers;

public class StorageStreamingHandlerTests : TempDirectoryTests
{
    private FileSystemStorage _storage = null!;

    [SetUp]
    public void SetUp()
    {
        _storage = new FileSystemStorage(new FileSystemStorageOptions { Location = Temp });
    }

    [Test]
    public async Task FileCompleteAsync_StreamedChunks_ReturnsStoredFileWithSameBytes()
    {
        var handler = new StorageStreamingHandler(_storage);
        var context = Attach(handlers: handler);
        var content = RandomBytes(3_000_000);
        context.CurrentFileChecksums["sha256"] = Sha256Hex(content);

        var file = await StreamAsync(handler, Header("my song.mp3"), content, 65_536);
        await handler.UploadCompleteAsync(CancellationToken.None);

        var stored = (StoredUploadedFile)file!;
        Assert.That(stored.StoredName, Is.EqualTo("my_song.mp3"));
        Assert.That(stored.Length, Is.EqualTo(content.Length));
        Assert.That(
            await StoredSha256HexAsync(_storage, stored.StoredName),
            Is.EqualTo(Sha256Hex(content)),
            "chunks were copied before their buffer was reused");
        var info = await _storage.GetMetadataAsync(stored.StoredName);
        Assert.That(info!.ContentType, Is.EqualTo("audio/mpeg"));
        Assert.That(info.Checksums, Is.Empty, "the save started before the checksums were known");
        await using (var read = stored.OpenReadStream())
        {
            Assert.That(await Sha256HexAsync(read), Is.EqualTo(Sha256Hex(content)));
        }

        Assert.That(
            await stored.SaveAsync(_storage, stored.StoredName),
            Is.EqualTo(stored.StoredName),
            "saving into its own storage under its own name is free");
        await stored.DisposeAsync();
        Assert.That(
            await StoredSha256HexAsync(_storage, stored.StoredName), Is.EqualTo(Sha256Hex(content)), "the saved file stays after the request");
    }

    [Test]
    public async Task FileCompleteAsync_ChecksumsFromHandlersInFront_DoNotChangeOptionsTheStorageHolds()
    {
        var storage = new OptionsRecordingStorage(_storage);
        var handler = new StorageStreamingHandler(storage);
        var context = Attach(handlers: handler);
        var content = RandomBytes(100_000);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        await handler.ReceiveChunkAsync(content, 0, CancellationToken.None);
        context.CurrentFileChecksums["sha256"] = Sha256Hex(content);
        var file = (StoredUploadedFile)(await handler.FileCompleteAsync(content.Length, CancellationToken.None))!;
        await handler.UploadCompleteAsync(CancellationToken.None);

        Assert.That(storage.ChecksumsAtEnd, Is.EqualTo(storage.ChecksumsAtStart), "the options never change while the storage uses them");
        Assert.That(await StoredSha256HexAsync(_storage, file.StoredName), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task ReceiveChunkAsync_SmallChunks_HandsTheStorageLargeReads()
    {
        var storage = new ReadCountingStorage(_storage);
        var handler = new StorageStreamingHandler(storage);
        Attach(handlers: handler);
        var content = RandomBytes(16 * 1024);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        for (var offset = 0; offset < content.Length; offset += 1024)
        {
            await handler.ReceiveChunkAsync(content.AsMemory(offset, 1024), offset, CancellationToken.None);

            // Gives a storage that was woken by this chunk the time to read it.
            await Task.WhenAny(storage.WaitForBytesAsync(offset + 1024), Task.Delay(50));
        }

        var file = (StoredUploadedFile)(await handler.FileCompleteAsync(content.Length, CancellationToken.None))!;
        await handler.UploadCompleteAsync(CancellationToken.None);

        Assert.That(
            await StoredSha256HexAsync(_storage, file.StoredName),
            Is.EqualTo(Sha256Hex(content)),
            "the bytes short of a flush reached the storage at the end");
        Assert.That(storage.Reads, Is.LessThanOrEqualTo(2), "16 KiB in 1 KiB chunks wake the storage once, not once per chunk");
    }

    [Test]
    public async Task FileCompleteAsync_NameSelector_UsesChosenNameAndAvoidsCollisions()
    {
        await _storage.SaveAsync("tracks/1.mp3", new MemoryStream([1]));
        var handler = new StorageStreamingHandler(_storage, f => "tracks/1.mp3");
        Attach(handlers: handler);
        var content = RandomBytes(1000);
        var file = (StoredUploadedFile)(await StreamAsync(handler, Header(), content, 100))!;
        Assert.That(file.StoredName, Does.Match("^tracks/1_[A-Za-z0-9]{7}\\.mp3$"));
        Assert.That(await StoredSha256HexAsync(_storage, file.StoredName), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task ReceiveChunkAsync_StorageSlowerThanClient_WaitsWithBoundedBuffer()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var storage = new GatedStorage(_storage, gate.Task);
        var handler = new StorageStreamingHandler(storage, null, bufferSize: 64 * 1024);
        Attach(handlers: handler);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        var content = RandomBytes(1_000_000);

        var write = handler.ReceiveChunkAsync(content.AsMemory(0, 512 * 1024), 0, CancellationToken.None).AsTask();
        var finished = await Task.WhenAny(write, Task.Delay(300));
        Assert.That(finished, Is.Not.SameAs(write), "the request is not read faster than the storage takes bytes");

        gate.SetResult();
        await write;
        await handler.ReceiveChunkAsync(content.AsMemory(512 * 1024), 512 * 1024, CancellationToken.None);
        var file = (StoredUploadedFile)(await handler.FileCompleteAsync(content.Length, CancellationToken.None))!;
        Assert.That(await StoredSha256HexAsync(_storage, file.StoredName), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task UploadInterruptedAsync_MidFile_LeavesNothing()
    {
        var handler = new StorageStreamingHandler(_storage);
        Attach(handlers: handler);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        await handler.ReceiveChunkAsync(RandomBytes(200_000), 0, CancellationToken.None);
        await handler.UploadInterruptedAsync(CancellationToken.None);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task FileSkippedAsync_MidFile_LeavesNothing()
    {
        var handler = new StorageStreamingHandler(_storage);
        Attach(handlers: handler);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        await handler.ReceiveChunkAsync(RandomBytes(200_000), 0, CancellationToken.None);
        await handler.FileSkippedAsync(CancellationToken.None);
        await handler.UploadCompleteAsync(CancellationToken.None);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task UploadInterruptedAsync_AfterFilesCompleted_RemovesThem()
    {
        var handler = new StorageStreamingHandler(_storage);
        Attach(handlers: handler);
        var first = (StoredUploadedFile)(await StreamAsync(handler, Header("a.mp3"), RandomBytes(10_000), 4096))!;
        Assert.That(await _storage.ExistsAsync(first.StoredName), Is.True);
        await handler.NewFileAsync(Header("b.mp3"), CancellationToken.None);
        await handler.ReceiveChunkAsync(RandomBytes(100), 0, CancellationToken.None);
        await handler.UploadInterruptedAsync(CancellationToken.None);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task ReceiveChunkAsync_StorageFails_ThrowsAndLeavesNothing()
    {
        var storage = new FailingStorage();
        var handler = new StorageStreamingHandler(storage, null, bufferSize: 8192);
        Attach(handlers: handler);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await handler.ReceiveChunkAsync(new byte[8192], i * 8192L, CancellationToken.None);
            }

            await handler.FileCompleteAsync(100 * 8192, CancellationToken.None);
        });
        await handler.UploadInterruptedAsync(CancellationToken.None);
        Assert.That(storage.Deleted, Is.Empty, "the failed save had nothing to remove");
    }

    [Test]
    public void NewFileAsync_NameSelectorEscapes_Rejects400()
    {
        var handler = new StorageStreamingHandler(_storage, _ => "../../etc/passwd");
        Attach(handlers: handler);
        var ex = Assert.ThrowsAsync<UploadRejectedException>(async () => await handler.NewFileAsync(Header(), CancellationToken.None));
        Assert.That(ex!.StatusCode, Is.EqualTo(400));
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [TestCase(1024 * 1024, 4096, TestName = "{m}(one block exactly)")]
    [TestCase((3 * 1024 * 1024) + 1, 65_536, TestName = "{m}(one byte past three blocks)")]
    [TestCase((2 * 1024 * 1024) - 1, 100_000, TestName = "{m}(one byte short of two blocks)")]
    [TestCase(1, 1, TestName = "{m}(one byte)")]
    public async Task FileCompleteAsync_AroundBlockBoundaries_StorageCopiesOneWritePerMiB(int size, int chunkSize)
    {
        var storage = new WriteCountingStorage(_storage);
        var handler = new StorageStreamingHandler(storage);
        Attach(handlers: handler);
        var content = RandomBytes(size);

        var file = (StoredUploadedFile)(await StreamAsync(handler, Header(), content, chunkSize))!;
        await handler.UploadCompleteAsync(CancellationToken.None);

        Assert.That(await StoredSha256HexAsync(_storage, file.StoredName), Is.EqualTo(Sha256Hex(content)));
        Assert.That(storage.Writes, Is.EqualTo((size + (1024 * 1024) - 1) / (1024 * 1024)), "a stream copy writes each block once, whole");
        Assert.That(storage.LargestWrite, Is.LessThanOrEqualTo(1024 * 1024));
    }

    [TestCase(StorageStreamingHandler.DefaultBufferSize)]
    [TestCase(64 * 1024)]
    [TestCase(5 * 1024 * 1024)]
    public async Task ReceiveChunkAsync_ChunkLargerThanABlock_StoresEveryByte(long bufferSize)
    {
        var handler = new StorageStreamingHandler(_storage, null, bufferSize);
        Attach(handlers: handler);
        var content = RandomBytes((5 * 1024 * 1024) + 3);

        var file = (StoredUploadedFile)(await StreamAsync(handler, Header(), content, content.Length))!;
        await handler.UploadCompleteAsync(CancellationToken.None);

        Assert.That(file.Length, Is.EqualTo(content.Length));
        Assert.That(await StoredSha256HexAsync(_storage, file.StoredName), Is.EqualTo(Sha256Hex(content)));
    }

    [Test]
    public async Task ReceiveChunkAsync_CancelledWhileWaitingForTheStorage_ThrowsAndLeavesNothing()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new StorageStreamingHandler(new GatedStorage(_storage, gate.Task), null, bufferSize: 64 * 1024);
        Attach(handlers: handler);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        // Two blocks of 64 KiB wait for the storage, the third for room: the chunk stops before its fourth block.
        var write = handler.ReceiveChunkAsync(RandomBytes(200_000), 0, cancel.Token).AsTask();
        Assert.That(await Task.WhenAny(write, Task.Delay(200)), Is.Not.SameAs(write), "the handler waits for the storage");
        await cancel.CancelAsync();
        Assert.That(async () => await write, Throws.InstanceOf<OperationCanceledException>());

        gate.SetResult();
        await handler.UploadInterruptedAsync(CancellationToken.None);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [TestCase(false, TestName = "{m}(file skipped)")]
    [TestCase(true, TestName = "{m}(upload interrupted)")]
    public async Task FileDropped_AfterBlocksReachedTheStorage_LeavesNothing(bool interrupted)
    {
        var storage = new ObservedStorage(_storage);
        var handler = new StorageStreamingHandler(storage);
        Attach(handlers: handler);
        await handler.NewFileAsync(Header(), CancellationToken.None);
        var content = RandomBytes(5 * 1024 * 1024);
        for (var offset = 0; offset < content.Length; offset += 65_536)
        {
            await handler.ReceiveChunkAsync(content.AsMemory(offset, 65_536), offset, CancellationToken.None);
        }

        // The file storage is writing its temporary file when the file is dropped.
        await storage.WaitForMebibytesAsync(3);
        if (interrupted)
        {
            await handler.UploadInterruptedAsync(CancellationToken.None);
        }
        else
        {
            await handler.FileSkippedAsync(CancellationToken.None);
            await handler.UploadCompleteAsync(CancellationToken.None);
        }

        Assert.That(AllFiles(Temp), Is.Empty);
    }

    [Test]
    public async Task FileCompleteAsync_StorageReturnsBeforeTheEnd_ThrowsAndLeavesNothing()
    {
        var handler = new StorageStreamingHandler(new ShortReadingStorage(_storage, 1024 * 1024));
        Attach(handlers: handler);
        var content = RandomBytes(3 * 1024 * 1024);

        Assert.That(
            async () => await StreamAsync(handler, Header(), content, 65_536),
            Throws.InstanceOf<InvalidOperationException>(),
            "a file the storage kept only part of is not a stored file");
        await handler.UploadInterruptedAsync(CancellationToken.None);
        Assert.That(AllFiles(Temp), Is.Empty);
    }

    /// <summary>A storage that starts reading only once a gate opens.</summary>
    private sealed class GatedStorage(IFileStorage inner, Task gate) : DelegatingStorage(inner)
    {
        public override async Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
        {
            await gate;
            return await Inner.SaveAsync(name, content, options, cancellationToken);
        }
    }

    /// <summary>
    /// A storage that notes the checksums it was given when the save starts and when the content ended, as a network storage reads them.
    /// </summary>
    private sealed class OptionsRecordingStorage(IFileStorage inner) : DelegatingStorage(inner)
    {
        public string[] ChecksumsAtStart { get; private set; } = [];

        public string[] ChecksumsAtEnd { get; private set; } = [];

        public override async Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
        {
            ChecksumsAtStart = options!.Checksums.Select(c => $"{c.Key}={c.Value}").ToArray();
            using var buffer = new MemoryStream();
            await content.CopyToAsync(buffer, cancellationToken);
            ChecksumsAtEnd = options.Checksums.Select(c => $"{c.Key}={c.Value}").ToArray();
            buffer.Position = 0;
            return await Inner.SaveAsync(name, buffer, options, cancellationToken);
        }
    }

    /// <summary>A storage that counts the reads that returned bytes.</summary>
    private sealed class ReadCountingStorage(IFileStorage inner) : DelegatingStorage(inner)
    {
        private long _received;
        private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Reads { get; private set; }

        public async Task WaitForBytesAsync(long count)
        {
            while (Interlocked.Read(ref _received) < count)
            {
                await Volatile.Read(ref _progress).Task;
            }
        }

        public override async Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[1024 * 1024];
            int read;
            while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
            {
                Reads++;
                buffer.Write(chunk, 0, read);
                Interlocked.Add(ref _received, read);
                Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }

            buffer.Position = 0;
            return await Inner.SaveAsync(name, buffer, options, cancellationToken);
        }
    }

    /// <summary>A storage that copies the content as a file storage does, counting the writes the copy makes.</summary>
    private sealed class WriteCountingStorage(IFileStorage inner) : DelegatingStorage(inner)
    {
        private readonly CountingStream _copy = new();

        public int Writes => _copy.Writes;

        public int LargestWrite => _copy.LargestWrite;

        public override async Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
        {
            await content.CopyToAsync(_copy, cancellationToken);
            _copy.Position = 0;
            return await Inner.SaveAsync(name, _copy, options, cancellationToken);
        }

        private sealed class CountingStream : MemoryStream
        {
            public int Writes { get; private set; }

            public int LargestWrite { get; private set; }

            public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                Writes++;
                LargestWrite = Math.Max(LargestWrite, buffer.Length);
                return base.WriteAsync(buffer, cancellationToken);
            }
        }
    }

    /// <summary>A storage that passes the content on to another while telling how many bytes it read.</summary>
    private sealed class ObservedStorage(IFileStorage inner) : DelegatingStorage(inner)
    {
        private readonly SemaphoreSlim _mebibytesRead = new(0);

        public async Task WaitForMebibytesAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await _mebibytesRead.WaitAsync();
            }
        }

        public override Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default) =>
            Inner.SaveAsync(name, new ObservedStream(content, _mebibytesRead), options, cancellationToken);

        private sealed class ObservedStream(Stream inner, SemaphoreSlim mebibytesRead) : ReadOnlyTestStream
        {
            private long _read;

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                var read = await inner.ReadAsync(buffer, cancellationToken);
                var before = _read / (1024 * 1024);
                _read += read;
                var crossed = (int)((_read / (1024 * 1024)) - before);
                if (crossed > 0)
                {
                    mebibytesRead.Release(crossed);
                }

                return read;
            }
        }
    }

    /// <summary>A storage that saves the first bytes of the content and returns without reading the rest.</summary>
    private sealed class ShortReadingStorage(IFileStorage inner, int length) : DelegatingStorage(inner)
    {
        public override async Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
        {
            var start = new byte[length];
            await content.ReadExactlyAsync(start, cancellationToken);
            return await Inner.SaveAsync(name, new MemoryStream(start), options, cancellationToken);
        }
    }

    /// <summary>A storage whose upload fails after reading some bytes, as a network storage might.</summary>
    private sealed class FailingStorage : IFileStorage
    {
        public List<string> Deleted { get; } = [];

        public async Task<string> SaveAsync(
            string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
        {
            var buffer = new byte[10_000];
            await content.ReadAtLeastAsync(buffer, buffer.Length, cancellationToken: cancellationToken);
            throw new IOException("The storage refused the upload.");
        }

        public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
        {
            Deleted.Add(name);
            return Task.FromResult(false);
        }

        public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default) => throw new FileNotFoundException();
        public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult(false);
        public Task<StoredFileInfo?> GetMetadataAsync(string name, CancellationToken cancellationToken = default) =>
            Task.FromResult<StoredFileInfo?>(null);
        public IAsyncEnumerable<StoredFileInfo> ListAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
            AsyncEnumerable.Empty<StoredFileInfo>();
        public Task<string?> GetUrlAsync(string name, CancellationToken cancellationToken = default) => Task.FromResult<string?>(null);
    }
}
