using System.Globalization;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace UploadKit.Benchmarks;

/// <summary>
/// Kestrel socket transport settings a .NET server of the benchmark can be started with, written as flags joined by
/// <c>+</c>: <c>nowait</c> (<see cref="SocketTransportOptions.WaitForDataBeforeAllocatingBuffer"/> = false), <c>inline</c>
/// (<see cref="SocketTransportOptions.UnsafePreferInlineScheduling"/> = true), <c>ioqueue=N</c>
/// (<see cref="SocketTransportOptions.IOQueueCount"/>) and <c>maxread=KiB</c> (<see cref="SocketTransportOptions.MaxReadBufferSize"/>,
/// how much the transport reads ahead of the application before it pauses; 1 MiB by default). <c>nospin</c> is not a
/// transport option but the runtime's: the server process runs with <c>DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0</c>, so
/// an idle thread-pool thread goes to sleep at once instead of spinning (calling <c>sched_yield</c>) in case work comes.
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
                case "nospin" when value.Length == 0:
                    // Set in the server's environment (see Environment), which the runtime reads when it starts.
                    break;
                default:
                    throw new ArgumentException(
                        $"Unknown transport setting '{flag}': nowait, inline, ioqueue=N, maxread=KiB or nospin, joined by '+'.");
            }
        }
    }

    /// <summary>The environment variables the server process needs for <paramref name="spec"/>.</summary>
    public static IReadOnlyDictionary<string, string> Environment(string spec) =>
        spec.Split('+', StringSplitOptions.RemoveEmptyEntries).Contains("nospin")
            ? new Dictionary<string, string> { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" }
            : new Dictionary<string, string>();

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
            "nospin" => "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 (the runtime's, in the environment)",
            _ => flag,
        };
    }));
}
