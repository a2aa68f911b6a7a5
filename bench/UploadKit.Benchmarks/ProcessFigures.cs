using System.Globalization;

namespace UploadKit.Benchmarks;

/// <summary>
/// Figures of another process read from <c>/proc</c>: what the clients of every mode measure a server by, whatever the
/// server runs on (the .NET server or a peer), so that every row is comparable.
/// </summary>
internal static class ProcessFigures
{
    /// <summary>Clock ticks per second of <c>/proc/[pid]/stat</c> (USER_HZ, 100 on Linux).</summary>
    private const double ClockTicks = 100;

    /// <summary>The server's user and system processor time so far, from <c>/proc/[pid]/stat</c>.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // Fields after the command name, which is in parentheses: state is field 3, utime 14, stime 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ClockTicks;
    }

    /// <summary>The resident set of the process now (<c>VmRSS</c> of <c>/proc/[pid]/status</c>), in bytes.</summary>
    public static long ResidentSet(int pid) => StatusKiB(pid, "VmRSS:") * 1024;

    /// <summary>Resets the process's peak resident set to its resident set now (<c>clear_refs</c>); false where the kernel refuses.</summary>
    public static bool ResetHighWaterMark(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The server's peak resident set since its last reset (<c>VmHWM</c> of <c>/proc/[pid]/status</c>), in bytes.</summary>
    public static long HighWaterMark(int pid) => StatusKiB(pid, "VmHWM:") * 1024;

    private static long StatusKiB(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
