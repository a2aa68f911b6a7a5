using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using static UploadKit.Tests.Resumable.ResumableApp;

namespace UploadKit.Tests.Resumable;

/// <summary>An append whose connection breaks part-way, on a real Kestrel server: what arrived is kept, and the client resumes there.</summary>
public sealed class BrokenConnectionTests
{
    [Test]
    public async Task Patch_CutOffMidBody_KeepsWhatArrived_AndResumesFromThere()
    {
        ObservedStorage? observed = null;
        await using var app = await StartAsync(kestrel: true, storage: files => observed = new ObservedStorage(files));
        var content = RandomBytes(1_000_000);
        var location = await app.CreateTusAsync(content.Length);

        const int Sent = 300_000;
        await SendAndCutAsync(app.Client.BaseAddress!, location, content, Sent, consumed: observed!.Consumed(Sent));
        var offset = await WaitForOffsetAsync(app, location);

        Assert.That(offset, Is.EqualTo(Sent), "every byte that reached the server is kept");
        using var rest = await app.PatchTusAsync(location, offset, content[(int)offset..]);
        Assert.That(rest.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await File.ReadAllBytesAsync(Path.Combine(app.Media, app.Completed.Single().File.Name)), Is.EqualTo(content));
        Assert.That(app.MediaFiles(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Patch_WithAChecksum_CutOffMidBody_KeepsNothingOfIt()
    {
        ObservedStorage? observed = null;
        await using var app = await StartAsync(kestrel: true, storage: files => observed = new ObservedStorage(files));
        var content = RandomBytes(400_000);
        var location = await app.CreateTusAsync(content.Length);
        var digest = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(content));

        await SendAndCutAsync(
            app.Client.BaseAddress!, location, content, 100_000, observed!.Consumed(100_000), $"Upload-Checksum: sha1 {digest}\r\n");
        var offset = await WaitForOffsetAsync(app, location);

        Assert.That(offset, Is.Zero, "an append that cannot be verified is not kept");
    }

    /// <summary>
    /// Sends a PATCH declaring the whole content, writes <paramref name="sent"/> bytes of it, waits until the storage has
    /// taken them, then closes the connection. (Kestrel does not hand the app body bytes that were still unread when the
    /// connection ended, so a client that cut off at once could lose its last packets; the wait makes the test exact.)
    /// </summary>
    private static async Task SendAndCutAsync(Uri server, string location, byte[] content, int sent, Task consumed, string extraHeaders = "")
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Host, server.Port);
        var head = $"PATCH {location} HTTP/1.1\r\nHost: {server.Authority}\r\nTus-Resumable: 1.0.0\r\nX-Test-User: alice\r\n" +
            $"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n{extraHeaders}" +
            $"Content-Length: {content.Length.ToString(CultureInfo.InvariantCulture)}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));
        await socket.SendAsync(content.AsMemory(0, sent));
        await consumed.WaitAsync(TimeSpan.FromSeconds(30));
        socket.Shutdown(SocketShutdown.Both);
        socket.Close();
    }

    /// <summary>Waits until the server has recorded the broken append and let the upload go, then reads the offset.</summary>
    private static async Task<long> WaitForOffsetAsync(ResumableApp app, string location)
    {
        var id = location.Split('/')[^1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await app.Store.TryAcquireLeaseAsync(id, TimeSpan.FromSeconds(5), timeout.Token) is { } lease)
            {
                await app.Store.ReleaseLeaseAsync(id, lease);
                using var head = await app.Client.SendAsync(Tus(HttpMethod.Head, location), timeout.Token);
                return Offset(head);
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>A FileSystem storage whose appends report how many bytes they have read.</summary>
    private sealed class ObservedStorage(FileSystemStorage files) : UploadKit.Testing.DelegatingStorage(files), IResumableFileStorage
    {
        private readonly List<(long Bytes, TaskCompletionSource Reached)> _waits = [];

        public Task Consumed(long bytes)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waits)
            {
                _waits.Add((bytes, reached));
            }

            return reached.Task;
        }

        public Task<ResumableWrite> BeginWriteAsync(string name, FileSaveOptions? options = null, CancellationToken cancellationToken = default) =>
            files.BeginWriteAsync(name, options, cancellationToken);

        public Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default) =>
            files.AppendAsync(write, new CountingStream(content, Report), cancellationToken);

        public Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default) =>
            files.CompleteWriteAsync(write, cancellationToken);

        public Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default) =>
            files.AbortWriteAsync(write, cancellationToken);

        private void Report(long total)
        {
            lock (_waits)
            {
                foreach (var (bytes, reached) in _waits.Where(w => w.Bytes <= total))
                {
                    reached.TrySetResult();
                }
            }
        }
    }

    private sealed class CountingStream(Stream inner, Action<long> report) : Stream
    {
        private long _total;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            _total += read;
            report(_total);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
