using Microsoft.Extensions.DependencyInjection;

namespace UploadKit;

internal sealed record UploadKitBuilder(IServiceCollection Services) : IUploadKitBuilder;
