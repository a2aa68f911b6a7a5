using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using UploadKit.Testing;

namespace UploadKit.Samples.Tests;

/// <summary>Runs a script of tests/browser with Node against a running sample, and reads what a sample stored.</summary>
internal static class BrowserScript
{
    /// <summary>
    /// Runs <c>tests/browser/{script}</c> against <paramref name="baseAddress"/>; reports the test unavailable when Node,
    /// Chromium or playwright-core is missing. Asserts the script passed.
    /// </summary>
    /// <returns>The SHA-256 of every file the script says must be stored, upper-case and sorted.</returns>
    public static async Task<string[]> RunAsync(string script, Uri baseAddress)
    {
        var output = await RunCheckedAsync(script, baseAddress);
        return UploadedHashes(output);
    }

    /// <summary>The hashes a script's last line (<c>{"uploaded": [...]}</c>) names, sorted.</summary>
    private static string[] UploadedHashes(string output)
    {
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        return JsonDocument.Parse(lastLine).RootElement.GetProperty("uploaded").EnumerateArray()
            .Select(e => e.GetString()!).Order().ToArray();
    }

    /// <summary>
    /// Runs <c>tests/browser/{script}</c> against <paramref name="baseAddress"/>; reports the test unavailable when Node,
    /// Chromium or playwright-core is missing. Asserts the script passed.
    /// </summary>
    /// <returns>What the script printed.</returns>
    public static Task<string> RunCheckedAsync(string script, Uri baseAddress) =>
        RunNodeAsync(
            Path.Combine("tests", "browser", script), "playwright-core", needsChromium: true, TimeSpan.FromMinutes(3), baseAddress.ToString());

    /// <summary>
    /// Runs <c>tests/clients/{script}</c> (a third-party client driven from Node) against <paramref name="baseAddress"/>;
    /// reports the test unavailable when Node or the client's npm package is missing. Asserts the script passed.
    /// </summary>
    /// <returns>The SHA-256 of every file the script says must be stored, sorted.</returns>
    public static async Task<string[]> RunClientAsync(string script, string package, Uri baseAddress, params string[] arguments)
    {
        var output = await RunNodeAsync(
            Path.Combine("tests", "clients", script), package, needsChromium: false, TimeSpan.FromMinutes(8), [baseAddress.ToString(), .. arguments]);
        return UploadedHashes(output);
    }

    /// <summary>
    /// Runs the Node <paramref name="script"/> (a path from the repository root) with <paramref name="arguments"/>; reports the
    /// test unavailable when Node, Chromium (if needed) or the npm <paramref name="package"/> is missing. Asserts it exited 0.
    /// </summary>
    /// <returns>What the script printed.</returns>
    public static async Task<string> RunNodeAsync(string script, string package, bool needsChromium, TimeSpan timeout, params string[] arguments)
    {
        var node = ServiceProcess.FindProgram("node");
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        if (node is null)
        {
            TestEnvironment.Unavailable("node is not on PATH; install Node.js 20 or later to run the browser test.");
        }

        if (needsChromium && !File.Exists(chromium))
        {
            TestEnvironment.Unavailable($"{chromium} is missing; install Debian's chromium (eng/install-prerequisites.sh does).");
        }

        if (!File.Exists(Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", package, "package.json")))
        {
            TestEnvironment.Unavailable(
                $"node_modules/{package} is missing; run `npm ci` in the repository root (eng/install-prerequisites.sh does).");
        }

        var path = Path.Combine(TestEnvironment.RepositoryRoot, script);
        var (exitCode, output) = await RunProcessAsync(node!, [path, .. arguments], chromium, timeout);
        TestContext.Out.WriteLine(output);
        Assert.That(exitCode, Is.Zero, output);
        return output;
    }

    /// <summary>SHA-256 of every file stored under <c>{directory}/media</c>, sorted, leaving out the storage's metadata folder.</summary>
    public static string[] StoredHashes(string directory)
    {
        var media = Path.Combine(directory, "media");
        return Directory.Exists(media)
            ? Directory.EnumerateFiles(media, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetRelativePath(media, f).StartsWith(".uploadkit", StringComparison.Ordinal))
                .Select(f => Sha256Hex(File.ReadAllBytes(f)))
                .Order()
                .ToArray()
            : [];
    }

    /// <summary>
    /// Asserts that a sample's storage holds exactly the files a script uploaded: <paramref name="names"/>, with the
    /// <paramref name="hashes"/> the script reported, and nothing left under the storage's reserved names.
    /// </summary>
    public static void AssertStoredExactly<T>(SampleApp<T> app, string[] hashes, params string[] names)
        where T : class
    {
        Assert.That(hashes, Has.Length.EqualTo(names.Length), "the script reported every upload");
        Assert.That(StoredHashes(app.Directory), Is.EqualTo(hashes), "the storage holds the uploaded files, byte for byte");
        Assert.That(
            app.StoredFiles().Order(StringComparer.Ordinal), Is.EqualTo(names.Order(StringComparer.Ordinal)), "under the names the client gave");
        Assert.That(ReservedLeftovers(app.Directory), Is.Empty, "no part or temporary file is left in the storage's reserved folder");
    }

    /// <summary>What the storage holds under its reserved names besides the metadata of stored files: resumable part
    /// files, temporary files.</summary>
    public static string[] ReservedLeftovers(string directory)
    {
        var media = Path.Combine(directory, "media");
        var meta = Path.Combine(".uploadkit", "meta") + Path.DirectorySeparatorChar;
        return System.IO.Directory.Exists(media)
            ? System.IO.Directory.EnumerateFiles(media, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(media, f))
                .Where(f => f.Split(Path.DirectorySeparatorChar).Any(s => s.StartsWith(".uploadkit", StringComparison.Ordinal)))
                .Where(f => !f.StartsWith(meta, StringComparison.Ordinal) || !File.Exists(Path.Combine(media, f[meta.Length..])))
                .ToArray()
            : [];
    }

    private static async Task<(int ExitCode, string Output)> RunProcessAsync(string program, string[] arguments, string chromium, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = TestEnvironment.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["CHROMIUM"] = chromium;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"timed out after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }
}
