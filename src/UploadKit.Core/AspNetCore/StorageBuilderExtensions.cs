using UploadKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registration of a storage configured in code, the one way every backend offers it.</summary>
public static class StorageBuilderExtensions
{
    /// <summary>
    /// Registers a storage named <paramref name="name"/> whose options are set in code: when the storage is first
    /// needed, fresh <typeparamref name="TOptions"/> are configured by <paramref name="configure"/> and handed to the
    /// backend's <paramref name="create"/>, which validates them (an invalid one fails start-up validation).
    /// </summary>
    /// <typeparam name="TOptions">The backend's options type.</typeparam>
    /// <param name="builder">The builder from <c>AddUploadKit</c>.</param>
    /// <param name="name">The storage name, such as <c>"tracks"</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <param name="create">Creates the storage from its name, the configured options and the app's services.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddStorage<TOptions>(
        this IUploadKitBuilder builder, string name, Action<TOptions> configure, Func<string, TOptions, IServiceProvider, IFileStorage> create)
        where TOptions : new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(create);
        return builder.AddStorage(name, services =>
        {
            var options = new TOptions();
            configure(options);
            return create(name, options, services);
        });
    }
}
