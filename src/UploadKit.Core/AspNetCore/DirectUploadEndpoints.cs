using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace UploadKit;

/// <summary>The endpoints <c>MapDirectUploads</c> maps.</summary>
internal static class DirectUploadEndpoints
{
    public static RouteGroupBuilder Map(
        IEndpointRouteBuilder endpoints, string pattern, IEnumerable<string> storageNames, UploadEndpointAuthorization security)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<DirectUploadOptions>>().Value;
        options.LocalUploadPath = pattern;
        var names = storageNames.ToArray();
        var allowed = new HashSet<string>(names.Length == 0 ? [FileStorageNames.Default] : names, StringComparer.Ordinal);
        var group = endpoints.MapGroup(pattern);

        // The signed URL is the authorization, as with a presigned S3 URL: no user is asked for.
        group.MapMethods("/{id}", [HttpMethods.Put], ReceiveAsync).AllowAnonymous();

        // Everything else acts for the signed-in user, and requires authorization unless the app opts out explicitly.
        UploadKitEndpointSecurity.Secure(group.MapPost("/{storage}", context => BeginAsync(context, allowed)), security);
        UploadKitEndpointSecurity.Secure(group.MapPost("/{id}/complete", CompleteAsync), security);
        UploadKitEndpointSecurity.Secure(group.MapGet("/{id}", GetAsync), security);
        UploadKitEndpointSecurity.Secure(group.MapDelete("/{id}", CancelAsync), security);
        return group;
    }

    private static async Task BeginAsync(HttpContext context, HashSet<string> allowed)
    {
        var storage = (string)context.GetRouteValue("storage")!;
        if (!allowed.Contains(storage))
        {
            await Results.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Storage not found",
                detail: "Direct uploads to this storage are not offered.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        BeginBody? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync(DirectUploadJsonContext.Default.BeginBody, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException)
        {
            await BadRequest(context, "The body must be a JSON object with fileName and contentType.").ConfigureAwait(false);
            return;
        }

        if (body is null)
        {
            await BadRequest(context, "The body must be a JSON object with fileName and contentType.").ConfigureAwait(false);
            return;
        }

        DirectUpload upload;
        try
        {
            var request = new DirectUploadRequest(
                body.FileName ?? string.Empty, body.ContentType ?? string.Empty, body.Length, body.MaxLength, body.ChecksumSha256)
            {
                Method = string.Equals(body.Method, "POST", StringComparison.OrdinalIgnoreCase)
                    ? PresignedUploadMethod.Post
                    : PresignedUploadMethod.Put,
            };
            upload = await context.RequestServices.GetRequiredService<IDirectUploads>()
                .BeginAsync(storage, request, UploadKitEndpointSecurity.GetUserId(context), context.RequestAborted).ConfigureAwait(false);
        }
        catch (UploadRejectedException ex)
        {
            await UploadProblems.ToResult(ex).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            await BadRequest(
                context,
                ex is SuspiciousFileNameException or NotSupportedException
                    ? ex.Message
                    : "The upload request is invalid: " + ex.Message).ConfigureAwait(false);
            return;
        }

        var response = new BeginResponse(
            upload.Id,
            upload.SignedRequest.Method,
            ResolveUrl(context.Request, upload.SignedRequest.Url),
            upload.SignedRequest.Headers,
            upload.SignedRequest.FormFields.ToDictionary(f => f.Key, f => f.Value),
            upload.SignedRequest.FileFieldName,
            upload.SignedRequest.ExpiresOn);
        context.Response.StatusCode = StatusCodes.Status201Created;
        await context.Response.WriteAsJsonAsync(
            response, DirectUploadJsonContext.Default.BeginResponse, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task CompleteAsync(HttpContext context)
    {
        var id = (string)context.GetRouteValue("id")!;
        StoredFileInfo reference;
        try
        {
            var metadata = context.GetEndpoint()?.Metadata.GetMetadata<UploadEndpointMetadata>();
            reference = await context.RequestServices.GetRequiredService<DirectUploadService>()
                .CompleteAsync(
                    id,
                    UploadKitEndpointSecurity.GetUserId(context),
                    field => GetFileValidators(metadata, field),
                    context.RequestAborted).ConfigureAwait(false);
        }
        catch (UploadRejectedException ex)
        {
            await UploadProblems.ToResult(ex).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var response = new CompleteResponse(
            reference.StorageName!,
            reference.Name,
            reference.Length,
            reference.ContentType,
            reference.Checksums.GetValueOrDefault("sha256"),
            reference.ETag);
        await context.Response.WriteAsJsonAsync(
            response, DirectUploadJsonContext.Default.CompleteResponse, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task GetAsync(HttpContext context)
    {
        var id = (string)context.GetRouteValue("id")!;
        var session = await context.RequestServices.GetRequiredService<IDirectUploads>()
            .GetAsync(id, UploadKitEndpointSecurity.GetUserId(context), context.RequestAborted).ConfigureAwait(false);
        if (session is null)
        {
            await Results.Problem(
                statusCode: StatusCodes.Status404NotFound,
                title: "Direct upload not found",
                detail: "No direct upload has this id.").ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var response = new SessionResponse(
            session.Id,
            session.State.ToString(),
            session.StorageName,
            session.FileName,
            session.ContentType,
            session.Length,
            session.MaxLength,
            session.ExpiresOn,
            session.RejectionReason,
            session.ScanVerdict);
        await context.Response.WriteAsJsonAsync(
            response, DirectUploadJsonContext.Default.SessionResponse, cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task CancelAsync(HttpContext context)
    {
        var id = (string)context.GetRouteValue("id")!;
        try
        {
            var cancelled = await context.RequestServices.GetRequiredService<IDirectUploads>()
                .CancelAsync(id, UploadKitEndpointSecurity.GetUserId(context), context.RequestAborted).ConfigureAwait(false);
            if (!cancelled)
            {
                await Results.Problem(
                    statusCode: StatusCodes.Status409Conflict,
                    title: "Direct upload ended",
                    detail: "The direct upload has already ended.").ExecuteAsync(context).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (UploadRejectedException ex)
        {
            await UploadProblems.ToResult(ex).ExecuteAsync(context).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The signed PUT of a local direct upload: hands the route value, query, headers and body to the receiver, which
    /// checks them and streams the body through the handler chain into the storage, and answers its refusals.
    /// </summary>
    private static async Task ReceiveAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var request = new LocalUploadRequest(
            (string)context.GetRouteValue("id")!,
            query["expires"],
            query["max"],
            query["sig"],
            context.Request.ContentType,
            context.Request.ContentLength,
            context.RequestServices)
        {
            // The signed maximum is the limit here, not the server's default request size limit.
            AcceptBody = () =>
            {
                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
                {
                    sizeFeature.MaxRequestBodySize = null;
                }
            },
        };

        try
        {
            await context.RequestServices.GetRequiredService<LocalUploadReceiver>()
                .ReceiveAsync(request, chain => CreateChainContext(context, chain), context.RequestAborted).ConfigureAwait(false);
        }
        catch (UploadRejectedException ex)
        {
            await UploadProblems.ToResult(ex).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>
    /// The request context of a local direct upload's chain. The signed URL acts for the user who began the upload, as a
    /// presigned URL acts for whoever signed it: handlers that read the owner (the quota's key) see the session's owner.
    /// </summary>
    private static UploadRequestContext CreateChainContext(HttpContext context, LocalUploadChain chain)
    {
        MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType);
        var identity = chain.OwnerId is { } owner
            ? new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, owner)], "DirectUploadSignature")
            : new ClaimsIdentity();
        return UploadFeature.CreateRequestContext(
            context, chain.Options, chain.Handlers, contentType, new ClaimsPrincipal(identity), chain.OwnerId, chain.Saves);
    }

    /// <summary>The file validators the completing endpoint was given for <paramref name="field"/> with <c>WithFileValidators</c>.</summary>
    private static List<IFileValidator> GetFileValidators(UploadEndpointMetadata? metadata, string field)
    {
        var validators = new List<IFileValidator>();
        foreach (var (name, list) in metadata?.FileValidators ?? [])
        {
            if (string.Equals(name, field, StringComparison.Ordinal))
            {
                validators.AddRange(list);
            }
        }

        return validators;
    }

    /// <summary>Makes an app-relative upload URL absolute, on the scheme, host and base path of the request that began it.</summary>
    private static string ResolveUrl(HttpRequest request, Uri url) =>
        url.IsAbsoluteUri || !request.Host.HasValue
            ? url.ToString()
            : request.Scheme + "://" + request.Host.ToUriComponent() + request.PathBase.ToUriComponent() + url.OriginalString;

    private static Task BadRequest(HttpContext context, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid direct upload request", detail: detail).ExecuteAsync(context);

    internal sealed record BeginBody(string? FileName, string? ContentType, long? Length, long? MaxLength, string? ChecksumSha256, string? Method);

    internal sealed record BeginResponse(
        string Id,
        string Method,
        string Url,
        IReadOnlyDictionary<string, string> Headers,
        Dictionary<string, string> FormFields,
        string? FileFieldName,
        DateTimeOffset ExpiresOn);

    internal sealed record CompleteResponse(string StorageName, string Name, long Length, string? ContentType, string? ChecksumSha256, string? ETag);

    internal sealed record SessionResponse(
        string Id,
        string State,
        string StorageName,
        string? FileName,
        string? ContentType,
        long? Length,
        long? MaxLength,
        DateTimeOffset ExpiresOn,
        string? RejectionReason,
        string? ScanVerdict);
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DirectUploadEndpoints.BeginBody))]
[JsonSerializable(typeof(DirectUploadEndpoints.BeginResponse))]
[JsonSerializable(typeof(DirectUploadEndpoints.CompleteResponse))]
[JsonSerializable(typeof(DirectUploadEndpoints.SessionResponse))]
internal sealed partial class DirectUploadJsonContext : JsonSerializerContext;
