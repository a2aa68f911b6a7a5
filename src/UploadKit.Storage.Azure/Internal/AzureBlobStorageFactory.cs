using System.Text.RegularExpressions;
using Azure.Storage;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UploadKit.Storage.Azure.Internal;

/// <summary>Binds, validates and builds <see cref="AzureBlobStorage"/> instances from options.</summary>
internal static partial class AzureBlobStorageFactory
{
    /// <summary>The backend factory registered by <c>AddAzureBlobStorage()</c>.</summary>
    public static IFileStorage Create(StorageBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = Bind(context.StorageName, context.Options);
        return Create(context.StorageName, options, context.Services);
    }

    /// <summary>Binds a storage's <c>Options</c> section; unknown keys and bad values are validation errors.</summary>
    public static AzureBlobStorageOptions Bind(string storageName, IConfiguration section)
    {
        // The binder skips properties it cannot create, so the code-only ones are refused by name.
        return StorageOptionsBinder.Bind<AzureBlobStorageOptions>(
            storageName, AzureBlobStorage.BackendName, section, (s, o, b) => s.Bind(o, b),
            nameof(AzureBlobStorageOptions.Credential), nameof(AzureBlobStorageOptions.ClientFactory));
    }

    /// <summary>Validates <paramref name="options"/> and creates the storage.</summary>
    public static AzureBlobStorage Create(string storageName, AzureBlobStorageOptions options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        var errors = Validate(options);
        if (errors.Count > 0)
        {
            throw Invalid(storageName, errors);
        }

        BlobServiceClient client;
        try
        {
            client = CreateServiceClient(options, services);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw Invalid(storageName, [$"ConnectionString is not a valid storage connection string: {ex.Message}"]);
        }

        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<AzureBlobStorage>();
        return new AzureBlobStorage(storageName, client, options, services.GetService<TimeProvider>(), logger);
    }

    /// <summary>Returns what is wrong with <paramref name="options"/>, one message per option.</summary>
    public static List<string> Validate(AzureBlobStorageOptions options)
    {
        var errors = new List<string>();
        var ways = (options.ClientFactory is not null ? 1 : 0) + (string.IsNullOrEmpty(options.ConnectionString) ? 0 : 1) +
                   (string.IsNullOrEmpty(options.AccountKey) ? 0 : 1) + (options.Credential is not null ? 1 : 0);
        if (ways != 1)
        {
            errors.Add("Give exactly one way to reach the account: ConnectionString; AccountName with " +
                "AccountKey; Endpoint with a Credential (code only); or a ClientFactory (code only).");
        }

        if (!string.IsNullOrEmpty(options.AccountKey))
        {
            if (string.IsNullOrEmpty(options.AccountName))
            {
                errors.Add("AccountName is required with AccountKey.");
            }

            if (!IsBase64(options.AccountKey))
            {
                errors.Add("AccountKey must be the account's base64 key.");
            }

            if (options.Endpoint is null && string.IsNullOrEmpty(options.EndpointSuffix))
            {
                errors.Add("EndpointSuffix must not be empty when Endpoint is not given.");
            }
        }

        if (options.Credential is not null && options.Endpoint is null)
        {
            errors.Add("Endpoint is required with a Credential.");
        }

        if (options.Endpoint is { } uri && (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            errors.Add("Endpoint must be an absolute http or https URL, such as https://myaccount.blob.core.windows.net.");
        }

        if (string.IsNullOrEmpty(options.Container))
        {
            errors.Add("Container is required.");
        }
        else if (!ContainerNamePattern().IsMatch(options.Container) && options.Container is not ("$root" or "$web"))
        {
            errors.Add($"Container '{options.Container}' is not a valid container name: 3 to 63 lower-case " +
                "letters, digits and single hyphens, starting with a letter or digit.");
        }

        if (!string.IsNullOrEmpty(options.KeyPrefix))
        {
            try
            {
                FileStorageNames.Validate(options.KeyPrefix.TrimEnd('/'));
            }
            catch (SuspiciousFileNameException ex)
            {
                errors.Add($"KeyPrefix '{options.KeyPrefix}' is not a valid prefix: {ex.Message}");
            }
        }

        if (!string.IsNullOrEmpty(options.CustomDomain) && !IsHost(options.CustomDomain))
        {
            errors.Add($"CustomDomain '{options.CustomDomain}' must be a host name such as cdn.example.com, without scheme or path.");
        }

        if (options.UrlExpiry <= TimeSpan.Zero || options.UrlExpiry > AzureBlobStorage.MaxSasLifetime)
        {
            errors.Add("UrlExpiry must be positive and at most 7 days.");
        }

        if (options.ChunkSize is < 1 or > AzureBlobStorageOptions.MaxChunkSize)
        {
            errors.Add($"ChunkSize must be between 1 and {AzureBlobStorageOptions.MaxChunkSize} bytes.");
        }

        if (options.MaxConcurrency is < 1 or > 64)
        {
            errors.Add("MaxConcurrency must be between 1 and 64.");
        }

        return errors;
    }

    private static BlobServiceClient CreateServiceClient(AzureBlobStorageOptions options, IServiceProvider services)
    {
        if (options.ClientFactory is { } factory)
        {
            return factory(services) ?? throw new InvalidOperationException("The ClientFactory of an Azure Blob storage returned null.");
        }

        if (!string.IsNullOrEmpty(options.ConnectionString))
        {
            return new BlobServiceClient(options.ConnectionString);
        }

        if (!string.IsNullOrEmpty(options.AccountKey))
        {
            var endpoint = options.Endpoint ?? new Uri($"https://{options.AccountName}.blob.{options.EndpointSuffix}");
            return new BlobServiceClient(endpoint, new StorageSharedKeyCredential(options.AccountName, options.AccountKey));
        }

        return new BlobServiceClient(options.Endpoint, options.Credential);
    }

    private static OptionsValidationException Invalid(string storageName, IEnumerable<string> errors) =>
        new(storageName, typeof(AzureBlobStorageOptions), errors.Select(e => $"Storage '{storageName}' ({AzureBlobStorage.BackendName}): {e}"));

    private static bool IsHost(string value) =>
        Uri.TryCreate("https://" + value, UriKind.Absolute, out var uri) &&
        string.Equals(uri.Authority, value, StringComparison.OrdinalIgnoreCase) &&
        uri.PathAndQuery == "/" && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;

    private static bool IsBase64(string value) => Convert.TryFromBase64String(value, new byte[value.Length], out _);

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerNamePattern();
}
