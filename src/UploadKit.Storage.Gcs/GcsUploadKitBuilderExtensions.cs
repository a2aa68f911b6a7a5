using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UploadKit;
using UploadKit.Storage.Gcs;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Google Cloud Storage storages to UploadKit.</summary>
public static class GcsUploadKitBuilderExtensions
{
    /// <summary>The backend name used in configuration: <c>"Gcs"</c>.</summary>
    public const string BackendName = "Gcs";

    /// <summary>
    /// Makes the <c>Gcs</c> backend available to configuration: a storage whose <c>Backend</c> is <c>Gcs</c> is
    /// created from its <c>Options</c> section, bound to <see cref="GcsStorageOptions"/> (unknown keys are errors).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddGcsStorage(this IUploadKitBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStorageBackend(BackendName, CreateFromContext);
    }

    /// <summary>Registers a GCS storage under <paramref name="name"/>, configured in code.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The storage name, such as <c>"media"</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddGcsStorage(this IUploadKitBuilder builder, string name, Action<GcsStorageOptions> configure) =>
        builder.AddStorage<GcsStorageOptions>(name, configure, Create);

    /// <summary>Registers a GCS storage under <paramref name="name"/>, bound from <paramref name="section"/> (unknown keys are errors).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The storage name, such as <c>"media"</c>.</param>
    /// <param name="section">The options section, e.g. <c>UploadKit:Storages:media:Options</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddGcsStorage(this IUploadKitBuilder builder, string name, IConfigurationSection section)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(section);
        return builder.AddStorage(name, sp => Create(name, Bind(name, section), sp));
    }

    /// <summary>The backend factory: binds and validates the storage's options, then creates it.</summary>
    internal static GcsStorage CreateFromContext(StorageBackendContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Create(context.StorageName, Bind(context.StorageName, context.Options), context.Services);
    }

    /// <summary>Binds <paramref name="section"/>; an unknown or malformed key becomes an <see cref="OptionsValidationException"/>.</summary>
    internal static GcsStorageOptions Bind(string storageName, IConfiguration section) =>
        StorageOptionsBinder.Bind<GcsStorageOptions>(storageName, BackendName, section, (s, o, b) => s.Bind(o, b));

    private static GcsStorage Create(string name, GcsStorageOptions options, IServiceProvider services)
    {
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger<GcsStorage>() ?? (ILogger)NullLogger.Instance;
        return new GcsStorage(name, options, logger, services.GetService<TimeProvider>() ?? TimeProvider.System);
    }
}
