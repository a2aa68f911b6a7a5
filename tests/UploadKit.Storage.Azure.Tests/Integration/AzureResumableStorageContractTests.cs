using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
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

    protected override async Task<IFileStorage> CreateStorageAsync()
    {
        AzuriteServer.Require();
        var container = AzuriteServer.NewContainerName();
        _containers.Add(container);
        await AzuriteServer.ServiceClient().CreateBlobContainerAsync(container);
        return CreateStorage(container);
    }

    protected override Task<IFileStorage> CreateSiblingStorageAsync() => Task.FromResult(Track(CreateStorage(_containers[0])));

    protected override async Task<IReadOnlyList<string>> LeftoversAsync() => await AzureLeftovers.FindAsync(_containers);

    protected override async Task DeleteStoreAsync()
    {
        foreach (var container in _containers)
        {
            await AzuriteServer.ServiceClient().GetBlobContainerClient(container).DeleteIfExistsAsync();
        }

        _containers.Clear();
    }

    private IFileStorage CreateStorage(string container)
    {
        var options = AzureBlobStorageFactory.Bind(
            "azure", AzuriteServer.StorageOptions(container, $"\"ChunkSize\": {PartSize}, \"KeyPrefix\": \"media\""));
        return AzureBlobStorageFactory.Create("azure", options, new ServiceCollection().BuildServiceProvider());
    }
}

/// <summary>What a container holds beyond stored files: any blob in the storage's reserved folder, and uncommitted blocks on any name.</summary>
internal static class AzureLeftovers
{
    public static async Task<IReadOnlyList<string>> FindAsync(IEnumerable<string> containers)
    {
        var leftovers = new List<string>();
        foreach (var name in containers)
        {
            var container = AzuriteServer.ServiceClient().GetBlobContainerClient(name);
            var options = new GetBlobsOptions { States = BlobStates.Uncommitted };
            await foreach (var blob in container.GetBlobsAsync(options))
            {
                if (blob.Name.Split('/').Any(segment => segment.StartsWith(".uploadkit", StringComparison.Ordinal)))
                {
                    leftovers.Add($"{name}/{blob.Name}: a reserved blob");
                }

                var blocks = (await container.GetBlockBlobClient(blob.Name).GetBlockListAsync(BlockListTypes.Uncommitted)).Value;
                if (blocks.UncommittedBlocks.Any())
                {
                    leftovers.Add($"{name}/{blob.Name}: {blocks.UncommittedBlocks.Count()} uncommitted blocks");
                }
            }
        }

        return leftovers;
    }
}
