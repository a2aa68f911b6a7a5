using Microsoft.Extensions.Configuration;
using UploadKit;
using UploadKit.Storage.S3;
using UploadKit.Storage.S3.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Amazon S3 and S3-compatible storages to UploadKit.</summary>
public static class S3UploadKitBuilderExtensions
{
    /// <summary>The backend name storages use in configuration: <c>"Backend": "S3"</c>.</summary>
    public const string BackendName = "S3";

    /// <summary>
    /// Makes the <c>S3</c> backend available to configuration: every storage under <c>UploadKit:Storages</c>
    /// with <c>"Backend": "S3"</c> becomes an <see cref="S3Storage"/> bound from its <c>Options</c> section.
    /// </summary>
    /// <param name="builder">The builder from <c>AddUploadKit</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddS3Storage(this IUploadKitBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStorageBackend(BackendName, S3StorageFactory.Create);
    }

    /// <summary>Adds an S3 storage named <paramref name="name"/>, configured in code.</summary>
    /// <param name="builder">The builder from <c>AddUploadKit</c>.</param>
    /// <param name="name">The storage name, such as <c>"tracks"</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (thrown when the storage is
    /// created).</exception>
    public static IUploadKitBuilder AddS3Storage(this IUploadKitBuilder builder, string name, Action<S3StorageOptions> configure) =>
        builder.AddStorage<S3StorageOptions>(name, configure, (storageName, options, services) =>
        {
            S3StorageFactory.Validate(storageName, $"UploadKit:Storages:{storageName}:Options", options);
            return S3StorageFactory.Create(storageName, options, services);
        });

    /// <summary>
    /// Adds an S3 storage named <paramref name="name"/>, bound from <paramref name="section"/>: either the
    /// storage's section (with an <c>Options</c> child) or the options section itself.
    /// </summary>
    /// <param name="builder">The builder from <c>AddUploadKit</c>.</param>
    /// <param name="name">The storage name, such as <c>"tracks"</c>.</param>
    /// <param name="section">The configuration section.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid (thrown when the storage is
    /// created).</exception>
    public static IUploadKitBuilder AddS3Storage(this IUploadKitBuilder builder, string name, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(section);
        var optionsSection = section.GetSection("Options").Exists() ? section.GetSection("Options") : section;
        return builder.AddStorage(name, sp => S3StorageFactory.Create(name, S3StorageFactory.Bind(name, optionsSection), sp));
    }
}
