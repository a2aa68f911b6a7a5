using Microsoft.Extensions.DependencyInjection;
using UploadKit.Storage.Azure.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.Azure.Tests.Integration;

/// <summary>The storage contract on Azurite: each storage in a container of its own, with blocks small enough to stage several.</summary>
[Category("Integration")]
public sealed class AzureBlobStorageContractTests : StorageContract
{
    private readonly List<string> _containers = [];

    protected override async Task<IFileStorage> CreateStorageAsync(bool overwrite)
    {
        var container = await AzuriteServer.CreateContainerAsync(_containers);
        var options = AzureBlobStorageFactory.Bind(
            "azure", AzuriteServer.StorageOptions(container, $"\"Overwrite\": {(overwrite ? "true" : "false")}, \"ChunkSize\": 65536"));
        return AzureBlobStorageFactory.Create("azure", options, new ServiceCollection().BuildServiceProvider());
    }

    protected override Task DeleteStoreAsync() => AzuriteServer.DeleteContainersAsync(_containers);
}
