using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using UploadKit;
using UploadKit.Scanning.ClamAv;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Scans uploads for malware with ClamAV's clamd.</summary>
public static class ClamAvUploadKitBuilderExtensions
{
    /// <summary>The configuration section read by <see cref="AddClamAvScanning(IUploadKitBuilder)"/>.</summary>
    public const string ConfigurationSection = "UploadKit:Scanning:ClamAv";

    /// <summary>
    /// Scans every upload with clamd, configured from the app's <c>UploadKit:Scanning:ClamAv</c> section
    /// (<c>Endpoint</c>, <c>StreamMaxLength</c>, <c>ChunkSize</c>, <c>ConnectTimeout</c>, <c>Timeout</c>,
    /// <c>MaxIdleConnections</c>, <c>IdleTimeout</c>); the rest of <c>UploadKit:Scanning</c> sets the timeout, fail-open and
    /// quarantine storage for every engine. See <c>AddScanning</c> for what scanning does to each upload path.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddClamAvScanning(this IUploadKitBuilder builder) => builder.AddClamAvScanning(_ => { });

    /// <summary>Scans every upload with the clamd at <paramref name="endpoint"/> (<c>tcp://host:port</c> or <c>unix:///path</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="endpoint">Where clamd listens.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddClamAvScanning(this IUploadKitBuilder builder, string endpoint)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        return builder.AddClamAvScanning(o => o.Endpoint = endpoint);
    }

    /// <summary>Scans every upload with clamd; <paramref name="configure"/> edits the options read from configuration.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Edits the clamd options.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddClamAvScanning(this IUploadKitBuilder builder, Action<ClamAvOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.AddOptions<ClamAvOptions>()
            .Configure<IServiceProvider>((o, sp) =>
            {
                if (sp.GetService<IConfiguration>() is { } configuration)
                {
                    configuration.GetSection(ConfigurationSection).Bind(o);
                }
            })
            .Configure(configure)
            .Validate(o => ClamAvEndpoint.TryParse(o.Endpoint, out _, out _), "ClamAvOptions.Endpoint must be tcp://host:port or unix:///path.")
            .Validate(o => o.StreamMaxLength > 0, "ClamAvOptions.StreamMaxLength must be more than 0.")
            .Validate(o => o.ChunkSize > 0, "ClamAvOptions.ChunkSize must be more than 0.")
            .Validate(o => o.Timeout > TimeSpan.Zero && o.ConnectTimeout > TimeSpan.Zero, "ClamAvOptions timeouts must be positive.")
            .Validate(o => o.MaxIdleConnections >= 0, "ClamAvOptions.MaxIdleConnections must be 0 or more.")
            .ValidateOnStart();
        services.AddSingleton(sp => new ClamAvScanner(sp.GetRequiredService<IOptions<ClamAvOptions>>()));
        return builder.AddScanning(sp => sp.GetRequiredService<ClamAvScanner>());
    }
}
