using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using UploadKit.Testing;

namespace UploadKit.Samples.Tests;

/// <summary>The FormUpload sample: its page driven in Chromium, and its antiforgery check over plain HTTP.</summary>
[Category("Integration")]
public class FormUploadTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["UploadKit:Storages:default:Options:Location"] = "{dir}/media",
    };

    [Test]
    public async Task Page_TwoFilesDropAndRefusal_ProgressReaches100AndErrorShowsNextToField()
    {
        var node = ServiceProcess.FindProgram("node");
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";
        var script = Path.Combine(TestEnvironment.RepositoryRoot, "tests", "browser", "formupload.spec.mjs");
        if (node is null)
        {
            TestEnvironment.Unavailable("node is not on PATH; install Node.js 20 or later to run the browser test.");
        }

        if (!File.Exists(chromium))
        {
            TestEnvironment.Unavailable($"{chromium} is missing; install Debian's chromium (eng/install-prerequisites.sh does).");
        }

        if (!File.Exists(Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", "playwright-core", "package.json")))
        {
            TestEnvironment.Unavailable("node_modules/playwright-core is missing; run `npm ci` in the repository root (eng/install-prerequisites.sh does).");
        }

        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(Settings);

        var (exitCode, output) = await RunAsync(node!, [script, app.BaseAddress.ToString()], chromium, TimeSpan.FromMinutes(3));

        TestContext.Out.WriteLine(output);
        Assert.That(exitCode, Is.Zero, output);
        var lastLine = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        var expected = JsonDocument.Parse(lastLine).RootElement.GetProperty("uploaded").EnumerateArray().Select(e => e.GetString()!.ToUpperInvariant()).Order().ToArray();
        Assert.That(expected, Has.Length.EqualTo(3));
        Assert.That(StoredHashes(app.Directory), Is.EqualTo(expected), "the storage holds exactly the accepted files, byte for byte; the refused upload left nothing");
    }

    [Test]
    public async Task Upload_WithoutAntiforgeryToken_Answers400BeforeReadingAndStoresNothing()
    {
        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(Settings);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("Holiday"), "title" },
        };
        var file = new ByteArrayContent(RandomNumberGenerator.GetBytes(10_000));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(file, "files", "notes.txt");

        using var response = await app.Client.PostAsync("upload", form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("antiforgery token is missing"));
        Assert.That(StoredHashes(app.Directory), Is.Empty);
    }

    [Test]
    public async Task Page_Get_RendersFormWithTokenBeforeTheFileField()
    {
        await using var app = await SampleApp<FormUpload.UploadResult>.StartAsync(Settings);

        var html = await app.Client.GetStringAsync("");

        var token = html.IndexOf("type=\"hidden\"", StringComparison.Ordinal);
        var files = html.IndexOf("type=\"file\"", StringComparison.Ordinal);
        Assert.That(token, Is.GreaterThan(0));
        Assert.That(files, Is.GreaterThan(token), "the token is the form's first field");
        Assert.That(html, Does.Contain("multiple"));
    }

    /// <summary>SHA-256 of every stored file, sorted, leaving out the storage's metadata folder.</summary>
    private static string[] StoredHashes(string directory)
    {
        var media = Path.Combine(directory, "media");
        return Directory.Exists(media)
            ? Directory.EnumerateFiles(media, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetRelativePath(media, f).StartsWith(".uploadkit", StringComparison.Ordinal))
                .Select(f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))))
                .Order()
                .ToArray()
            : [];
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, string chromium, TimeSpan timeout)
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
