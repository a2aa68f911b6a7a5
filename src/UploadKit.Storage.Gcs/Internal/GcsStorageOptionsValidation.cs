namespace UploadKit.Storage.Gcs.Internal;

/// <summary>Checks a <see cref="GcsStorageOptions"/>; each failure names the option.</summary>
internal static class GcsStorageOptionsValidation
{
    /// <summary>The predefined ACLs by their JSON API name, with the <c>x-goog-acl</c> name of the XML API.</summary>
    public static readonly IReadOnlyDictionary<string, string> Acls = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["authenticatedRead"] = "authenticated-read",
        ["bucketOwnerFullControl"] = "bucket-owner-full-control",
        ["bucketOwnerRead"] = "bucket-owner-read",
        ["private"] = "private",
        ["projectPrivate"] = "project-private",
        ["publicRead"] = "public-read",
    };

    public static List<string> Validate(string storageName, GcsStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var prefix = $"GCS storage '{storageName}': ";
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            failures.Add(prefix + "Bucket is required.");
        }

        if (options.CreateBucket && string.IsNullOrWhiteSpace(options.ProjectId))
        {
            failures.Add(prefix + "ProjectId is required when CreateBucket is true.");
        }

        if (!string.IsNullOrEmpty(options.CredentialsFile) && !string.IsNullOrEmpty(options.CredentialsJson))
        {
            failures.Add(prefix + "set CredentialsFile or CredentialsJson, not both.");
        }

        if (!string.IsNullOrEmpty(options.KeyPrefix))
        {
            try
            {
                FileStorageNames.Validate(options.KeyPrefix.TrimEnd('/'));
            }
            catch (SuspiciousFileNameException ex)
            {
                failures.Add(prefix + "KeyPrefix is not a valid relative path: " + ex.Message);
            }
        }

        if (options.DefaultAcl is { Length: > 0 } acl && !Acls.ContainsKey(acl))
        {
            failures.Add(prefix + $"DefaultAcl '{acl}' is not one of {string.Join(", ", Acls.Keys)}.");
        }

        CheckBase(options.Endpoint, nameof(GcsStorageOptions.Endpoint), prefix, failures);
        CheckBase(options.BucketBoundHostname, nameof(GcsStorageOptions.BucketBoundHostname), prefix, failures);
        if (options.BucketBoundHostname is not null && options.VirtualHostedStyle)
        {
            failures.Add(prefix + "VirtualHostedStyle and BucketBoundHostname exclude each other.");
        }

        if (options.UrlExpiry < TimeSpan.FromSeconds(1) || options.UrlExpiry > V4Signer.MaxExpiry)
        {
            failures.Add(prefix + "UrlExpiry must be between 1 second and 7 days.");
        }

        if (options.ChunkSize <= 0 || options.ChunkSize % GcsStorageOptions.ChunkSizeUnit != 0)
        {
            failures.Add(prefix + "ChunkSize must be a positive multiple of 256 KiB (262144 bytes).");
        }

        return failures;
    }

    private static void CheckBase(Uri? uri, string option, string prefix, List<string> failures)
    {
        if (uri is null)
        {
            return;
        }

        if (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || uri.AbsolutePath != "/" ||
            uri.Query.Length > 0)
        {
            failures.Add(prefix + $"{option} must be an absolute http(s) address with no path, such as https://storage.example.com.");
        }
    }
}
