using Microsoft.Extensions.Configuration;

namespace UploadKit;

/// <summary>What a storage backend is given to create one configured storage.</summary>
public sealed class StorageBackendContext
{
    /// <summary>Creates the context.</summary>
    /// <param name="storageName">The storage's name in the registry.</param>
    /// <param name="options">The storage's <c>Options</c> configuration section.</param>
    /// <param name="services">The app's services.</param>
    public StorageBackendContext(string storageName, IConfigurationSection options, IServiceProvider services)
    {
        ArgumentException.ThrowIfNullOrEmpty(storageName);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        StorageName = storageName;
        Options = options;
        Services = services;
    }

    /// <summary>Gets the storage's name in the registry, such as <c>"tracks"</c>.</summary>
    public string StorageName { get; }

    /// <summary>Gets the storage's <c>Options</c> section (<c>UploadKit:Storages:{name}:Options</c>).</summary>
    public IConfigurationSection Options { get; }

    /// <summary>Gets the app's services.</summary>
    public IServiceProvider Services { get; }
}
