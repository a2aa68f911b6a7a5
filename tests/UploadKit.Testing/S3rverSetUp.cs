namespace UploadKit.Testing;

/// <summary>
/// The base of a test project's <c>[SetUpFixture]</c> that runs s3rver (see <see cref="S3rverProcess"/>) for the
/// whole test run with one bucket: it starts the server before the first test, creates the bucket, and stops the
/// server and deletes its data after the last test. Tests reach the server through the static members.
/// </summary>
/// <param name="testsName">The tests that need s3rver, for the reason when node is missing.</param>
/// <param name="folderPrefix">The start of the throwaway data folder's name.</param>
/// <param name="bucketName">The bucket to create.</param>
public abstract class S3rverSetUp(string testsName, string folderPrefix, string bucketName)
{
    private static S3rverProcess? s_s3rver;

    /// <summary>The server's endpoint, <c>http://127.0.0.1:&lt;port&gt;</c>, once it runs.</summary>
    public static string ServiceUrl { get; private set; } = "";

    /// <summary>The throwaway folder s3rver keeps its buckets in.</summary>
    public static string DataDirectory => s_s3rver?.DataDirectory ?? throw new InvalidOperationException("s3rver is not running.");

    /// <summary>Starts s3rver with the bucket, or notes why it cannot run (see <see cref="RequireServer"/>).</summary>
    /// <returns>A task that completes when the server listens.</returns>
    [OneTimeSetUp]
    public async Task StartS3rverAsync()
    {
        s_s3rver = await S3rverProcess.StartAsync(testsName, folderPrefix, bucketName);
        if (s_s3rver.Unavailable is null)
        {
            ServiceUrl = s_s3rver.ServiceUrl;
            OnStarted();
        }
    }

    /// <summary>Stops s3rver and deletes its data folder.</summary>
    /// <returns>A task that completes when both are gone.</returns>
    [OneTimeTearDown]
    public async Task StopS3rverAsync()
    {
        OnStopping();
        if (s_s3rver is not null)
        {
            await s_s3rver.DisposeAsync();
            s_s3rver = null;
        }
    }

    /// <summary>Ends the current test as unavailable if s3rver could not be started.</summary>
    public static void RequireServer() => s_s3rver?.RequireRunning();

    /// <summary>Runs once s3rver listens, before the first test.</summary>
    protected virtual void OnStarted()
    {
    }

    /// <summary>Runs after the last test, before s3rver stops.</summary>
    protected virtual void OnStopping()
    {
    }
}
