using System.Globalization;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using UploadKit.Testing;

namespace UploadKit.Samples.Tests;

/// <summary>
/// Starts @20minutes/s3rver (pinned in the repository's package.json) on 127.0.0.1 for the test run, with a
/// throwaway data folder and the article's bucket <c>tracks</c>; <see cref="MinioSettings"/> is the configuration a
/// user adds to point the TrackApi sample's <c>minio</c> storage at it.
/// </summary>
[SetUpFixture]
public sealed class S3rverFixture
{
    public const string BucketName = "tracks";

    private static ServiceProcess? _server;
    private static string? _directory;
    private static string? _unavailable;

    public static string ServiceUrl { get; private set; } = "";

    /// <summary>The README's <c>UploadKit:Storages:minio</c> section, pointed at s3rver, as configuration keys.</summary>
    public static Dictionary<string, string?> MinioSettings => new()
    {
        ["UploadKit:Storages:minio:Backend"] = "S3",
        ["UploadKit:Storages:minio:Options:BucketName"] = BucketName,
        ["UploadKit:Storages:minio:Options:ServiceUrl"] = ServiceUrl,
        ["UploadKit:Storages:minio:Options:ForcePathStyle"] = "true",
        ["UploadKit:Storages:minio:Options:AccessKey"] = "S3RVER",
        ["UploadKit:Storages:minio:Options:SecretKey"] = "S3RVER",
        // s3rver refuses the SDK's default aws-chunked uploads with a CRC32 trailer; see the S3 package's README.
        ["UploadKit:Storages:minio:Options:RequestChecksumCalculation"] = "WhenRequired",
    };

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var node = ServiceProcess.FindProgram("node");
        var script = Path.Combine(TestEnvironment.RepositoryRoot, "tests", "services", "s3rver.js");
        var package = Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", "@20minutes", "s3rver", "package.json");
        if (node is null)
        {
            _unavailable = "node is not on PATH; install Node.js 20 or later to run the S3 tests of the samples.";
            return;
        }

        if (!File.Exists(package))
        {
            _unavailable = "node_modules/@20minutes/s3rver is missing; run `npm ci` in the repository root (eng/install-prerequisites.sh does).";
            return;
        }

        _directory = Path.Combine(Path.GetTempPath(), "uploadkit-samples-s3rver-" + Guid.NewGuid().ToString("N"));
        var port = ServiceProcess.GetFreePort();
        _server = await ServiceProcess.StartAsync(node, ["--openssl-legacy-provider", script, port.ToString(CultureInfo.InvariantCulture), _directory], port);
        ServiceUrl = $"http://127.0.0.1:{port}";
        using var client = CreateClient();
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = BucketName });
        }
        catch (AmazonS3Exception ex)
        {
            throw new InvalidOperationException($"Creating the bucket on s3rver failed: {ex.Message}\n{_server.Output}", ex);
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_directory is not null && Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Ends the test as unavailable if s3rver could not be started.</summary>
    public static void RequireServer()
    {
        if (_unavailable is not null)
        {
            TestEnvironment.Unavailable(_unavailable);
        }
    }

    /// <summary>A plain SDK client for looking into the bucket behind the app's back.</summary>
    public static AmazonS3Client CreateClient() => new(
        new BasicAWSCredentials("S3RVER", "S3RVER"),
        new AmazonS3Config
        {
            ServiceURL = ServiceUrl,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });
}
