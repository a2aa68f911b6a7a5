using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace UploadKit.Scanning.ClamAv;

/// <summary>A parsed clamd endpoint: <c>tcp://host:port</c> or <c>unix:///path</c>.</summary>
internal sealed record ClamAvEndpoint(string? Host, int Port, string? SocketPath)
{
    public static bool TryParse(string? value, out ClamAvEndpoint? endpoint, out string? error)
    {
        endpoint = null;
        error = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = "ClamAvOptions.Endpoint is required: tcp://host:port or unix:///path/to/clamd.ctl.";
            return false;
        }

        if (value.StartsWith("unix://", StringComparison.OrdinalIgnoreCase))
        {
            var path = value["unix://".Length..];
            if (!path.StartsWith('/'))
            {
                error = $"ClamAvOptions.Endpoint '{value}' must name an absolute socket path: unix:///path/to/clamd.ctl.";
                return false;
            }

            endpoint = new ClamAvEndpoint(null, 0, path);
            return true;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == "tcp" && uri.Host.Length > 0 && uri.Port > 0
            && uri.AbsolutePath is "/" or "")
        {
            endpoint = new ClamAvEndpoint(uri.Host, uri.Port, null);
            return true;
        }

        error = $"ClamAvOptions.Endpoint '{value}' is not tcp://host:port or unix:///path/to/clamd.ctl.";
        return false;
    }

    public async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        if (SocketPath is not null)
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
                return unix;
            }
            catch
            {
                unix.Dispose();
                throw;
            }
        }

        var addresses = IPAddress.TryParse(Host, out var address)
            ? [address]
            : await Dns.GetHostAddressesAsync(Host!, cancellationToken).ConfigureAwait(false);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, Port, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override string ToString() =>
        SocketPath is not null ? "unix://" + SocketPath : string.Create(CultureInfo.InvariantCulture, $"tcp://{Host}:{Port}");
}
