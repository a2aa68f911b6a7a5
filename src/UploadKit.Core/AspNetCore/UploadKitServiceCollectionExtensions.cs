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
            .Validate(o => o.LimitBytes == 0 || QuotaOptionsValidation.Validate(o) is null, "QuotaOptions are invalid: LimitBytes, ReservationSliceBytes and ReservationLease must be positive.")
            .ValidateOnStart();
        services.AddOptions<UploadProgressOptions>()
            .Validate(UploadProgressOptionsValidation.IsValid, UploadProgressOptionsValidation.Message)
            .ValidateOnStart();
        services.TryAddSingleton<IUploadProgressStore, InMemoryUploadProgressStore>();
        services.TryAddSingleton<IQuotaStore, InMemoryQuotaStore>();
        services.TryAddSingleton(sp => new UploadMemoryBudget(sp.GetRequiredService<IOptions<UploadOptions>>().Value.MaxProcessMemoryBufferSize));
        services.AddOptions<UploadOptions>().Validate(UploadOptionsValidation.IsValid, UploadOptionsValidation.Message).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<UploadOptions>, UploadOptionsContentRoot>());
        services.AddDirectUploads();
        return new UploadKitBuilder(services);
    }
}

internal static class UploadOptionsValidation
{
    public const string Message = "UploadKit options are invalid: limits must be positive and TempFilePermissions an octal mode such as \"600\".";

    public static bool IsValid(UploadOptions o)
    {
        if (o.MaxRequestBodySize is <= 0 || o.MemoryBufferThreshold < 0 || o.MaxFieldCount < 0 || o.MaxFieldsSize < 0 ||
            o.MaxFileCount < 0 || o.MaxPartHeadersSize <= 0 || o.MaxPartHeaderCount <= 0 ||
            o.MaxRequestMemoryBufferSize < 0 || o.MaxProcessMemoryBufferSize < 0)
        {
            return false;
        }

        try
        {
            TemporaryFiles.ParseMode(o.TempFilePermissions);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
