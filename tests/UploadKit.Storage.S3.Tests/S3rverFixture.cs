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
/// variable a deployment would set (<c>UploadKit__Storages__minio__Options__ServiceUrl</c>).
/// </summary>
[SetUpFixture]
public sealed class S3rverFixture
{
    public const string StorageName = "minio";
    public const string ServiceUrlVariable = "UploadKit__Storages__minio__Options__ServiceUrl";

    private static ServiceProcess? _server;
    private static string? _directory;
    private static string? _unavailable;

    public static string ServiceUrl { get; private set; } = "";

    public static string DataDirectory => _directory ?? throw new InvalidOperationException("s3rver is not running.");

    public static string BucketName => "uploadkit-tests";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var node = ServiceProcess.FindProgram("node");
        var script = Path.Combine(TestEnvironment.RepositoryRoot, "tests", "services", "s3rver.js");
        var package = Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", "@20minutes", "s3rver", "package.json");
        if (node is null)
        {
            _unavailable = "node is not on PATH; install Node.js 20 or later to run the S3 tests.";
            return;
        }

        if (!File.Exists(package))
        {
            _unavailable = "node_modules/@20minutes/s3rver is missing; run `npm ci` in the repository root (eng/install-prerequisites.sh does).";
            return;
        }

        _directory = Path.Combine(Path.GetTempPath(), "uploadkit-s3rver-" + Guid.NewGuid().ToString("N"));
        var port = ServiceProcess.GetFreePort();
        // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
        _server = await ServiceProcess.StartAsync(node, ["--openssl-legacy-provider", script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), _directory], port);
        ServiceUrl = $"http://127.0.0.1:{port}";
        Environment.SetEnvironmentVariable(ServiceUrlVariable, ServiceUrl);
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
        Environment.SetEnvironmentVariable(ServiceUrlVariable, null);
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
        var options = new S3StorageOptions { ServiceUrl = ServiceUrl, ForcePathStyle = true, RequestChecksumCalculation = S3ChecksumMode.WhenRequired };
        return new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), S3StorageFactory.CreateClientConfig(options));
    }
}
