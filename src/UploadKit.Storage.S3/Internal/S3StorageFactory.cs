using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UploadKit.Storage.S3.Internal;

/// <summary>Creates <see cref="S3Storage"/> instances from configuration or code.</summary>
internal static class S3StorageFactory
{
    private static readonly HashSet<string> CannedAcls = new(StringComparer.Ordinal)
    {
        "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
        "bucket-owner-read", "bucket-owner-full-control",
    };

    /// <summary>Binds a storage's <c>Options</c> section; unknown keys and invalid values throw <see cref="OptionsValidationException"/>.</summary>
    public static S3StorageOptions Bind(string storageName, IConfigurationSection section)
    {
        var options = StorageOptionsBinder.Bind<S3StorageOptions>(
            storageName, S3UploadKitBuilderExtensions.BackendName, section, (s, o, b) => s.Bind(o, b), nameof(S3StorageOptions.ClientFactory));
        Validate(storageName, section.Path, options);
        return options;
    }

    /// <summary>Checks options; throws <see cref="OptionsValidationException"/> naming each bad option by its configuration path.</summary>
    public static void Validate(string storageName, string path, S3StorageOptions options)
    {
        var failures = new List<string>();
        void Fail(string option, string message) => failures.Add($"{path}:{option} {message}");

        if (string.IsNullOrWhiteSpace(options.Bucket))
        {
            Fail(nameof(options.Bucket), "is required.");
        }

        if (options.Endpoint is { } endpoint &&
            (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            Fail(nameof(options.Endpoint), "must be an absolute http or https URL.");
        }

        if (string.IsNullOrEmpty(options.AccessKey) != string.IsNullOrEmpty(options.SecretKey))
        {
            Fail(string.IsNullOrEmpty(options.AccessKey) ? nameof(options.AccessKey) : nameof(options.SecretKey),
                "must be set together with " + (string.IsNullOrEmpty(options.AccessKey) ? nameof(options.SecretKey) : nameof(options.AccessKey)) +
                    ", or both left unset for the default credential chain.");
        }

        if (options.DefaultAcl is { } acl && !CannedAcls.Contains(acl))
        {
            Fail(nameof(options.DefaultAcl), $"'{acl}' is not a canned ACL ({string.Join(", ", CannedAcls)}).");
        }

        if (options.UrlExpiry < TimeSpan.FromSeconds(1) || options.UrlExpiry > TimeSpan.FromDays(7))
        {
            Fail(nameof(options.UrlExpiry), "must be between 1 second and 7 days.");
        }

        if (options.ChunkSize is < S3StorageOptions.MinimumPartSize or > S3StorageOptions.MaximumPartSize)
        {
            Fail(nameof(options.ChunkSize), $"must be between {S3StorageOptions.MinimumPartSize} and {S3StorageOptions.MaximumPartSize} bytes.");
        }

        if (options.MultipartThreshold is < 0 or > S3StorageOptions.MaximumPartSize)
        {
            Fail(nameof(options.MultipartThreshold), $"must be between 0 and {S3StorageOptions.MaximumPartSize} bytes.");
        }

        if (options.MaxConcurrency is < 1 or > 64)
        {
            Fail(nameof(options.MaxConcurrency), "must be between 1 and 64.");
        }

        if (options.UrlProtocol is not ("http:" or "https:"))
        {
            Fail(nameof(options.UrlProtocol), "must be 'http:' or 'https:'.");
        }

        if (!IsValidLocation(options.KeyPrefix))
        {
            Fail(nameof(options.KeyPrefix), "must be a relative key prefix with '/' separators.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(storageName, typeof(S3StorageOptions), failures);
        }
    }

    private static bool IsValidLocation(string location)
    {
        if (location.Length == 0)
        {
            return true;
        }

        try
        {
            return !location.StartsWith('/') && FileStorageNames.Validate(location.TrimEnd('/')) is { Length: > 0 };
        }
        catch (SuspiciousFileNameException)
        {
            return false;
        }
    }

    /// <summary>The backend factory behind <c>AddS3Storage()</c>.</summary>
    public static IFileStorage Create(StorageBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = Bind(context.StorageName, context.Options);
        return Create(context.StorageName, options, context.Services);
    }

    /// <summary>Creates a storage from validated options.</summary>
    public static S3Storage Create(string storageName, S3StorageOptions options, IServiceProvider services)
    {
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<S3Storage>();
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var credentials = CreateCredentials(options);
        if (options.ClientFactory is { } factory)
        {
            return new S3Storage(factory(services), options, credentials, ownsClient: false, logger, time, storageName);
        }

        var config = CreateClientConfig(options);
        var client = credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
        return new S3Storage(client, options, credentials, ownsClient: true, logger, time, storageName);
    }

    /// <summary>Credentials from the options, or <see langword="null"/> for the SDK's default chain.</summary>
    public static AWSCredentials? CreateCredentials(S3StorageOptions options)
    {
        if (string.IsNullOrEmpty(options.AccessKey) || string.IsNullOrEmpty(options.SecretKey))
        {
            return null;
        }

        return string.IsNullOrEmpty(options.SessionToken)
            ? new BasicAWSCredentials(options.AccessKey, options.SecretKey)
            : new SessionAWSCredentials(options.AccessKey, options.SecretKey, options.SessionToken);
    }

    /// <summary>The SDK client configuration for the options.</summary>
    public static AmazonS3Config CreateClientConfig(S3StorageOptions options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            RequestChecksumCalculation = options.RequestChecksumCalculation == S3ChecksumMode.WhenRequired
                ? RequestChecksumCalculation.WHEN_REQUIRED
                : RequestChecksumCalculation.WHEN_SUPPORTED,
            ResponseChecksumValidation = options.ResponseChecksumValidation == S3ChecksumMode.WhenRequired
                ? ResponseChecksumValidation.WHEN_REQUIRED
                : ResponseChecksumValidation.WHEN_SUPPORTED,
        };

        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.AbsoluteUri;
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (!string.IsNullOrEmpty(options.Region))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        return config;
    }
}
