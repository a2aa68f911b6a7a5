using Microsoft.Extensions.Configuration;

namespace UploadKit;

/// <summary>A storage backend registered by name, such as <c>"FileSystem"</c> or <c>"S3"</c>.</summary>
internal sealed record StorageBackendRegistration(string BackendName, Func<StorageBackendContext, IFileStorage> Factory);

/// <summary>A storage registered in code under a name.</summary>
internal sealed record StorageRegistration(string StorageName, Func<IServiceProvider, IFileStorage> Factory);

/// <summary>The configuration section UploadKit was added with, for the storage registry to read.</summary>
internal sealed record UploadKitConfiguration(IConfiguration Section);
