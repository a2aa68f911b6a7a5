using System.Globalization;

namespace UploadKit.Testing;

/// <summary>
/// @20minutes/s3rver (pinned in the repository's package.json) running on 127.0.0.1 on a free port with a throwaway
/// data folder, through <c>tests/services/s3rver.js</c>; or, when node or the package is missing, the reason it is not.
/// Disposing it stops the server and deletes the folder.
/// </summary>
public sealed class S3rverProcess : IAsyncDisposable
{
    private readonly ServiceProcess? _server;
    private readonly TempDirectory? _directory;

    private S3rverProcess(ServiceProcess? server, TempDirectory? directory, string? unavailable)
    {
        _server = server;
        _directory = directory;
        Unavailable = unavailable;
    }

    /// <summary>Why s3rver could not be started, or <see langword="null"/> when it runs.</summary>
    public string? Unavailable { get; }

    /// <summary>The server's endpoint, <c>http://127.0.0.1:&lt;port&gt;</c>.</summary>
    public string ServiceUrl => $"http://127.0.0.1:{Running.Port}";

    /// <summary>The throwaway folder s3rver keeps its buckets in.</summary>
    public string DataDirectory => _directory?.Path ?? throw new InvalidOperationException("s3rver is not running.");

    /// <summary>Everything s3rver printed so far.</summary>
    public string Output => Running.Output;

    private ServiceProcess Running => _server ?? throw new InvalidOperationException("s3rver is not running.");

    /// <summary>
    /// Starts s3rver, or returns one whose <see cref="Unavailable"/> says why it cannot (node or the npm package missing).
    /// </summary>
    /// <param name="testsName">The tests that need it, for the reason when node is missing (e.g. <c>the S3 tests</c>).</param>
    /// <param name="folderPrefix">The start of the throwaway data folder's name in the temp folder.</param>
    /// <param name="buckets">The buckets s3rver creates before it listens.</param>
    /// <returns>The running server, or the reason it is unavailable.</returns>
    /// <exception cref="InvalidOperationException">s3rver exited or did not listen in time; the folder is deleted.</exception>
    public static async Task<S3rverProcess> StartAsync(string testsName, string folderPrefix, params string[] buckets)
    {
        var node = ServiceProcess.FindProgram("node");
        var script = Path.Combine(TestEnvironment.RepositoryRoot, "tests", "services", "s3rver.js");
        var package = Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", "@20minutes", "s3rver", "package.json");
        if (node is null)
        {
            return new S3rverProcess(null, null, $"node is not on PATH; install Node.js 20 or later to run {testsName}.");
        }

        if (!File.Exists(package))
        {
            return new S3rverProcess(
                null, null, "node_modules/@20minutes/s3rver is missing; run `npm ci` in the repository root (eng/install-prerequisites.sh does).");
        }

        var directory = new TempDirectory(folderPrefix);
        var port = ServiceProcess.GetFreePort();
        try
        {
            // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
            var server = await ServiceProcess.StartAsync(
                node, ["--openssl-legacy-provider", script, port.ToString(CultureInfo.InvariantCulture), directory.Path, .. buckets], port);
            return new S3rverProcess(server, directory, null);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Ends the current test as <see cref="TestEnvironment.Unavailable"/> if s3rver could not be started.</summary>
    public void RequireRunning()
    {
        if (Unavailable is not null)
        {
            TestEnvironment.Unavailable(Unavailable);
        }
    }

    /// <summary>Stops s3rver and deletes its data folder.</summary>
    /// <returns>A task that completes when both are gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _directory?.Dispose();
    }
}
