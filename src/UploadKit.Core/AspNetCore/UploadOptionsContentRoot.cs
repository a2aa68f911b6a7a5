using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using UploadKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Resolves a relative <see cref="UploadOptions.TempFileDirectory"/> against the app's content root, where a user
/// looks for it (the project folder under <c>dotnet run</c>), as storage locations and ASP.NET Core's own files do.
/// </summary>
internal sealed class UploadOptionsContentRoot(IServiceProvider services) : IPostConfigureOptions<UploadOptions>
{
    public void PostConfigure(string? name, UploadOptions options) => Resolve(options, services);

    /// <summary>Makes <paramref name="options"/>' temporary folder absolute, against the content root if the app has one.</summary>
    public static void Resolve(UploadOptions options, IServiceProvider services)
    {
        if (options.TempFileDirectory is { Length: > 0 } directory && !Path.IsPathFullyQualified(directory))
        {
            var contentRoot = services.GetService<IHostEnvironment>()?.ContentRootPath;
            options.TempFileDirectory = Path.GetFullPath(directory, contentRoot is { Length: > 0 } ? contentRoot : Directory.GetCurrentDirectory());
        }
    }
}
