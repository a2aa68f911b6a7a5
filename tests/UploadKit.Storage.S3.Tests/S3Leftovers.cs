using Amazon.S3.Model;

namespace UploadKit.Storage.S3.Tests;

/// <summary>What the bucket holds for storages beyond their files: reserved objects and unfinished multipart uploads.</summary>
internal static class S3Leftovers
{
    public static async Task<IReadOnlyList<string>> ListAsync(IEnumerable<string> prefixes)
    {
        using var client = S3rverFixture.CreateClient();
        var leftovers = new List<string>();
        foreach (var prefix in prefixes)
        {
            var objects = await client.ListObjectsV2Async(new ListObjectsV2Request
            {
                BucketName = S3rverFixture.BucketName,
                Prefix = prefix + "/" + S3Storage.ReservedPrefix,
            });
            leftovers.AddRange((objects.S3Objects ?? []).Select(o => $"object {o.Key}"));
        }

        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3rverFixture.BucketName });
        leftovers.AddRange((uploads.MultipartUploads ?? [])
            .Where(u => prefixes.Any(p => u.Key.StartsWith(p + "/", StringComparison.Ordinal)))
            .Select(u => $"multipart upload of {u.Key}"));
        return leftovers;
    }
}
