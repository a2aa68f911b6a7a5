using Microsoft.Extensions.Configuration;
using UploadKit;
using UploadKit.Storage.Azure;
using UploadKit.Storage.Azure.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Azure Blob Storage storages to UploadKit.</summary>
public static class AzureBlobUploadKitBuilderExtensions
{
    /// <summary>
    /// Makes the <c>AzureBlob</c> backend available to configuration, so a storage under <c>UploadKit:Storages</c> can
    /// read <c>"Backend": "AzureBlob"</c> with its <see cref="AzureBlobStorageOptions"/> under <c>Options</c>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddAzureBlobStorage(this IUploadKitBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStorageBackend(AzureBlobStorage.BackendName, AzureBlobStorageFactory.Create);
    }

    /// <summary>Registers an Azure Blob Storage storage configured in code under <paramref name="name"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The storage name, such as <c>"tracks"</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>The options are validated when the storage is first created; invalid ones throw an
    /// <see cref="Options.OptionsValidationException"/>.</remarks>
    public static IUploadKitBuilder AddAzureBlobStorage(this IUploadKitBuilder builder, string name, Action<AzureBlobStorageOptions> configure) =>
        builder.AddStorage<AzureBlobStorageOptions>(name, configure, AzureBlobStorageFactory.Create);

    /// <summary>Registers an Azure Blob Storage storage under <paramref name="name"/>, with options bound from <paramref name="section"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The storage name, such as <c>"tracks"</c>.</param>
    /// <param name="section">The options section; unknown keys are errors.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>The options are validated when the storage is first created; invalid ones throw an
    /// <see cref="Options.OptionsValidationException"/>.</remarks>
    public static IUploadKitBuilder AddAzureBlobStorage(this IUploadKitBuilder builder, string name, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(section);
        return builder.AddStorage(name, services => AzureBlobStorageFactory.Create(name, AzureBlobStorageFactory.Bind(name, section), services));
    }
}
