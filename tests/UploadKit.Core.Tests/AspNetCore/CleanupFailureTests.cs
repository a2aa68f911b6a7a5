using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UploadKit.Testing;

namespace UploadKit.Tests.AspNetCore;

/// <summary>A cleanup that fails after a refusal is logged; the client still gets the refusal's 4xx, never a 500.</summary>
public class CleanupFailureTests : TempDirectoryTests
{
    [Test]
    public async Task HandlerCleanupThrows_AfterALimitRefusal_Answers413_LogsIt_AndOtherHandlersStillClean()
    {
        var logs = new CapturingLoggerProvider();
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => Results.Ok())
                .WithUploadHandlers(_ => new ThrowsOnInterrupt(), _ => new TemporaryFileUploadHandler()),
            o => o.MaxFileCount = 1,
            s => s.AddLogging(b => b.AddProvider(logs)));
        var body = new MultipartBodyBuilder()
            .AddFile("a", "a.bin", RandomBytes(100_000))
            .AddFile("b", "b.bin", RandomBytes(100_000, seed: 2));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(problem.GetProperty("limit").GetString(), Is.EqualTo(nameof(UploadOptions.MaxFileCount)));
        var failure = logs.Entries.Single(e => e.EventName == "UploadCleanupFailed");
        Assert.That(failure.Level, Is.EqualTo(LogLevel.Error));
        Assert.That(failure.Message, Does.Contain(nameof(ThrowsOnInterrupt)));
        Assert.That(failure.Exception, Is.InstanceOf<IOException>());
        await KestrelUploadTests.WaitUntilAsync(
            () => Directory.GetFiles(Temp).Length == 0, "the temp-file handler after the failing one still deleted its file");
    }

    [Test]
    public async Task StorageDeleteThrows_AfterARefusal_Answers413_AndTheInjectedLoggerReportsTheObject()
    {
        var logs = new CapturingLoggerProvider();
        var storage = new UndeletableStorage();
        await using var app = await UploadApp.StartAsync(
            Temp,
            a => a.MapPost("/upload", (UploadForm form) => Results.Ok())
                .WithUploadHandlers(sp => ActivatorUtilities.CreateInstance<StorageStreamingHandler>(sp, storage)),
            o => o.MaxFileCount = 1,
            s => s.AddLogging(b => b.AddProvider(logs)));
        var body = new MultipartBodyBuilder()
            .AddFile("a", "a.bin", RandomBytes(50_000))
            .AddFile("b", "b.bin", RandomBytes(50_000, seed: 2));

        var response = await app.Client.PostAsync("/upload", UploadApp.Multipart(body));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(storage.DeleteAttempts, Is.EqualTo(new[] { "a.bin" }), "the stored object of the refused upload was to be removed");
        var failure = logs.Entries.Single(e => e.EventName == "StoredObjectNotRemoved");
        Assert.That(failure.Category, Is.EqualTo(typeof(StorageStreamingHandler).FullName));
    }

    [Test]
    public async Task SaveScope_RefundThrows_IsLoggedAndTheOthersStillRun()
    {
        var logs = new CapturingLoggerProvider();
        var scope = new UploadSaveScope(logs.CreateLogger("test"));
        var refunded = new List<long>();
        scope.OnFailure(_ => throw new InvalidOperationException("the quota store is down"));
        scope.OnFailure(bytes =>
        {
            refunded.Add(bytes);
            return Task.CompletedTask;
        });

        await scope.SettleAsync(succeeded: false);

        Assert.That(refunded, Is.EqualTo(new[] { 0L }));
        Assert.That(logs.Entries.Single(e => e.EventName == "UploadCleanupFailed").Exception, Is.InstanceOf<InvalidOperationException>());
    }

    [Test]
    public void UploadForm_FileReleaseThrows_ReleasesTheOthersAndReportsIt()
    {
        var released = new TemporaryUploadedFileProbe();
        var form = new UploadForm(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues>(), [new ThrowingFile(), released]);

        var ex = Assert.ThrowsAsync<AggregateException>(async () => await form.DisposeAsync());

        Assert.That(ex!.InnerExceptions.Single(), Is.InstanceOf<IOException>());
        Assert.That(released.Released, Is.True);
    }

    private sealed class ThrowsOnInterrupt : UploadHandler
    {
        public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
            ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken) =>
            ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);

        public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) =>
            throw new IOException("the scratch volume went away");
    }

    private sealed class ThrowingFile() : UploadedFile(new UploadFileHeader("a", "a.bin", "application/octet-stream"), 0)
    {
        public override Stream OpenReadStream() => Stream.Null;

        protected override ValueTask DisposeAsyncCore() => throw new IOException("cannot release");
    }

    private sealed class TemporaryUploadedFileProbe() : UploadedFile(new UploadFileHeader("b", "b.bin", "application/octet-stream"), 0)
    {
        public bool Released { get; private set; }

        public override Stream OpenReadStream() => Stream.Null;

        protected override ValueTask DisposeAsyncCore()
        {
            Released = true;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A storage that stores, but whose delete fails: a store that went away mid-request.</summary>
    private sealed class UndeletableStorage : IFileStorage
    {
        private readonly InMemoryStorage _inner = new();

        public ConcurrentQueue<string> DeleteAttempts { get; } = new();

        public Task<string> SaveAsync(string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default) =>
            _inner.SaveAsync(name, content, options, cancellationToken);

        public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default) =>
            _inner.OpenReadAsync(name, cancellationToken);

        public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
        {
            DeleteAttempts.Enqueue(name);
            throw new IOException("the store is unreachable");
        }

        public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) => _inner.ExistsAsync(name, cancellationToken);

        public Task<StoredFileInfo?> GetMetadataAsync(string name, CancellationToken cancellationToken = default) =>
            _inner.GetMetadataAsync(name, cancellationToken);

        public Task<string?> GetUrlAsync(string name, CancellationToken cancellationToken = default) => _inner.GetUrlAsync(name, cancellationToken);

        public IAsyncEnumerable<StoredFileInfo> ListAsync(string? prefix = null, CancellationToken cancellationToken = default) =>
            _inner.ListAsync(prefix, cancellationToken);
    }

    /// <summary>Keeps every log entry, with its event name and category.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, string? EventName, LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(
                LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((category, eventId.Name, logLevel, formatter(state, exception), exception));
        }
    }
}
