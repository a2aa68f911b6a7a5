using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using UploadKit.Storage.Gcs.Tests.FakeGcs;
using UploadKit.Testing;

namespace UploadKit.Storage.Gcs.Tests.Integration;

/// <summary>Starts the in-process GCS server once for the integration tests, on 127.0.0.1, and stops it after.</summary>
[SetUpFixture]
public sealed class GcsServerFixture
{
    internal static FakeGcsServer Server { get; private set; } = null!;

    internal static string ServiceAccountJson { get; private set; } = null!;

    /// <summary>Options for a storage on <paramref name="bucket"/> of the test server, uploading in chunks of 256 KiB.</summary>
    internal static GcsStorageOptions OptionsFor(string bucket) => new()
    {
        Bucket = bucket,
        Endpoint = Server.BaseAddress,
        CredentialsJson = ServiceAccountJson,
        ChunkSize = GcsStorageOptions.ChunkSizeUnit,
    };

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        ServiceAccountJson = TestServiceAccount.Json;
        Server = await FakeGcsServer.StartAsync(ServiceAccountJson);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>Shared setup: a fresh bucket per test, a storage on it, and a check that the server understood every request.</summary>
[Category("Integration")]
public abstract class GcsIntegrationTest
{
    internal static FakeGcsServer Server => GcsServerFixture.Server;

    protected string Bucket { get; private set; } = null!;

    [SetUp]
    public void CreateBucket()
    {
        Bucket = "bucket-" + Guid.NewGuid().ToString("N")[..12];
        Server.CreateBucketDirectly(Bucket);
    }

    [TearDown]
    public void ServerUnderstoodEveryRequest()
    {
        var errors = new List<string>();
        while (Server.ProtocolErrors.TryDequeue(out var error))
        {
            errors.Add(error);
        }

        Assert.That(errors, Is.Empty, "the GCS test server met requests it does not implement");
    }

    internal GcsStorageOptions Options(Action<GcsStorageOptions>? configure = null)
    {
        var options = new GcsStorageOptions
        {
            Bucket = Bucket,
            Endpoint = Server.BaseAddress,
            CredentialsJson = GcsServerFixture.ServiceAccountJson,
            ChunkSize = GcsStorageOptions.ChunkSizeUnit * 4,
        };
        configure?.Invoke(options);
        return options;
    }

    internal GcsStorage Storage(Action<GcsStorageOptions>? configure = null, TimeProvider? time = null) =>
        new("test", Options(configure), NullLogger.Instance, time ?? TimeProvider.System);

    internal static FakeTimeProvider HourAgo() => new(DateTimeOffset.UtcNow.AddHours(-1));

    protected string StoredSha256(string objectName) =>
        Server.Find(Bucket, objectName) is { } obj ? Sha256Hex(obj.Data) : "(missing)";
}

/// <summary>A stream of pseudo-random bytes of a set length that cannot seek, with an optional failure or gate.</summary>
internal sealed class GeneratedStream(long length, int seed = 1) : Stream
{
    private readonly Random _random = new(seed);
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;

    public long? FailAt { get; init; }

    public TaskCompletionSource? Gate { get; init; }

    public TaskCompletionSource FirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Sha256 => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (FailAt is { } failAt && _position >= failAt)
        {
            throw new IOException("the source failed on purpose");
        }

        var n = (int)Math.Min(buffer.Length, length - _position);
        if (n <= 0)
        {
            return 0;
        }

        var slice = buffer[..n];
        _random.NextBytes(slice);
        _hash.AppendData(slice);
        _position += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        FirstRead.TrySetResult();
        if (Gate is not null)
        {
            await Gate.Task.WaitAsync(cancellationToken);
        }

        return Read(buffer.Span);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _hash.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>A seekable in-memory stream whose reads wait for a gate.</summary>
internal sealed class GatedMemoryStream(byte[] data) : MemoryStream(data, writable: false)
{
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource FirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        FirstRead.TrySetResult();
        await Gate.Task.WaitAsync(cancellationToken);
        return await base.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
}
