using System.Text;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Storage.Azure.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.Azure.Tests.Integration;

/// <summary>
/// Starts Azurite's Blob service (the npm package pinned in the repository's package.json) on 127.0.0.1 with a throwaway
/// data folder for the integration tests, and stops it after them.
/// </summary>
[SetUpFixture]
public sealed class AzuriteServer
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The published key of Azurite's development account.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static ServiceProcess? s_process;
    private static TempDirectory? s_dataDirectory;
    private static string? s_unavailable;

    /// <summary>Gets the Blob service endpoint of the running Azurite.</summary>
    public static Uri ServiceUri => new($"http://127.0.0.1:{s_process!.Port}/{AccountName}");

    /// <summary>Gets a connection string for the running Azurite.</summary>
    public static string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={ServiceUri};";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var node = ServiceProcess.FindProgram("node");
        var entry = Path.Combine(TestEnvironment.RepositoryRoot, "node_modules", "azurite", "dist", "src", "blob", "main.js");
        if (node is null)
        {
            s_unavailable = "Node.js is not installed; Azurite needs it (run eng/install-prerequisites.sh).";
            return;
        }

        if (!File.Exists(entry))
        {
            s_unavailable = $"Azurite is not installed at {entry}; run `npm ci` in the repository root.";
            return;
        }

        s_dataDirectory = new TempDirectory("uploadkit-azurite-");
        var port = ServiceProcess.GetFreePort();
        try
        {
            s_process = await ServiceProcess.StartAsync(node,
            [
                entry, "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--location", s_dataDirectory.Path, "--skipApiVersionCheck", "--disableTelemetry", "--silent",
            ], port);
        }
        catch (InvalidOperationException ex)
        {
            s_unavailable = "Azurite did not start: " + ex.Message;
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (s_process is not null)
        {
            await s_process.DisposeAsync();
            s_process = null;
        }

        s_dataDirectory?.Dispose();
        s_dataDirectory = null;
    }

    /// <summary>Ends the test as unavailable unless Azurite runs.</summary>
    public static void Require()
    {
        if (s_process is null)
        {
            TestEnvironment.Unavailable(s_unavailable ?? "Azurite is not running.");
        }
    }

    /// <summary>A fresh container name for one test.</summary>
    public static string NewContainerName() => "t" + Guid.NewGuid().ToString("N");

    /// <summary>Creates a fresh container, remembering its name in <paramref name="containers"/> to delete.</summary>
    public static async Task<string> CreateContainerAsync(List<string> containers)
    {
        Require();
        var container = NewContainerName();
        containers.Add(container);
        await ServiceClient().CreateBlobContainerAsync(container);
        return container;
    }

    /// <summary>Creates a fresh container and a storage named <c>azure</c> on it, configured as appsettings would, with extra options.</summary>
    public static async Task<AzureBlobStorage> CreateStorageAsync(
        List<string> containers, string extraOptions = "", IServiceProvider? services = null)
    {
        var container = await CreateContainerAsync(containers);
        var options = AzureBlobStorageFactory.Bind("azure", StorageOptions(container, extraOptions));
        return AzureBlobStorageFactory.Create("azure", options, services ?? new ServiceCollection().BuildServiceProvider());
    }

    /// <summary>Deletes the containers a test created and forgets them.</summary>
    public static async Task DeleteContainersAsync(List<string> containers)
    {
        foreach (var container in containers)
        {
            await ServiceClient().GetBlobContainerClient(container).DeleteIfExistsAsync();
        }

        containers.Clear();
    }

    /// <summary>The appsettings a user writes for a storage named <c>azure</c> on Azurite, with extra options.</summary>
    public static IConfigurationSection StorageOptions(string containerName, string extraOptions = "", bool connectionString = false)
    {
        var access = connectionString
            ? $"\"ConnectionString\": \"{ConnectionString}\""
            : $"\"AccountName\": \"{AccountName}\", \"AccountKey\": \"{AccountKey}\", \"Endpoint\": \"{ServiceUri}\"";
        var json = $$"""
            {
              "UploadKit": {
                "Storages": {
                  "azure": {
                    "Backend": "AzureBlob",
                    "Options": { {{access}}, "Container": "{{containerName}}"{{(extraOptions.Length > 0 ? ", " + extraOptions : "")}} }
                  }
                }
              }
            }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        return configuration.GetSection("UploadKit:Storages:azure:Options");
    }

    /// <summary>A service client for checks that go around the storage.</summary>
    public static BlobServiceClient ServiceClient() => new(ConnectionString);
}
