using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>Registers the direct-upload services; part of <c>AddUploadKit</c>.</summary>
internal static class DirectUploadServiceCollectionExtensions
{
    public const string OptionsMessage =
        "UploadKit:DirectUploads is invalid: DefaultExpiry and SweepInterval must be positive, CompletionWindow and SweepGracePeriod not negative, " +
        "KeyPrefix a valid storage folder, " +
        "LocalUploadPath not empty, PublicBaseUrl absolute, and SigningKey base64 of at least 32 bytes.";

    public static void AddDirectUploads(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IUploadSessionStore, InMemoryUploadSessionStore>();
        services.TryAddSingleton<LocalUploadSigner>();
        services.TryAddSingleton<DirectUploadService>();
        services.TryAddSingleton<LocalUploadReceiver>();
        services.TryAddSingleton<IDirectUploads>(sp => sp.GetRequiredService<DirectUploadService>());
        services.TryAddSingleton<IResumableUploadStore, InMemoryResumableUploadStore>();
        services.TryAddSingleton<ResumableUploadService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DirectUploadSweeper>());
        services.AddOptions<DirectUploadOptions>().Validate(IsValid, OptionsMessage).ValidateOnStart();
    }

    internal static bool IsValid(DirectUploadOptions o)
    {
        if (o.DefaultExpiry <= TimeSpan.Zero || o.SweepInterval <= TimeSpan.Zero || o.CompletionWindow < TimeSpan.Zero ||
            o.SweepGracePeriod < TimeSpan.Zero ||
            (o.SigningKey is { } key && LocalUploadSigner.DecodeKey(key) is null) || o.PublicBaseUrl is { IsAbsoluteUri: false } ||
            string.IsNullOrEmpty(o.LocalUploadPath))
        {
            return false;
        }

        try
        {
            var prefix = o.KeyPrefix.Trim('/');
            FileStorageNames.Validate(prefix.Length > 0 ? prefix + "/x" : "x");
            return true;
        }
        catch (SuspiciousFileNameException)
        {
            return false;
        }
    }
}
