using System.Diagnostics;
using System.Runtime.InteropServices;

namespace UploadKit.Benchmarks;

/// <summary>What the report says about the machine the figures come from.</summary>
internal sealed record MachineFacts(int ProcessorCount, string Cpu, string Memory, string DotnetSdk, string Runtime, string Os, string LoadBefore)
{
    public static MachineFacts Collect(string repositoryRoot)
    {
        var cpu = ReadLine("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = ReadLine("/proc/meminfo", "MemTotal") ?? "unknown";
        return new MachineFacts(Environment.ProcessorCount, cpu, memory, DotnetVersion(repositoryRoot), RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription, LoadAverage());
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string? ReadLine(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }

    private static string DotnetVersion(string repositoryRoot)
    {
        try
        {
            var start = new ProcessStartInfo("dotnet", "--version")
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
                WorkingDirectory = repositoryRoot,
            };
            using var process = Process.Start(start)!;
            var version = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return version;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
