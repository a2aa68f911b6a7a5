using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace UploadKit.Benchmarks;

/// <summary>
/// Kestrel socket transport settings a .NET server of the benchmark can be started with, written as flags joined by
/// <c>+</c>: <c>nowait</c> (<see cref="SocketTransportOptions.WaitForDataBeforeAllocatingBuffer"/> = false), <c>inline</c>
/// (<see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/> = true), <c>ioqueue=N</c>
/// (<see cref="SocketTransportOptions.IOQueueCount"/>) and <c>maxread=KiB</c> (<see cref="SocketTransportOptions.MaxReadBufferSize"/>,
/// how much the transport reads ahead of the application before it pauses; 1 MiB by default).
/// </summary>
internal static class TransportSettings
{
    /// <summary>Checks <paramref name="spec"/>; returns it unchanged.</summary>
    public static string Validate(string spec)
    {
        Apply(spec, new SocketTransportOptions());
        return spec;
    }

    /// <summary>Sets the options <paramref name="spec"/> names.</summary>
    public static void Apply(string spec, SocketTransportOptions options)
    {
        foreach (var flag in spec.Split('+', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = flag.IndexOf('=') is var at and >= 0 ? (flag[..at], flag[(at + 1)..]) : (flag, "");
            switch (key)
            {
                case "nowait" when value.Length == 0:
                    options.WaitForDataBeforeAllocatingBuffer = false;
                    break;
                case "inline" when value.Length == 0:
                    options.UnsafePreferInlineScheduling = true;
                    break;
                case "ioqueue":
                    options.IOQueueCount = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "maxread":
                    options.MaxReadBufferSize = long.Parse(value, CultureInfo.InvariantCulture) * 1024;
                    break;
                default:
                    throw new ArgumentException($"Unknown transport setting '{flag}': nowait, inline, ioqueue=N or maxread=KiB, joined by '+'.");
            }
        }
    }

    /// <summary>The settings as C# assignments, for the report.</summary>
    public static string Describe(string spec) => string.Join(", ", spec.Split('+', StringSplitOptions.RemoveEmptyEntries).Select(flag =>
    {
        var (key, value) = flag.IndexOf('=') is var at and >= 0 ? (flag[..at], flag[(at + 1)..]) : (flag, "");
        return key switch
        {
            "nowait" => "WaitForDataBeforeAllocatingBuffer = false",
            "inline" => "UnsafePreferInlineScheduling = true",
            "ioqueue" => "IOQueueCount = " + value,
            "maxread" => $"MaxReadBufferSize = {value} KiB",
            _ => flag,
        };
    }));
}
