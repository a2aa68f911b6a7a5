using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;

namespace UploadKit.Scanning.ClamAv;

/// <summary>
/// Scans files with clamd over its <c>INSTREAM</c> protocol: the command <c>zINSTREAM\0</c>, the file as chunks each
/// preceded by its length (4 bytes, big-endian), a zero length to end it, then one reply ended by <c>\0</c>:
/// <c>stream: OK</c>, <c>stream: {signature} FOUND</c>, or <c>... ERROR</c> (such as
/// <c>INSTREAM size limit exceeded. ERROR</c>). Connections are clamd sessions (<c>zIDSESSION\0</c>, replies prefixed by the
/// command's number), kept in a pool between scans.
/// </summary>
internal sealed class ClamAvScanner : IFileScanner, IDisposable
{
    private static readonly byte[] SessionCommand = "zIDSESSION\0"u8.ToArray();
    private static readonly byte[] InstreamCommand = "zINSTREAM\0"u8.ToArray();
    private static readonly byte[] EndCommand = "zEND\0"u8.ToArray();
    private const int MaxReplyLength = 4096;

    private readonly ClamAvOptions _options;
    private readonly ClamAvEndpoint _endpoint;
    private readonly ConcurrentBag<Connection> _idle = [];
    private int _idleCount;
    private bool _disposed;

    public ClamAvScanner(IOptions<ClamAvOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        if (!ClamAvEndpoint.TryParse(_options.Endpoint, out var endpoint, out var error))
        {
            throw new OptionsValidationException(nameof(ClamAvOptions), typeof(ClamAvOptions), [error!]);
        }

        _endpoint = endpoint!;
    }

    private int _connectionsOpened;

    /// <summary>Gets how many connections were opened: pooled sessions make this far fewer than the scans.</summary>
    internal int ConnectionsOpened => _connectionsOpened;

    public async Task<ScanVerdict> ScanAsync(Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var chunkSize = Math.Max(_options.ChunkSize, 1);
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize + 4);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Connection? connection = null;
        var reusable = false;
        try
        {
            try
            {
                connection = await RentAsync(timeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
            {
                return ScanVerdict.Failed($"clamd at {_endpoint} could not be reached: {ex.Message}");
            }

            long total = 0;
            try
            {
                await SendAsync(connection, InstreamCommand, timeout).ConfigureAwait(false);
                while (true)
                {
                    var filled = await FillAsync(content, buffer.AsMemory(4, chunkSize), cancellationToken).ConfigureAwait(false);
                    if (filled == 0)
                    {
                        break;
                    }

                    total += filled;
                    if (total > _options.StreamMaxLength)
                    {
                        return ScanVerdict.TooLarge(string.Create(
                            CultureInfo.InvariantCulture, $"the file is larger than clamd's StreamMaxLength of {_options.StreamMaxLength} bytes"));
                    }

                    BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)filled);
                    await SendAsync(connection, buffer.AsMemory(0, filled + 4), timeout).ConfigureAwait(false);
                }

                BinaryPrimitives.WriteUInt32BigEndian(buffer, 0);
                await SendAsync(connection, buffer.AsMemory(0, 4), timeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
            {
                // clamd may have answered and closed (a size limit it enforces itself): its reply says why.
                var early = await TryReadReplyAsync(connection).ConfigureAwait(false);
                return early is not null ? Parse(early, connection) : ScanVerdict.Failed($"Sending to clamd at {_endpoint} failed: {ex.Message}");
            }

            string? reply;
            try
            {
                timeout.CancelAfter(_options.Timeout);
                reply = await ReadReplyAsync(connection, timeout.Token).ConfigureAwait(false);
                timeout.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
            }
            catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
            {
                return ScanVerdict.Failed($"clamd at {_endpoint} gave no verdict: {ex.Message}");
            }

            if (reply is null)
            {
                return ScanVerdict.Failed($"clamd at {_endpoint} closed the connection without a verdict.");
            }

            var verdict = Parse(reply, connection);
            reusable = verdict.Outcome is ScanOutcome.Clean or ScanOutcome.Infected && connection.InSession;
            return verdict;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (connection is not null)
            {
                if (reusable)
                {
                    Return(connection);
                }
                else
                {
                    connection.Dispose();
                }
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
        {
            Interlocked.Decrement(ref _idleCount);
            connection.End();
        }
    }

    /// <summary>Parses clamd's reply to INSTREAM, with or without a session's <c>{n}: </c> prefix.</summary>
    internal static ScanVerdict Parse(string reply, int? commandNumber = null)
    {
        var text = reply.TrimEnd('\0', '\n', '\r', ' ');
        if (commandNumber is { } number)
        {
            var prefix = number.ToString(CultureInfo.InvariantCulture) + ": ";
            if (text.StartsWith(prefix, StringComparison.Ordinal))
            {
                text = text[prefix.Length..];
            }
        }

        if (text.Contains("size limit exceeded", StringComparison.OrdinalIgnoreCase))
        {
            return ScanVerdict.TooLarge("clamd: " + text);
        }

        if (text.EndsWith(" ERROR", StringComparison.Ordinal))
        {
            return ScanVerdict.Failed("clamd: " + text);
        }

        const string Stream = "stream: ";
        var at = text.StartsWith(Stream, StringComparison.Ordinal) ? Stream.Length : -1;
        if (at >= 0 && text.Length == at + 2 && text.EndsWith("OK", StringComparison.Ordinal))
        {
            return ScanVerdict.Clean;
        }

        if (at >= 0 && text.EndsWith(" FOUND", StringComparison.Ordinal) && text.Length > at + " FOUND".Length)
        {
            return ScanVerdict.Infected(text[at..^" FOUND".Length]);
        }

        return ScanVerdict.Failed("clamd gave an unexpected reply: " + (text.Length > 200 ? text[..200] : text));
    }

    private static ScanVerdict Parse(string reply, Connection connection) =>
        Parse(reply, connection.InSession ? connection.CommandNumber : null);

    private static bool IsConnectionFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is IOException or SocketException or ObjectDisposedException or TimeoutException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static async ValueTask<int> FillAsync(Stream content, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await content.ReadAsync(buffer[filled..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    private async ValueTask SendAsync(Connection connection, ReadOnlyMemory<byte> data, CancellationTokenSource timeout)
    {
        timeout.CancelAfter(_options.Timeout);
        await connection.Stream.WriteAsync(data, timeout.Token).ConfigureAwait(false);
        timeout.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
    }

    private static async Task<string?> ReadReplyAsync(Connection connection, CancellationToken cancellationToken)
    {
        var bytes = new byte[MaxReplyLength];
        var length = 0;
        while (length < bytes.Length)
        {
            var read = await connection.Stream.ReadAsync(bytes.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            var end = Array.IndexOf(bytes, (byte)0, length, read);
            length += read;
            if (end >= 0)
            {
                return Encoding.UTF8.GetString(bytes, 0, end);
            }
        }

        return length == 0 ? null : Encoding.UTF8.GetString(bytes, 0, length);
    }

    private async Task<string?> TryReadReplyAsync(Connection connection)
    {
        using var brief = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(1, _options.Timeout.TotalSeconds)));
        try
        {
            return await ReadReplyAsync(connection, brief.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<Connection> RentAsync(CancellationTokenSource timeout)
    {
        while (_idle.TryTake(out var idle))
        {
            Interlocked.Decrement(ref _idleCount);
            if (idle.IsAlive(_options.IdleTimeout))
            {
                idle.CommandNumber++;
                return idle;
            }

            idle.Dispose();
        }

        timeout.CancelAfter(_options.ConnectTimeout);
        var socket = await _endpoint.ConnectAsync(timeout.Token).ConfigureAwait(false);
        timeout.CancelAfter(System.Threading.Timeout.InfiniteTimeSpan);
        Interlocked.Increment(ref _connectionsOpened);
        var connection = new Connection(socket, inSession: _options.MaxIdleConnections > 0);
        if (connection.InSession)
        {
            try
            {
                await SendAsync(connection, SessionCommand, timeout).ConfigureAwait(false);
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        return connection;
    }

    private void Return(Connection connection)
    {
        if (_disposed || Interlocked.Increment(ref _idleCount) > _options.MaxIdleConnections)
        {
            Interlocked.Decrement(ref _idleCount);
            connection.End();
            return;
        }

        connection.IdleSince = Stopwatch.GetTimestamp();
        _idle.Add(connection);
    }

    /// <summary>One connection to clamd: a session (numbered commands) when pooled, else one command.</summary>
    private sealed class Connection : IDisposable
    {
        private readonly Socket _socket;

        public Connection(Socket socket, bool inSession)
        {
            _socket = socket;
            Stream = new NetworkStream(socket, ownsSocket: true);
            InSession = inSession;
        }

        public NetworkStream Stream { get; }

        public bool InSession { get; }

        /// <summary>Gets or sets the number clamd gives the current command of the session (the first is 1).</summary>
        public int CommandNumber { get; set; } = 1;

        public long IdleSince { get; set; }

        /// <summary>Whether an idle session can take another command: not idle too long, and not closed by clamd.</summary>
        public bool IsAlive(TimeSpan idleTimeout)
        {
            if (Stopwatch.GetElapsedTime(IdleSince) >= idleTimeout)
            {
                return false;
            }

            try
            {
                // Readable with nothing to read: clamd closed it (its IdleTimeout, a restart).
                return !(_socket.Poll(0, SelectMode.SelectRead) && _socket.Available == 0);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return false;
            }
        }

        /// <summary>Ends the session politely (<c>zEND</c>), then closes it.</summary>
        public void End()
        {
            try
            {
                _socket.Send(EndCommand, SocketFlags.None);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closed already: closing is all that is left.
                Debug.WriteLine(ex.Message);
            }

            Dispose();
        }

        public void Dispose() => Stream.Dispose();
    }
}
