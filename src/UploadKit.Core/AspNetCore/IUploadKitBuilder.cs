using Microsoft.Extensions.DependencyInjection;

namespace UploadKit;

/// <summary>Configures UploadKit after <c>AddUploadKit</c>: storages, backends, handlers and validators.</summary>
public interface IUploadKitBuilder
{
    /// <summary>Gets the app's service collection.</summary>
    IServiceCollection Services { get; }
}
