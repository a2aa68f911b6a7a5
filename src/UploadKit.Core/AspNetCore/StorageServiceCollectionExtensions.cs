using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace UploadKit;

/// <summary>Registers the storage registry and the built-in <c>FileSystem</c> and <c>InMemory</c> backends.</summary>
internal static class StorageServiceCollectionExtensions
{
    public const string FileSystemBackend = "FileSystem";
    public const string InMemoryBackend = "InMemory";

    public static IServiceCollection AddUploadKitStorage(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(StorageRegistry)))
        {
            return services;
        }

        services.AddSingleton<StorageRegistry>();
        services.TryAddSingleton<IStorageRegistry>(sp => sp.GetRequiredService<StorageRegistry>());

        // Every storage name resolves as a keyed service: [FromKeyedServices("tracks")] IFileStorage tracks.
        services.TryAddKeyedSingleton<IFileStorage>(KeyedService.AnyKey, (sp, key) =>
            sp.GetRequiredService<IStorageRegistry>()[key as string ?? throw new KeyNotFoundException("Storage keys are names (strings).")]);

        services.AddSingleton(new StorageBackendRegistration(FileSystemBackend, CreateFileSystemStorage));
        services.AddSingleton(new StorageBackendRegistration(InMemoryBackend, CreateInMemoryStorage));

        services.AddOptions<StorageRegistryCheck>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<StorageRegistryCheck>, StorageRegistryValidator>());
        return services;
    }

    private static FileSystemStorage CreateFileSystemStorage(StorageBackendContext context)
    {
        var options = StorageOptionsBinder.Bind<FileSystemStorageOptions>(
            context.StorageName, FileSystemBackend, context.Options, (s, o, b) => s.Bind(o, b));
        var contentRoot = context.Services.GetService<IHostEnvironment>()?.ContentRootPath;
        return new FileSystemStorage(options, contentRoot, context.StorageName);
    }

    private static InMemoryStorage CreateInMemoryStorage(StorageBackendContext context)
    {
        var options = StorageOptionsBinder.Bind<InMemoryStorageOptions>(
            context.StorageName, InMemoryBackend, context.Options, (s, o, b) => s.Bind(o, b));
        return new InMemoryStorage(options, context.Services.GetService<TimeProvider>() ?? TimeProvider.System, context.StorageName);
    }
}
