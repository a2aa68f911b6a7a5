using Amazon.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Storage.S3.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.S3.Tests;

/// <summary>
/// Runs s3rver for the test run with the bucket <see cref="BucketName"/>, and points the <c>minio</c> storage of
/// appsettings.json at it through the environment variable a deployment would set
/// (<c>UploadKit__Storages__minio__Options__Endpoint</c>).
/// </summary>
[SetUpFixture]
public sealed class S3rverFixture() : S3rverSetUp("the S3 tests", "uploadkit-s3rver-", BucketName)
{
    public const string StorageName = "minio";
    public const string ServiceUrlVariable = "UploadKit__Storages__minio__Options__Endpoint";
    public const string BucketName = "uploadkit-tests";

    protected override void OnStarted() => Environment.SetEnvironmentVariable(ServiceUrlVariable, ServiceUrl);

    protected override void OnStopping() => Environment.SetEnvironmentVariable(ServiceUrlVariable, null);

    /// <summary>
    /// The app's configuration: appsettings.json, then environment variables, then <paramref name="overrides"/>
    /// (as an app's appsettings.Development.json would).
    /// </summary>
    public static IConfiguration LoadConfiguration(IDictionary<string, string?>? overrides = null)
    {
        using var json = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "appsettings.json"));
        var builder = new ConfigurationBuilder().AddJsonStream(json).AddEnvironmentVariables();
        if (overrides is not null)
        {
            builder.AddInMemoryCollection(overrides.ToDictionary(kv => $"UploadKit:Storages:{StorageName}:Options:{kv.Key}", kv => kv.Value));
        }

        return builder.Build();
    }

    /// <summary>Creates the <c>minio</c> storage the way the registry does: through the <c>S3</c> backend factory.</summary>
    public static S3Storage CreateStorage(IDictionary<string, string?>? overrides = null)
    {
        RequireServer();
        var configuration = LoadConfiguration(overrides);
        var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var section = configuration.GetSection($"UploadKit:Storages:{StorageName}:Options");
        return (S3Storage)S3StorageFactory.Create(new StorageBackendContext(StorageName, section, services));
    }

    /// <summary>A plain SDK client for checking the bucket behind the storage's back.</summary>
    public static AmazonS3Client CreateClient()
    {
        var options = new S3StorageOptions
        {
            Endpoint = new Uri(ServiceUrl),
            ForcePathStyle = true,
            RequestChecksumCalculation = S3ChecksumMode.WhenRequired
        };
        return new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), S3StorageFactory.CreateClientConfig(options));
    }
}
