using Amazon.S3;
using UploadKit.Storage.S3;
using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

/// <summary>Runs s3rver for the test run, for the servers that share one bucket as well as one Redis.</summary>
[SetUpFixture]
public sealed class S3rverFixture() : S3rverSetUp("the Redis tests with S3", "uploadkit-s3rver-redis-", BucketName)
{
    public const string BucketName = "uploadkit-redis-tests";

    /// <summary>Sets an S3 storage's options to the running s3rver, under <paramref name="keyPrefix"/>.</summary>
    public static void Configure(S3StorageOptions options, string keyPrefix)
    {
        RequireServer();
        options.Bucket = BucketName;
        options.Endpoint = new Uri(ServiceUrl);
        options.Region = "us-east-1";
        options.AccessKey = "S3RVER";
        options.SecretKey = "S3RVER";
        options.ForcePathStyle = true;
        options.RequestChecksumCalculation = S3ChecksumMode.WhenRequired;
        options.KeyPrefix = keyPrefix;
    }

    /// <summary>A plain SDK client for checking the bucket behind the storages' back.</summary>
    public static AmazonS3Client CreateClient() => new(
        new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"),
        new AmazonS3Config { ServiceURL = ServiceUrl, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
}
