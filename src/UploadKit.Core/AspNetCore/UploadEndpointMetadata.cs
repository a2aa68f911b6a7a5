using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>
/// What an endpoint sets for its uploads: its own handler chain, handlers that run before the chain
/// (validators), and limits. Endpoint conventions edit one shared instance per endpoint.
/// </summary>
internal sealed class UploadEndpointMetadata
{
    /// <summary>Gets or sets the endpoint's own chain; <see langword="null"/> keeps the app-wide chain.</summary>
    public List<Func<IServiceProvider, UploadHandler>>? Handlers { get; set; }

    /// <summary>Gets handlers that run before the chain for this endpoint (file validators, checksum handlers).</summary>
    public List<Func<HttpContext, UploadHandler>> FrontHandlers { get; } = [];

    /// <summary>Gets the endpoint's file validators by field, for direct uploads completed on it.</summary>
    public List<KeyValuePair<string, IFileValidator[]>> FileValidators { get; } = [];

    /// <summary>Gets edits to the app-wide limits for this endpoint.</summary>
    public List<Action<UploadOptions>> ConfigureOptions { get; } = [];

    /// <summary>Gets the file fields the endpoint's OpenAPI description names (<c>file</c> when empty).</summary>
    public HashSet<string> FileFields { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the text fields the endpoint's OpenAPI description names.</summary>
    public HashSet<string> TextFields { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets or sets whether the endpoint already carries the upload filter and metadata.</summary>
    public bool Marked { get; set; }

    /// <summary>Gets or sets whether a failed malware scan lets a file through on this endpoint; <see langword="null"/> for the app's
    /// <see cref="ScanningOptions.FailOpen"/>.</summary>
    public bool? ScanFailOpen { get; set; }

    /// <summary>Gets or sets whether the antiforgery token is checked before the body is read.</summary>
    public bool RequireAntiforgery { get; set; }

    /// <summary>Finds the endpoint's instance, adding one if there is none yet.</summary>
    /// <param name="endpoint">The endpoint being built.</param>
    /// <returns>The endpoint's metadata.</returns>
    public static UploadEndpointMetadata GetOrAdd(EndpointBuilder endpoint)
    {
        foreach (var item in endpoint.Metadata)
        {
            if (item is UploadEndpointMetadata existing)
            {
                return existing;
            }
        }

        var metadata = new UploadEndpointMetadata();
        endpoint.Metadata.Add(metadata);
        return metadata;
    }

    /// <summary>Edits the metadata of every endpoint <paramref name="builder"/> builds.</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <param name="edit">The edit.</param>
    /// <returns>The builder.</returns>
    public static TBuilder Edit<TBuilder>(TBuilder builder, Action<UploadEndpointMetadata> edit)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Add(endpoint => edit(GetOrAdd(endpoint)));
        return builder;
    }
}
