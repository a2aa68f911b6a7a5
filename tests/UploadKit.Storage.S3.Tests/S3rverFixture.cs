using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Storage.S3.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.S3.Tests;

/// <summary>
/// Starts @20minutes/s3rver 5.0.0 (pinned in the repository's package.json) on 127.0.0.1 for the test run, with a
/// throwaway data folder, and points the <c>minio</c> storage of appsettings.json at it through the environment
/// variable a deployment would set (<c>UploadKit__Storages__minio__Options__Endpoint</c>).
/// </summary>
[SetUpFixture]
public sealed class S3rverFixture
{
    public const string StorageName = "minio";
    public const string ServiceUrlVariable = "UploadKit__Storages__minio__Options__Endpoint";

    private static S3rverProcess? _s3rver;

    public static string ServiceUrl { get; private set; } = "";

    public static string DataDirectory => _s3rver?.DataDirectory ?? throw new InvalidOperationException("s3rver is not running.");

    public static string BucketName => "uploadkit-tests";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _s3rver = await S3rverProcess.StartAsync("the S3 tests", "uploadkit-s3rver-");
        if (_s3rver.Unavailable is not null)
        {
            return;
        }

        ServiceUrl = _s3rver.ServiceUrl;
        Environment.SetEnvironmentVariable(ServiceUrlVariable, ServiceUrl);
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
        Environment.SetEnvironmentVariable(ServiceUrlVariable, null);
        if (_s3rver is not null)
        {
            await _s3rver.DisposeAsync();
        }
    }

    /// <summary>Ends the test as unavailable if s3rver could not be started.</summary>
    public static void RequireServer() => _s3rver?.RequireRunning();

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
        var options = new S3StorageOptions { Endpoint = new Uri(ServiceUrl), ForcePathStyle = true, RequestChecksumCalculation = S3ChecksumMode.WhenRequired };
        return new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), S3StorageFactory.CreateClientConfig(options));
    }
}
