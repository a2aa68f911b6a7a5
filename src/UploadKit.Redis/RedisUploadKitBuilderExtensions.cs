using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using UploadKit;
using UploadKit.Redis;
using UploadKit.Stores;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps UploadKit's shared state in Redis.</summary>
public static class RedisUploadKitBuilderExtensions
{
    /// <summary>
    /// Keeps upload progress, quota usage, direct-upload sessions and resumable uploads in Redis, so that every app
    /// server sees the same ones: progress written by one server is read from another, a quota reserved on one is
    /// enforced on all, a session begun on one is completed on another, an upload whose connection broke on one is
    /// continued on another (and never by two at once). Replaces the in-memory stores, whatever the order of
    /// registration.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">A StackExchange.Redis connection string, such as <c>localhost:6379</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddRedisStores(this IUploadKitBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        return builder.AddRedisStores(o => o.ConnectionString = connectionString);
    }

    /// <summary>Keeps upload progress, quota usage, direct-upload sessions and resumable uploads in Redis, with options set in
    /// code.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Sets the connection string, key prefix and retention times.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddRedisStores(this IUploadKitBuilder builder, Action<RedisStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        services.Configure(configure);
        services.AddOptions<RedisStoreOptions>()
            .Validate(o => !string.IsNullOrEmpty(o.ConnectionString), "RedisStoreOptions.ConnectionString is required.")
            .Validate(o => o.SessionRetention > TimeSpan.Zero, "RedisStoreOptions.SessionRetention must be positive.")
            .Validate(o => o.ResumableUploadRetention > TimeSpan.Zero, "RedisStoreOptions.ResumableUploadRetention must be positive.")
            .Validate<IOptions<DirectUploadOptions>>(
                (o, directUploads) => o.SessionRetention > directUploads.Value.SweepGracePeriod,
                "RedisStoreOptions.SessionRetention must be longer than DirectUploads:SweepGracePeriod, or a session's record could age out " +
                "before the sweeper deletes what it left in storage.")
            .ValidateOnStart();
        services.TryAddSingleton<RedisConnection>();
        services.TryAddSingleton(TimeProvider.System);
        services.RemoveAll<IUploadProgressStore>();
        services.RemoveAll<IQuotaStore>();
        services.RemoveAll<IUploadSessionStore>();
        services.RemoveAll<IResumableUploadStore>();
        services.AddSingleton<IUploadProgressStore, RedisUploadProgressStore>();
        services.AddSingleton<IQuotaStore, RedisQuotaStore>();
        services.AddSingleton<IUploadSessionStore, RedisUploadSessionStore>();
        services.AddSingleton<IResumableUploadStore, RedisResumableUploadStore>();
        return builder;
    }
}
