using Amazon.Runtime;
using Amazon.S3;
using UploadKit.Testing;

namespace UploadKit.Samples.Tests;

/// <summary>
/// Runs s3rver for the test run with the article's bucket <c>tracks</c>; <see cref="MinioSettings"/> is the
/// configuration a user adds to point the TrackApi sample's <c>minio</c> storage at it.
/// </summary>
[SetUpFixture]
public sealed class S3rverFixture() : S3rverSetUp("the S3 tests of the samples", "uploadkit-samples-s3rver-", BucketName)
{
    public const string BucketName = "tracks";

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
