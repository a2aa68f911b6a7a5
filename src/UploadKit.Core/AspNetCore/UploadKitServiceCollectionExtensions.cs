using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using UploadKit;
using UploadKit.Stores;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds UploadKit to an app's services.</summary>
public static class UploadKitServiceCollectionExtensions
{
    /// <summary>
    /// Adds UploadKit with its limits and storages bound from <paramref name="configuration"/> (usually the
    /// <c>UploadKit</c> section): the upload-handler chain, the storage registry and endpoint integration.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configuration">The <c>UploadKit</c> configuration section.</param>
    /// <returns>A builder for adding storages, backends, handlers and validators.</returns>
    public static IUploadKitBuilder AddUploadKit(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddUploadKitCore();
        services.AddOptions<UploadOptions>().Bind(configuration, o => o.ErrorOnUnknownConfiguration = false);
        services.AddSingleton(new UploadKitConfiguration(configuration));
        services.AddOptions<DirectUploadOptions>().Bind(configuration.GetSection("DirectUploads"), o => o.ErrorOnUnknownConfiguration = true);
        // Engines (ClamAv) read their own subsections of Scanning.
        services.AddOptions<ScanningOptions>().Bind(configuration.GetSection("Scanning"), o => o.ErrorOnUnknownConfiguration = false);
        return builder;
    }

    /// <summary>Adds UploadKit with default limits and no configured storages.</summary>
    /// <param name="services">The app's services.</param>
    /// <returns>A builder for adding storages, backends, handlers and validators.</returns>
    public static IUploadKitBuilder AddUploadKit(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddUploadKitCore();
    }

    /// <summary>Adds UploadKit, with limits set in code.</summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configure">Sets limits.</param>
    /// <returns>A builder for adding storages, backends, handlers and validators.</returns>
    public static IUploadKitBuilder AddUploadKit(this IServiceCollection services, Action<UploadOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddUploadKitCore();
        services.Configure(configure);
        return builder;
    }

    private static UploadKitBuilder AddUploadKitCore(this IServiceCollection services)
    {
        services.AddOptions();
        services.AddUploadKitStorage();
        services.AddProblemDetails();
        services.Configure<MvcOptions>(o =>
        {
            o.ModelBinderProviders.Insert(0, new UploadFormModelBinderProvider());
            o.Filters.Add(new UploadRejectedExceptionFilter());
            o.Filters.Add(new UploadFormResourceFilter());
        });
        services.ConfigureAll<OpenApiOptions>(o => o.AddOperationTransformer(new UploadOpenApiOperationTransformer()));
        // In-memory stores for one server; AddRedisStores (UploadKit.Redis) replaces them for many.
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IUploadOwnerResolver>(ClaimsOwnerResolver.Instance);
        services.AddOptions<QuotaOptions>()
            .Validate(
                o => o.LimitBytes == 0 || QuotaOptionsValidation.Validate(o) is null,
                "QuotaOptions are invalid: LimitBytes, ReservationSliceBytes and ReservationLease must be positive.")
            .ValidateOnStart();
        services.AddOptions<UploadProgressOptions>()
            .Validate(UploadProgressOptionsValidation.IsValid, UploadProgressOptionsValidation.Message)
            .ValidateOnStart();
        services.TryAddSingleton<IUploadProgressStore, InMemoryUploadProgressStore>();
        services.TryAddSingleton<IQuotaStore, InMemoryQuotaStore>();
        services.TryAddSingleton(sp => new UploadMemoryBudget(sp.GetRequiredService<IOptions<UploadOptions>>().Value.MaxProcessMemoryBufferSize));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UploadOptions>, UploadOptionsValidation>());
        services.AddOptions<UploadOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<UploadOptions>, UploadOptionsContentRoot>());
        services.AddDirectUploads();
        return new UploadKitBuilder(services);
    }
}

/// <summary>
/// Checks the limits the built-in handlers and the reader work with when the app starts, naming each option that is
/// wrong and why, so a bad setting stops start-up instead of failing the first upload.
/// </summary>
internal sealed class UploadOptionsValidation : IValidateOptions<UploadOptions>
{
    public ValidateOptionsResult Validate(string? name, UploadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        Positive(errors, nameof(UploadOptions.MaxRequestBodySize), options.MaxRequestBodySize ?? 1);
        NotNegative(errors, nameof(UploadOptions.MemoryBufferThreshold), options.MemoryBufferThreshold);
        NotNegative(errors, nameof(UploadOptions.LargeRequestMemoryBufferThreshold), options.LargeRequestMemoryBufferThreshold);
        NotNegative(errors, nameof(UploadOptions.MaxRequestMemoryBufferSize), options.MaxRequestMemoryBufferSize);
        NotNegative(errors, nameof(UploadOptions.MaxProcessMemoryBufferSize), options.MaxProcessMemoryBufferSize);
        NotNegative(errors, nameof(UploadOptions.MaxFieldCount), options.MaxFieldCount);
        NotNegative(errors, nameof(UploadOptions.MaxFieldsSize), options.MaxFieldsSize);
        NotNegative(errors, nameof(UploadOptions.MaxFileCount), options.MaxFileCount);
        Positive(errors, nameof(UploadOptions.MaxPartHeadersSize), options.MaxPartHeadersSize);
        Positive(errors, nameof(UploadOptions.MaxPartHeaderCount), options.MaxPartHeaderCount);
        try
        {
            TemporaryFiles.ParseMode(options.TempFilePermissions);
        }
        catch (FormatException)
        {
            errors.Add($"UploadOptions.TempFilePermissions is '{options.TempFilePermissions}'; it must be an octal file mode such as \"600\".");
        }

        if (options.TempFileDirectory is { } directory && File.Exists(directory))
        {
            errors.Add($"UploadOptions.TempFileDirectory '{directory}' is a file; it must be a " +
                "directory, or left unset for the system's temporary directory.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(List<string> errors, string option, long value)
    {
        if (value <= 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"UploadOptions.{option} is {value}; it must be more than 0."));
        }
    }

    private static void NotNegative(List<string> errors, string option, long value)
    {
        if (value < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"UploadOptions.{option} is {value}; it must be 0 or more."));
        }
    }
}
