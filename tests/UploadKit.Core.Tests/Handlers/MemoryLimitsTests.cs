using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;
using UploadKit.Tests.AspNetCore;

namespace UploadKit.Tests.Handlers;

/// <summary>
/// Files held in memory are bounded per request and per application, sized to what they hold, and their memory is
/// given back on every path a request can take.
/// </summary>
public class MemoryLimitsTests : TempDirectoryTests
{
    private const int Block = UploadMemoryPool.BlockSize;
    private const int LargeDefault = UploadOptions.DefaultLargeRequestMemoryBufferThreshold;

    private Task<TestApp> StartDescribingAppAsync(Action<UploadOptions> configure, bool kestrel = false) =>
        UploadApp.StartAsync(Temp, app => app.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)), configure, kestrel: kestrel);

    private static UploadMemoryBudget Budget(TestApp app) => app.Services.GetRequiredService<UploadMemoryBudget>();

    /// <summary>Posts <paramref name="files"/> as the form's <c>files</c>, checks the answer is 200 and returns its report.</summary>
    private static async Task<FormReport> PostFilesAsync(TestApp app, byte[][] files, bool chunked)
    {
        var body = new MultipartBodyBuilder();
        for (var i = 0; i < files.Length; i++)
        {
            body.AddFile("files", $"f{i}.bin", files[i]);
        }

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body, chunked));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadFromJsonAsync<FormReport>())!;
    }

    [TestCase(false, TestName = "UploadForm_FilesOverRequestMemoryLimit_WithContentLength_LaterFilesSpill")]
    [TestCase(true, TestName = "UploadForm_FilesOverRequestMemoryLimit_Chunked_LaterFilesSpill")]
    public async Task UploadForm_FilesOverRequestMemoryLimit_LaterFilesSpill(bool chunked)
    {
        // 300,000 bytes take five blocks: three files fit in 1 MiB, the fourth crosses it after one block and spills
        // with that block's bytes, the fifth spills at its first chunk.
        await using var app = await StartDescribingAppAsync(o => o.MaxRequestMemoryBufferSize = 1 << 20);
        var files = Enumerable.Range(0, 5).Select(i => RandomBytes(300_000, seed: 10 + i)).ToArray();

        var report = await PostFilesAsync(app, files, chunked);

        Assert.That(report.Files.Select(f => f.Kind), Is.EqualTo(new[]
        {
            nameof(InMemoryUploadedFile), nameof(InMemoryUploadedFile), nameof(InMemoryUploadedFile), nameof(
                TemporaryUploadedFile), nameof(TemporaryUploadedFile),
        }));
        Assert.That(
            report.Files.Select(f => f.Sha256),
            Is.EqualTo(files.Select(f => Sha256Hex(f))),
            "the bytes held at the spill reached the temporary file first, in order");
        await WaitUntilReleasedAsync(Budget(app));
        // The files are released when the request ends, which may be just after the client has read the answer.
        await KestrelUploadTests.WaitUntilAsync(() => Directory.GetFiles(Temp).Length == 0, "the temporary files are deleted");
    }

    // A request declared over MemoryBufferThreshold keeps only files within LargeRequestMemoryBufferThreshold (64 KiB) in
    // memory, where Django keeps none; a chunked one declares nothing, so each file may hold up to MemoryBufferThreshold.
    [TestCase(false, LargeDefault, "mem mem temp temp", TestName = "UploadForm_RequestDeclaredOverThreshold_OnlySmallFilesStayInMemory")]
    [TestCase(true, LargeDefault, "mem mem mem temp", TestName = "UploadForm_ChunkedLargeRequest_FilesStayInMemoryUpToThreshold")]
    [TestCase(false, 2_621_440, "mem mem mem temp", TestName = "UploadForm_LargeRequestThresholdRaised_RequestLengthIgnored")]
    [TestCase(false, 0, "temp temp temp temp", TestName = "UploadForm_LargeRequestThresholdZero_NothingOfALargeRequestInMemory")]
    public async Task UploadForm_RequestDeclaredOverThreshold(bool chunked, int largeRequestThreshold, string kinds)
    {
        await using var app = await StartDescribingAppAsync(o => o.LargeRequestMemoryBufferThreshold = largeRequestThreshold);
        int[] sizes = [1024, 64 * 1024, (64 * 1024) + 1, 3_000_000];
        var files = sizes.Select((size, i) => RandomBytes(size, seed: 20 + i)).ToArray();

        var report = await PostFilesAsync(app, files, chunked);

        Assert.That(
            report.Files.Select(f => f.Kind),
            Is.EqualTo(kinds.Split(' ').Select(k => k == "mem" ? nameof(InMemoryUploadedFile) : nameof(TemporaryUploadedFile))));
        Assert.That(report.Files.Select(f => f.Sha256), Is.EqualTo(files.Select(f => Sha256Hex(f))));
        await WaitUntilReleasedAsync(Budget(app));
        await KestrelUploadTests.WaitUntilAsync(() => Directory.GetFiles(Temp).Length == 0, "the temporary files are deleted");
    }

    [Test]
    public async Task UploadForm_ApplicationBudgetTaken_FileSpillsWhileAnotherRequestHoldsMemory()
    {
        var holding = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var app = await UploadApp.StartAsync(
            Temp,
            a =>
            {
                a.MapPost("/hold", async (UploadForm form) =>
                {
                    holding.SetResult();
                    await release.Task;
                    return await UploadApp.DescribeAsync(form);
                });
                a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form));
            },
            o => o.MaxProcessMemoryBufferSize = 6 * Block);
        var held = RandomBytes(4 * Block, seed: 1);
        var second = RandomBytes(3 * Block, seed: 2);

        var first = app.Client.PostAsync("/hold", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "held.bin", held)));
        await holding.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(Budget(app).Used, Is.EqualTo(4 * Block), "the held file reserved what it holds, no more");
        var report = await (await app.Client.PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "second.bin", second))))
            .Content.ReadFromJsonAsync<FormReport>();
        release.SetResult();
        var firstReport = await (await first).Content.ReadFromJsonAsync<FormReport>();

        Assert.That(report!.Files.Single().Kind, Is.EqualTo(nameof(TemporaryUploadedFile)), "two blocks were left of the application's six");
        Assert.That(report.Files.Single().Sha256, Is.EqualTo(Sha256Hex(second)));
        Assert.That(firstReport!.Files.Single().Kind, Is.EqualTo(nameof(InMemoryUploadedFile)));
        Assert.That(firstReport.Files.Single().Sha256, Is.EqualTo(Sha256Hex(held)));
        await WaitUntilReleasedAsync(Budget(app));
    }

    [Test]
    public async Task UploadForm_RejectedByValidator_ReleasesTheMemoryOfEarlierFiles()
    {
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => UploadApp.DescribeAsync(form)).WithFileValidators("f", FileValidators.Extensions("bin")));
        var body = new MultipartBodyBuilder()
            .AddFile("f", "a.bin", RandomBytes(200_000, seed: 1))
            .AddFile("f", "b.bin", RandomBytes(200_000, seed: 2))
            .AddFile("f", "c.exe", RandomBytes(1000, seed: 3));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        await WaitUntilReleasedAsync(Budget(app));
        // The files are released when the request ends, which may be just after the client has read the answer.
        await KestrelUploadTests.WaitUntilAsync(() => Directory.GetFiles(Temp).Length == 0, "the temporary files are deleted");
    }

    [Test]
    public async Task UploadForm_EndpointThrowsAfterReading_ReleasesTheMemory()
    {
        UploadMemoryBudget? budget = null;
        long usedInEndpoint = 0;
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form, HttpContext http) =>
            {
                budget = http.RequestServices.GetRequiredService<UploadMemoryBudget>();
                usedInEndpoint = budget.Used;
                throw new InvalidOperationException("The endpoint failed.");
            }),
            kestrel: true);

        var response = await app.Client.PostAsync(
            "/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("f", "a.bin", RandomBytes(500_000))));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(usedInEndpoint, Is.EqualTo(8L * Block), "500,000 bytes hold eight blocks while the request runs");
        await WaitUntilReleasedAsync(budget!);
    }

    [Test]
    public async Task UploadForm_ClientDisconnectsHalfway_ReleasesTheMemory()
    {
        var finished = new TaskCompletionSource<Exception?>();
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", async (HttpContext http) =>
            {
                try
                {
                    await http.ReadUploadFormAsync(http.RequestAborted);
                    finished.TrySetResult(null);
                }
                catch (Exception ex)
                {
                    finished.TrySetResult(ex);
                }
            }),
            kestrel: true);
        var builder = new MultipartBodyBuilder()
            .AddFile("f", "done.bin", RandomBytes(300_000, seed: 1))
            .AddFile("f", "half.bin", RandomBytes(2_000_000, seed: 2));

        await KestrelUploadTests.SendPartAndDisconnectAsync(
            app,
            builder,
            _ => 1_000_000,
            () => KestrelUploadTests.WaitUntilAsync(() => Budget(app).Used > 5 * Block, "the second file is held in memory while the upload runs"));

        Assert.That(await finished.Task.WaitAsync(TimeSpan.FromSeconds(30)), Is.Not.Null, "reading failed when the client went away");
        await WaitUntilReleasedAsync(Budget(app));
    }

    [Test]
    public async Task MemoryUploadHandler_FileAtThreshold_HoldsAtMostOneBlockMoreThanItsBytes()
    {
        var budget = new UploadMemoryBudget(long.MaxValue);
        var (handler, _) = Attach(budget, new UploadOptions());
        var data = RandomBytes(UploadOptions.DefaultMemoryBufferThreshold - 1000);
        await handler.NewFileAsync(new UploadFileHeader("f", "a.bin", "application/octet-stream"), CancellationToken.None);
        for (var offset = 0; offset < data.Length; offset += 16_000)
        {
            Assert.That(
                await handler.ReceiveChunkAsync(data.AsMemory(offset, Math.Min(16_000, data.Length - offset)), offset, CancellationToken.None),
                Is.Null);
        }

        var file = (InMemoryUploadedFile)(await handler.FileCompleteAsync(data.Length, CancellationToken.None))!;

        Assert.That(file.Content.ToArray(), Is.EqualTo(data));
        Assert.That(
            budget.Used,
            Is.InRange(data.Length, data.Length + Block - 1),
            "a 2.5 MB file holds its bytes plus less than one block, not a 4 MiB array");
        await file.DisposeAsync();
        Assert.That(budget.Used, Is.Zero);
    }

    [Test]
    public async Task MemoryUploadHandler_RequestLimitCrossedWhenDrivenByHand_PassesHeldBytesWithTheChunk()
    {
        var budget = new UploadMemoryBudget(long.MaxValue);
        var (handler, _) = Attach(budget, new UploadOptions { MaxRequestMemoryBufferSize = 2 * Block });
        var data = RandomBytes(3 * Block);
        await handler.NewFileAsync(new UploadFileHeader("f", "a.bin", "application/octet-stream"), CancellationToken.None);

        Assert.That(await handler.ReceiveChunkAsync(data.AsMemory(0, 2 * Block), 0, CancellationToken.None), Is.Null);
        var passed = await handler.ReceiveChunkAsync(data.AsMemory(2 * Block), 2 * Block, CancellationToken.None);

        Assert.That(passed!.Value.ToArray(), Is.EqualTo(data), "the held bytes and the chunk, as one block ending where the chunk ends");
        Assert.That(budget.Used, Is.Zero, "nothing is reserved once the file spilled");
        Assert.That(await handler.FileCompleteAsync(data.Length, CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task MemoryUploadHandler_ManySmallFiles_EachHoldsAnArrayOfItsOwnLength()
    {
        var budget = new UploadMemoryBudget(long.MaxValue);
        var (handler, context) = Attach(budget, new UploadOptions());
        var files = new List<UploadedFile>();
        for (var i = 0; i < 50; i++)
        {
            await handler.NewFileAsync(new UploadFileHeader("f", $"{i}.txt", "text/plain"), CancellationToken.None);
            await handler.ReceiveChunkAsync(RandomBytes(1000, seed: i), 0, CancellationToken.None);
            files.Add((await handler.FileCompleteAsync(1000, CancellationToken.None))!);
        }

        Assert.That(budget.Used, Is.EqualTo(50 * 1000), "fifty 1 KB files hold 50 KB, not fifty 64 KiB blocks");
        Assert.That(context.Memory.Held, Is.EqualTo(50 * 1000));
        foreach (var file in files)
        {
            await file.DisposeAsync();
        }

        Assert.That(budget.Used, Is.Zero);
    }

    [Test]
    public void UploadMemoryPool_ReturnedOverItsLimit_KeepsOnlyTheLimit()
    {
        using var pool = new UploadMemoryPool(maxRetainedBytes: 4 * Block, idleTrimInterval: null);
        var blocks = Enumerable.Range(0, 10).Select(_ => pool.Rent()).ToArray();

        foreach (var block in blocks)
        {
            Assert.That(block, Has.Length.EqualTo(Block));
            pool.Return(block);
        }

        Assert.That(pool.RetainedBytes, Is.EqualTo(4 * Block));
        Assert.That(pool.Rent(), Is.SameAs(blocks[3]), "a returned block is reused");
    }

    [Test]
    public void UploadMemoryPool_WriteBuffersReturned_ReusedAndDroppedWithTheBlocksWhenIdle()
    {
        using var pool = new UploadMemoryPool(
            maxRetainedBytes: 4 * Block, idleTrimInterval: null, maxRetainedWriteBufferBytes: 2 * UploadMemoryPool.WriteBufferSize);
        var buffers = Enumerable.Range(0, 3).Select(_ => pool.RentWriteBuffer()).ToArray();
        var block = pool.Rent();
        foreach (var buffer in buffers)
        {
            Assert.That(buffer, Has.Length.EqualTo(UploadMemoryPool.WriteBufferSize));
            pool.Return(buffer);
        }

        pool.Return(block);

        Assert.That(
            pool.RetainedBytes, Is.EqualTo((2 * UploadMemoryPool.WriteBufferSize) + Block), "two buffers kept, the third over the limit dropped");
        Assert.That(pool.RentWriteBuffer(), Is.SameAs(buffers[1]));
        Assert.That(pool.Trim(), Is.EqualTo(UploadMemoryPool.WriteBufferSize + Block));
        Assert.That(pool.RetainedBytes, Is.Zero);
    }

    [Test]
    public void UploadMemoryPool_IdleAfterBurst_DropsItsBlocksAndAsksForACollection()
    {
        using var pool = new UploadMemoryPool(maxRetainedBytes: 64L << 20, idleTrimInterval: null);
        var blocks = Enumerable.Range(0, (int)(UploadMemoryPool.CollectAfterDroppedBytes / Block) + 1).Select(_ => pool.Rent()).ToArray();
        foreach (var block in blocks)
        {
            pool.Return(block);
        }

        Assert.That(pool.TrimIfIdle(), Is.False, "a pool rented from since the last tick keeps its blocks");
        Assert.That(pool.RetainedBytes, Is.EqualTo(blocks.Length * (long)Block));

        Assert.That(pool.TrimIfIdle(), Is.True, "an idle pool that dropped 16 MiB asks for a collection");
        Assert.That(pool.RetainedBytes, Is.Zero);
        Assert.That(pool.TrimIfIdle(), Is.False, "nothing more to drop");
    }

    private static (MemoryUploadHandler Handler, UploadRequestContext Context) Attach(UploadMemoryBudget budget, UploadOptions options)
    {
        var handler = new MemoryUploadHandler();
        var context = new UploadRequestContext(options, [handler], new ServiceCollection().AddSingleton(budget).BuildServiceProvider());
        handler.Attach(context);
        return (handler, context);
    }

    private static Task WaitUntilReleasedAsync(UploadMemoryBudget budget) =>
        KestrelUploadTests.WaitUntilAsync(() => budget.Used == 0, "every reserved byte is given back");
}
