using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace UploadKit.Storage.Azure.Tests.Integration;

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
