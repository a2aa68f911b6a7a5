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

    private static S3rverProcess? _s3rver;

    public static string ServiceUrl { get; private set; } = "";

    /// <summary>The README's <c>UploadKit:Storages:minio</c> section, pointed at s3rver, as configuration keys.</summary>
    public static Dictionary<string, string?> MinioSettings => new()
    {
        ["UploadKit:Storages:minio:Backend"] = "S3",
        ["UploadKit:Storages:minio:Options:Bucket"] = BucketName,
        ["UploadKit:Storages:minio:Options:Endpoint"] = ServiceUrl,
        ["UploadKit:Storages:minio:Options:ForcePathStyle"] = "true",
        ["UploadKit:Storages:minio:Options:AccessKey"] = "S3RVER",
        ["UploadKit:Storages:minio:Options:SecretKey"] = "S3RVER",
        // s3rver refuses the SDK's default aws-chunked uploads with a CRC32 trailer; see the S3 package's README.
        ["UploadKit:Storages:minio:Options:RequestChecksumCalculation"] = "WhenRequired",
    };

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _s3rver = await S3rverProcess.StartAsync("the S3 tests of the samples", "uploadkit-samples-s3rver-");
        if (_s3rver.Unavailable is not null)
        {
            return;
        }

        ServiceUrl = _s3rver.ServiceUrl;
        using var client = CreateClient();
        try
        {
            await client.PutBucketAsync(new PutBucketRequest { BucketName = BucketName });
        }
        catch (AmazonS3Exception ex)
        {
            throw new InvalidOperationException($"Creating the bucket on s3rver failed: {ex.Message}\n{_s3rver.Output}", ex);
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_s3rver is not null)
        {
            await _s3rver.DisposeAsync();
        }
    }

    /// <summary>Ends the test as unavailable if s3rver could not be started.</summary>
    public static void RequireServer() => _s3rver?.RequireRunning();

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
