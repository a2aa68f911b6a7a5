using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using UploadKit;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Per-endpoint upload settings: handler chain, limits, antiforgery.</summary>
public static class UploadEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Marks an endpoint as reading uploads: rejected uploads are answered with problem details, and the endpoint
    /// describes its <c>multipart/form-data</c> or raw body in OpenAPI. Endpoints with an <see cref="UploadForm"/>
    /// parameter are marked already.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithUploads<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(UploadEndpoints.Mark);
        return builder;
    }

    /// <summary>
    /// Replaces the app-wide handler chain for this endpoint. Each factory runs once per request, so handlers may
    /// keep per-request state: <c>.WithUploadHandlers(_ =&gt; new ProgressUploadHandler(), _ =&gt; new TemporaryFileUploadHandler())</c>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="handlerFactories">Creates each handler from the request's services, in chain order.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithUploadHandlers<TBuilder>(this TBuilder builder, params Func<IServiceProvider, UploadHandler>[] handlerFactories)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(handlerFactories);
        var factories = new List<Func<IServiceProvider, UploadHandler>>(handlerFactories);
        builder.Add(endpoint =>
        {
            UploadEndpoints.Mark(endpoint);
            UploadEndpointMetadata.GetOrAdd(endpoint).Handlers = factories;
        });
        return builder;
    }

    /// <summary>Sets this endpoint's own limits, starting from the app-wide ones.</summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="configure">Edits a copy of the app-wide <see cref="UploadOptions"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithUploadLimits<TBuilder>(this TBuilder builder, Action<UploadOptions> configure)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Add(endpoint =>
        {
            UploadEndpoints.Mark(endpoint);
            UploadEndpointMetadata.GetOrAdd(endpoint).ConfigureOptions.Add(configure);
        });
        return builder;
    }

    /// <summary>
    /// Names the form's fields in the endpoint's OpenAPI description: binary file parts and text fields. Without it,
    /// an upload endpoint is described with one binary part named <c>file</c> (and as a raw
    /// <c>application/octet-stream</c> body).
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="fileFields">The names of the file fields.</param>
    /// <param name="textFields">The names of the text fields.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithUploadFields<TBuilder>(this TBuilder builder, string[] fileFields, string[] textFields)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(fileFields);
        ArgumentNullException.ThrowIfNull(textFields);
        builder.Add(endpoint =>
        {
            UploadEndpoints.Mark(endpoint);
            var metadata = UploadEndpointMetadata.GetOrAdd(endpoint);
            metadata.FileFields.UnionWith(fileFields);
            metadata.TextFields.UnionWith(textFields);
        });
        return builder;
    }

    /// <summary>
    /// Requires a valid antiforgery token before any file byte reaches a handler: from the antiforgery header
    /// (<c>RequestVerificationToken</c> by default, for fetch and XHR clients), checked before the body is read; or,
    /// for plain HTML forms, as the form's first field (the hidden input placed before the file inputs), checked
    /// the moment it is read; a file part arriving before it is refused. Needs <c>services.AddAntiforgery()</c>.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithUploadAntiforgery<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint =>
        {
            UploadEndpoints.Mark(endpoint);
            UploadEndpointMetadata.GetOrAdd(endpoint).RequireAntiforgery = true;
        });
        return builder;
    }

    /// <summary>
    /// Lets files through unscanned on this endpoint when the malware scan fails (scanner unreachable, too slow, answering
    /// an error), instead of refusing them with 503; each such file is logged (event 453, <c>ScanFailedOpen</c>) and counted
    /// (<c>uploadkit.scans.failed_open</c>). Infected files are refused all the same, and a file larger than the scanner
    /// scans is refused with 413, never passed unscanned.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithScanFailOpen<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(endpoint =>
        {
            UploadEndpoints.Mark(endpoint);
            UploadEndpointMetadata.GetOrAdd(endpoint).ScanFailOpen = true;
        });
        return builder;
    }
}

/// <summary>What every upload endpoint carries.</summary>
internal static class UploadEndpoints
{
    /// <summary>
    /// The media types upload endpoints accept. The last entry lets every other type through routing, so that the
    /// reader, not the route matcher, answers an unsupported one (with problem details), and any other type is
    /// read as a raw file body.
    /// </summary>
    public static readonly string[] ContentTypes = ["multipart/form-data", "application/octet-stream", "application/x-www-form-urlencoded", "*/*"];

    public static void Mark(EndpointBuilder endpoint)
    {
        var metadata = UploadEndpointMetadata.GetOrAdd(endpoint);
        if (metadata.Marked)
        {
            return;
        }

        metadata.Marked = true;
        endpoint.FilterFactories.Add((_, next) => context => UploadProblems.FilterAsync(context, next));
        endpoint.Metadata.Add(new UploadAcceptsMetadata());
        // The problem responses (400, 413, 415, ...) are added to OpenAPI documents by UploadOpenApiOperationTransformer,
        // not as response metadata here: any such metadata would replace the success response ASP.NET Core infers from
        // the handler's return type, and the document would list only the failures.
    }

    /// <summary>Accepts both body shapes an upload endpoint reads; optional, so a bodiless request reaches the handler.</summary>
    private sealed class UploadAcceptsMetadata : IAcceptsMetadata
    {
        public IReadOnlyList<string> ContentTypes => UploadEndpoints.ContentTypes;

        // Bytes, which API descriptions render inline as a string body; the OpenAPI operation transformer then describes
        // the form's parts and the raw file. (Stream left a "Stream" schema of its own in documents, UploadForm would be
        // described as JSON, and no type at all fails as a body of type void.)
        public Type? RequestType => typeof(byte[]);

        public bool IsOptional => true;
    }
}
