using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using UploadKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers storages, storage backends and handlers on an <see cref="IUploadKitBuilder"/>.</summary>
public static class UploadKitBuilderExtensions
{
    /// <summary>
    /// Makes a storage backend available to configuration: a storage whose <c>Backend</c> is
    /// <paramref name="backendName"/> is created by <paramref name="factory"/> from its <c>Options</c> section.
    /// Satellite packages call this (<c>AddS3Storage()</c> registers <c>"S3"</c>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="backendName">The backend's name in configuration, matched case-insensitively.</param>
    /// <param name="factory">Creates a storage from its name, options section and the app's services; throws
    /// <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> for bad options.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddStorageBackend(
        this IUploadKitBuilder builder, string backendName, Func<StorageBackendContext, IFileStorage> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(backendName);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(new StorageBackendRegistration(backendName, factory));
        return builder;
    }

    /// <summary>Registers a storage created in code under <paramref name="name"/>; it takes precedence over configuration.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The storage name, such as <see cref="FileStorageNames.Default"/>.</param>
    /// <param name="factory">Creates the storage once, from the app's services.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddStorage(this IUploadKitBuilder builder, string name, Func<IServiceProvider, IFileStorage> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(new StorageRegistration(name, factory));
        builder.Services.TryAddKeyedSingleton<IFileStorage>(name, (sp, _) => sp.GetRequiredService<IStorageRegistry>()[name]);
        return builder;
    }

    /// <summary>
    /// Appends a handler type to the app-wide chain (Django's <c>FILE_UPLOAD_HANDLERS</c>). A new instance
    /// is created for each request, with constructor arguments from the request's services.
    /// </summary>
    /// <typeparam name="THandler">The handler type.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddHandler<
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IUploadKitBuilder builder)
        where THandler : UploadHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        var factory = ActivatorUtilities.CreateFactory<THandler>([]);
        builder.Services.Configure<UploadHandlerChainOptions>(o => o.Factories.Add(sp => factory(sp, [])));
        return builder;
    }

    /// <summary>
    /// Scans every uploaded file for malware with <paramref name="factory"/>'s scanner: multipart and raw uploads while
    /// their body is read (each file is held until its verdict), direct uploads when they are completed, before they bind.
    /// Infected files are refused with 400 naming the field and the signature, and either moved to the <c>quarantine</c>
    /// storage or deleted; a failed scan refuses the file with 503 unless the endpoint fails open
    /// (<c>WithScanFailOpen()</c>). <c>AddClamAvScanning()</c> (package <c>UploadKit.Scanning.ClamAv</c>) calls this.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the app's one scanner from its services.</param>
    /// <param name="configure">Edits the scanning options (timeout, fail-open default, quarantine storage); <see langword="null"/> keeps
    /// configuration's <c>UploadKit:Scanning</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddScanning(
        this IUploadKitBuilder builder, Func<IServiceProvider, IFileScanner> factory, Action<ScanningOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        var services = builder.Services;
        services.RemoveAll<IFileScanner>();
        services.AddSingleton<IFileScanner>(factory);
        services.TryAddSingleton<UploadScanning>();
        var options = services.AddOptions<ScanningOptions>()
            .Validate(o => o.Timeout > TimeSpan.Zero, "ScanningOptions.Timeout must be positive.")
            .Validate(o => o.MaxBufferedBytes > 0, "ScanningOptions.MaxBufferedBytes must be more than 0.")
            .ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    /// <summary>Edits the app-wide handler chain: reorder it, remove the defaults, or insert at the front.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Edits the list of handler factories, in chain order.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder ConfigureHandlers(this IUploadKitBuilder builder, Action<IList<Func<IServiceProvider, UploadHandler>>> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.Configure<UploadHandlerChainOptions>(o => configure(o.Factories));
        return builder;
    }
}
