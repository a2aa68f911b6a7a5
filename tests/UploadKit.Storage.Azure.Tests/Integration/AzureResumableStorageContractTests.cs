using Microsoft.Extensions.DependencyInjection;
using UploadKit.Storage.Azure.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.Azure.Tests.Integration;

/// <summary>
/// The resumable-write contract on Azurite: each test's storages in a container of their own, with blocks of the
/// contract's part size, so that appends around it stage one block, several, or a short tail.
/// </summary>
[Category("Integration")]
public sealed class AzureResumableStorageContractTests : ResumableStorageContract
{
    private readonly List<string> _containers = [];

    protected override async Task<IFileStorage> CreateStorageAsync() => CreateStorage(await AzuriteServer.CreateContainerAsync(_containers));

    protected override Task<IFileStorage> CreateSiblingStorageAsync() => Task.FromResult(Track(CreateStorage(_containers[0])));

    protected override async Task<IReadOnlyList<string>> LeftoversAsync() => await AzureLeftovers.FindAsync(_containers);

    protected override Task DeleteStoreAsync() => AzuriteServer.DeleteContainersAsync(_containers);

    private IFileStorage CreateStorage(string container)
    {
        var options = AzureBlobStorageFactory.Bind(
            "azure", AzuriteServer.StorageOptions(container, $"\"ChunkSize\": {PartSize}, \"KeyPrefix\": \"media\""));
        return AzureBlobStorageFactory.Create("azure", options, new ServiceCollection().BuildServiceProvider());
    }
}
