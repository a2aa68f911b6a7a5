using Microsoft.Extensions.DependencyInjection;

namespace UploadKit;

internal sealed record UploadKitBuilder(IServiceCollection Services) : IUploadKitBuilder;

/// <summary>A storage backend registered by name, such as <c>"FileSystem"</c> or <c>"S3"</c>.</summary>
internal sealed record StorageBackendRegistration(string BackendName, Func<StorageBackendContext, IFileStorage> Factory);

/// <summary>A storage registered in code under a name.</summary>
internal sealed record StorageRegistration(string StorageName, Func<IServiceProvider, IFileStorage> Factory);
