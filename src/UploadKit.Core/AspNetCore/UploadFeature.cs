using System.Collections.ObjectModel;
using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using UploadKit.Pipeline;

namespace UploadKit;

/// <summary>A request's upload state: its handler list, and the one read of its body.</summary>
internal sealed class UploadFeature(HttpContext httpContext) : IUploadFormFeature
{
    private UploadHandlerList? _handlers;
    private Task<UploadForm>? _reading;

    /// <summary>Gets a rejection caught while binding an <see cref="UploadForm"/> parameter, for the endpoint filter to answer.</summary>
    public UploadRejectedException? BindingRejection { get; set; }

    /// <summary>Gets what the request saved, once its form was read, to be kept or deleted by its answer.</summary>
    public UploadSaveScope? Saves { get; private set; }

    public static UploadFeature Get(HttpContext context)
    {
        var feature = context.Features.Get<UploadFeature>();
        if (feature is null)
        {
            feature = new UploadFeature(context);
            context.Features.Set(feature);
        }

        return feature;
    }

    /// <summary>The request's form feature: one the app set, else UploadKit's own.</summary>
    public static IUploadFormFeature GetForm(HttpContext context) =>
        context.Features.Get<IUploadFormFeature>() ?? Get(context);

    public UploadHandlerList Handlers => _handlers ??= CreateHandlers();

    IList<UploadHandler> IUploadFormFeature.Handlers => Handlers;

    public Task<UploadForm> ReadFormAsync(CancellationToken cancellationToken) => _reading ??= ReadCoreAsync(cancellationToken);

    private UploadHandlerList CreateHandlers()
    {
        var services = httpContext.RequestServices;
        var metadata = httpContext.GetEndpoint()?.Metadata.GetMetadata<UploadEndpointMetadata>();
        var factories = metadata?.Handlers ?? GetChainOptions(services).Factories;
        var list = new UploadHandlerList();
        foreach (var factory in factories)
        {
            list.Add(factory(services));
        }

        return list;
    }

    private async Task<UploadForm> ReadCoreAsync(CancellationToken cancellationToken)
    {
        var handlers = Handlers;
        handlers.Freeze();
        var services = httpContext.RequestServices;
        var metadata = httpContext.GetEndpoint()?.Metadata.GetMetadata<UploadEndpointMetadata>();
        var options = (services.GetService<IOptions<UploadOptions>>()
            ?? throw new InvalidOperationException("UploadKit is not registered: call services.AddUploadKit(...) at start-up.")).Value;
        if (metadata is { ConfigureOptions.Count: > 0 })
        {
            options = options.Clone();
            foreach (var configure in metadata.ConfigureOptions)
            {
                configure(options);
            }

            UploadOptionsContentRoot.Resolve(options, services);
        }

        MediaTypeHeaderValue.TryParse(httpContext.Request.ContentType, out var contentType);
        var antiforgeryField = metadata is { RequireAntiforgery: true }
            ? await ValidateAntiforgeryAsync(services, contentType).ConfigureAwait(false)
            : null;

        // The request's own (frozen) list is the chain unless the endpoint puts handlers in front or scanning joins it.
        IReadOnlyList<UploadHandler> chain = handlers;
        if (metadata is { FrontHandlers.Count: > 0 } || services.GetService<UploadScanning>() is not null)
        {
            var built = new List<UploadHandler>(handlers.Count + (metadata?.FrontHandlers.Count ?? 0));
            if (metadata is not null)
            {
                foreach (var front in metadata.FrontHandlers)
                {
                    built.Add(front(httpContext));
                }
            }

            built.AddRange(handlers);
            AddScanning(built, services, metadata);
            chain = built.AsReadOnly();
        }
        var sizeFeature = httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            sizeFeature.MaxRequestBodySize = options.MaxRequestBodySize;
        }

        var saves = new UploadSaveScope(services.GetService<ILoggerFactory>()?.CreateLogger(UploadLog.UploadCategory));
        Saves = saves;
        var owner = UploadKitEndpointSecurity.GetUserId(httpContext);
        var context = CreateRequestContext(httpContext, options, chain, contentType, httpContext.User, owner, saves, antiforgeryField);
        var form = await UploadReader.ReadAsync(context, cancellationToken).ConfigureAwait(false);
        httpContext.Response.RegisterForDisposeAsync(form);
        foreach (var file in form.Files)
        {
            file.SaveScope = saves;
        }

        // The answer settles what the endpoint saved: below 400 it stays; an error answer deletes it before the client
        // hears of it. A request that ends with no answer of its own (an unhandled exception) is settled when it ends.
        var response = httpContext.Response;
        var settle = new SettleOnDispose(saves, response);
        if (!response.HasStarted)
        {
            response.OnStarting(static state => ((SettleOnDispose)state).SettleOnStartingAsync(), settle);
        }

        response.RegisterForDisposeAsync(settle);
        return form;
    }

    /// <summary>
    /// Puts the scanning stage in front of the chain's first handler that keeps files, once the app added scanning: every
    /// file is scanned while it streams, and no handler that keeps it completes it before the verdict. A chain without a
    /// built-in keeping handler gets it at its front, so no custom handler can complete a file before the verdict either.
    /// </summary>
    internal static void AddScanning(List<UploadHandler> chain, IServiceProvider services, UploadEndpointMetadata? metadata)
    {
        if (services.GetService<UploadScanning>() is not { } scanning)
        {
            return;
        }

        var position = chain.FindIndex(h => h is MemoryUploadHandler or TemporaryFileUploadHandler or StorageStreamingHandler);
        chain.Insert(Math.Max(position, 0), new ScanningUploadHandler(scanning, metadata?.ScanFailOpen ?? scanning.Options.FailOpen));
    }

    /// <summary>
    /// What a handler chain sees of <paramref name="httpContext"/>: the request as plain data, acting for
    /// <paramref name="user"/> and <paramref name="ownerId"/>.
    /// </summary>
    internal static UploadRequestContext CreateRequestContext(
        HttpContext httpContext,
        UploadOptions options,
        IReadOnlyList<UploadHandler> chain,
        MediaTypeHeaderValue? contentType,
        ClaimsPrincipal user,
        string? ownerId,
        UploadSaveScope? saves,
        FormFieldToken? formToken = null)
    {
        var request = httpContext.Request;
        return new UploadRequestContext(options, chain, httpContext.RequestServices)
        {
            User = user,
            OwnerId = ownerId,
            Headers = request.Headers,
            Query = request.Query,
            RouteValues = request.RouteValues,
            ContentType = contentType,
            ContentLength = request.ContentLength,
            Body = request.BodyReader,
            RequestAborted = httpContext.RequestAborted,
            PendingFormToken = formToken,
            Saves = saves,
        };
    }

    /// <summary>Settles a request's saves when it ends, if its answer did not already.</summary>
    private sealed class SettleOnDispose(UploadSaveScope saves, HttpResponse response) : IAsyncDisposable
    {
        /// <summary>Settles by the answer about to start: below 400 the saves stay, otherwise they go before the client hears of it.</summary>
        public Task SettleOnStartingAsync() => saves.SettleAsync(succeeded: response.StatusCode < 400);

        public ValueTask DisposeAsync() => new(saves.SettleAsync(succeeded: response.HasStarted && response.StatusCode < 400));
    }

    /// <summary>
    /// Checks the antiforgery token before the body is read when it came in the header (fetch and XHR clients).
    /// Otherwise a plain HTML form carries it as its first field: the check is handed to the reader, which
    /// validates that field before any file part and refuses a file that arrives first.
    /// </summary>
    private async Task<FormFieldToken?> ValidateAntiforgeryAsync(IServiceProvider services, MediaTypeHeaderValue? contentType)
    {
        var antiforgery = services.GetService<IAntiforgery>()
            ?? throw new InvalidOperationException("The endpoint requires antiforgery validation: call services.AddAntiforgery() at start-up.");
        var options = services.GetRequiredService<IOptions<AntiforgeryOptions>>().Value;
        var headerName = options.HeaderName;
        if (headerName is not null && httpContext.Request.Headers.ContainsKey(headerName))
        {
            await FormAntiforgeryCheck.ThrowIfInvalidAsync(antiforgery, httpContext).ConfigureAwait(false);
            return null;
        }

        var isForm = contentType is not null &&
            (contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
             contentType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase));
        if (isForm && headerName is not null)
        {
            return FormAntiforgeryCheck.ForFirstField(httpContext, antiforgery, headerName, options.FormFieldName);
        }

        throw UploadRejectedException.Antiforgery(
            "The antiforgery token is missing; send it in the " +
                $"'{headerName ?? "RequestVerificationToken"}' header, or as the form's first field '{options.FormFieldName}'.",
            missing: true);
    }

    private static UploadHandlerChainOptions GetChainOptions(IServiceProvider services) =>
        services.GetService<IOptions<UploadHandlerChainOptions>>()?.Value ?? new UploadHandlerChainOptions();
}

/// <summary>A request's handler list (Django's <c>request.upload_handlers</c>), fixed once reading starts.</summary>
internal sealed class UploadHandlerList : Collection<UploadHandler>
{
    private bool _frozen;

    public void Freeze() => _frozen = true;

    protected override void InsertItem(int index, UploadHandler item)
    {
        ArgumentNullException.ThrowIfNull(item);
        ThrowIfFrozen();
        base.InsertItem(index, item);
    }

    protected override void SetItem(int index, UploadHandler item)
    {
        ArgumentNullException.ThrowIfNull(item);
        ThrowIfFrozen();
        base.SetItem(index, item);
    }

    protected override void RemoveItem(int index)
    {
        ThrowIfFrozen();
        base.RemoveItem(index);
    }

    protected override void ClearItems()
    {
        ThrowIfFrozen();
        base.ClearItems();
    }

    private void ThrowIfFrozen()
    {
        if (_frozen)
        {
            throw new InvalidOperationException("The upload handlers cannot be changed after the request body has started to be read.");
        }
    }
}
