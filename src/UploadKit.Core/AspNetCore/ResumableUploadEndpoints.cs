using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// The endpoints <c>MapResumableUploads</c> maps: tus 1.0 and the IETF resumable-upload draft on one route, told apart by
/// their headers. Each request is translated into the service's plain terms here, and its outcome back into the
/// protocol's headers and statuses.
/// </summary>
internal static class ResumableUploadEndpoints
{
    public const string TusVersion = "1.0.0";
    public const string TusExtensions = "creation,creation-with-upload,creation-defer-length,termination,checksum,expiration";
    private const string TusContentType = "application/offset+octet-stream";
    private const string PartialUploadContentType = "application/partial-upload";
    private const string ProblemTypes = "https://iana.org/assignments/http-problem-types#";

    /// <summary>The draft interop versions served: 5 (draft -03) and 6 (-04/-05), which tus-js-client speaks, up to 8, the latest.</summary>
    private static readonly int[] InteropVersions = [5, 6, 7, 8];

    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string pattern, ResumableUploadOptions options)
    {
        var group = endpoints.MapGroup(pattern);
        group.WithMetadata(new ResumableRoute(options));
        group.MapMethods(string.Empty, [HttpMethods.Options], Discover).AllowAnonymous();
        group.MapMethods("/{id}", [HttpMethods.Options], Discover).AllowAnonymous();
        UploadKitEndpointSecurity.Secure(group.MapPost(string.Empty, CreateAsync), options.Authorization);
        UploadKitEndpointSecurity.Secure(group.MapMethods("/{id}", [HttpMethods.Head], HeadAsync), options.Authorization);
        UploadKitEndpointSecurity.Secure(group.MapMethods("/{id}", [HttpMethods.Patch], AppendAsync), options.Authorization);
        UploadKitEndpointSecurity.Secure(group.MapDelete("/{id}", TerminateAsync), options.Authorization);
        UploadKitEndpointSecurity.Secure(group.MapPost("/{id}", OverrideAsync), options.Authorization);
        return group;
    }

    private static Task Discover(HttpContext context)
    {
        var route = Route(context);
        var headers = context.Response.Headers;
        headers["Tus-Resumable"] = TusVersion;
        headers["Tus-Version"] = TusVersion;
        headers["Tus-Extension"] = TusExtensions;
        headers["Tus-Max-Size"] = route.Options.MaxSize.ToString(CultureInfo.InvariantCulture);
        headers["Tus-Checksum-Algorithm"] = string.Join(',', ResumableUploadService.ChecksumAlgorithms);
        headers["Accept-Patch"] = PartialUploadContentType;
        headers["Upload-Limit"] = $"max-size={route.Options.MaxSize}";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static async Task CreateAsync(HttpContext context)
    {
        if (!TryGetProtocol(context, out var protocol))
        {
            await RefuseVersionAsync(context).ConfigureAwait(false);
            return;
        }

        var endpoint = Endpoint(context);
        var service = Service(context);
        var headers = context.Request.Headers;
        try
        {
            long? length = null;
            if (protocol.IsTus)
            {
                if (headers.ContainsKey("Upload-Length"))
                {
                    length = ParseLength(headers["Upload-Length"], "Upload-Length");
                }
                else if (!string.Equals(headers["Upload-Defer-Length"], "1", StringComparison.Ordinal))
                {
                    throw UploadRejectedException.BadRequest("Either Upload-Length or Upload-Defer-Length: 1 must be given.");
                }
            }
            else
            {
                if (headers.ContainsKey("Upload-Length"))
                {
                    length = ParseLength(headers["Upload-Length"], "Upload-Length");
                }

                if (ParseComplete(headers) && context.Request.ContentLength is { } complete)
                {
                    length = length is { } declared && declared != complete
                        ? throw Inconsistent("Upload-Length differs from the length of the complete upload's content.")
                        : complete;
                }
            }

            var metadata = protocol.IsTus || headers.ContainsKey("Upload-Metadata") ? ParseMetadata(headers["Upload-Metadata"]) : [];
            var fileName = Value(metadata, "filename") ?? Value(metadata, "name") ?? DispositionFileName(headers);
            var contentType = Value(metadata, "filetype") ?? Value(metadata, "type") ?? RepresentationType(context.Request.ContentType);
            var upload = await service.CreateAsync(
                endpoint,
                new ResumableCreation(
                    length, fileName, contentType, headers["Upload-Metadata"].ToString() is { Length: > 0 } m ? m : null, protocol.Name),
                RequestContext(context),
                context.RequestAborted).ConfigureAwait(false);

            var location = LocationOf(context, upload.Id);
            context.Response.Headers.Location = location;
            var hasBody = context.Request.ContentLength > 0 ||
                (context.Request.ContentLength is null && context.Request.Headers.ContainsKey(HeaderNames.TransferEncoding));
            // A zero-byte upload is complete at creation: there is nothing to append.
            if (!hasBody && !(protocol.IsDraft && ParseComplete(headers)) && length != 0)
            {
                WriteState(context, protocol, upload, endpoint.Options);
                context.Response.StatusCode = StatusCodes.Status201Created;
                return;
            }

            // Creation with upload: the body is the first append.
            if (protocol.IsTus && hasBody && !IsContentType(context.Request.ContentType, TusContentType))
            {
                throw UploadRejectedException.UnsupportedMediaType($"An upload's content must be sent as {TusContentType}.");
            }

            await AppendCoreAsync(context, protocol, endpoint, service, upload.Id, 0, created: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            await FailAsync(context, protocol, ex).ConfigureAwait(false);
        }
    }

    private static async Task HeadAsync(HttpContext context)
    {
        if (!TryGetProtocol(context, out var protocol))
        {
            await RefuseVersionAsync(context).ConfigureAwait(false);
            return;
        }

        try
        {
            var upload = await Service(context).GetAsync(Id(context), UploadKitEndpointSecurity.GetUserId(context), context.RequestAborted)
                .ConfigureAwait(false);
            WriteState(context, protocol, upload, Route(context).Options);
            context.Response.Headers.CacheControl = "no-store";
            context.Response.StatusCode = protocol.IsTus ? StatusCodes.Status200OK : StatusCodes.Status204NoContent;
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            await FailAsync(context, protocol, ex, head: true).ConfigureAwait(false);
        }
    }

    private static async Task AppendAsync(HttpContext context)
    {
        if (!TryGetProtocol(context, out var protocol))
        {
            await RefuseVersionAsync(context).ConfigureAwait(false);
            return;
        }

        try
        {
            var headers = context.Request.Headers;
            if (protocol.IsTus && !IsContentType(context.Request.ContentType, TusContentType))
            {
                throw UploadRejectedException.UnsupportedMediaType($"A PATCH must send its bytes as {TusContentType}.");
            }

            if (protocol.InteropVersion >= 6 && !IsContentType(context.Request.ContentType, PartialUploadContentType))
            {
                throw UploadRejectedException.UnsupportedMediaType($"An append must send its bytes as {PartialUploadContentType}.");
            }

            if (!headers.ContainsKey("Upload-Offset"))
            {
                throw UploadRejectedException.BadRequest("An append must say where it starts, in Upload-Offset.");
            }

            var offset = ParseLength(headers["Upload-Offset"], "Upload-Offset");
            await AppendCoreAsync(context, protocol, Endpoint(context), Service(context), Id(context), offset, created: false).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            await FailAsync(context, protocol, ex).ConfigureAwait(false);
        }
    }

    private static async Task AppendCoreAsync(
        HttpContext context, Protocol protocol, ResumableEndpoint endpoint, ResumableUploadService service, string id, long offset, bool created)
    {
        var headers = context.Request.Headers;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            // The route's own limits (the upload's length, MaxSize) bound what is read.
            size.MaxRequestBodySize = null;
        }

        var append = new ResumableAppend(offset) { IsLast = protocol.IsDraft && ParseComplete(headers) };
        if (protocol.IsTus && !created && headers.ContainsKey("Upload-Length"))
        {
            append = append with { DeclaredLength = ParseLength(headers["Upload-Length"], "Upload-Length") };
        }

        if (protocol.IsTus && headers["Upload-Checksum"].ToString() is { Length: > 0 } checksum)
        {
            var parts = checksum.Split(' ', 2, StringSplitOptions.TrimEntries);
            byte[] digest;
            try
            {
                digest = parts.Length == 2 ? Convert.FromBase64String(parts[1]) : throw new FormatException();
            }
            catch (FormatException)
            {
                throw UploadRejectedException.BadRequest("Upload-Checksum must be an algorithm and a base64 digest.");
            }

            ResumableUploadService.ToHashName(parts[0]);
            append = append with { ChecksumAlgorithm = parts[0].ToLowerInvariant(), ExpectedChecksum = digest };
        }

        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var result = await service.AppendAsync(endpoint, id, append, RequestContext(context), stopping).ConfigureAwait(false);
        if (result.BodyFailure is not null)
        {
            // The client went away; what arrived is recorded, and there is no one to answer.
            context.Abort();
            return;
        }

        var response = context.Response;
        if (created)
        {
            response.Headers.Location = LocationOf(context, id);
        }

        WriteState(context, protocol, result.Upload, endpoint.Options);
        if (result.Completed is { } file && protocol.IsDraft)
        {
            response.StatusCode = StatusCodes.Status200OK;
            await response.WriteAsJsonAsync(
                new ResumableUploadBody(id, file.StorageName, file.Name, file.Length, file.ContentType),
                ResumableJsonContext.Default.ResumableUploadBody,
                cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return;
        }

        response.StatusCode = created ? StatusCodes.Status201Created : StatusCodes.Status204NoContent;
    }

    private static async Task TerminateAsync(HttpContext context)
    {
        if (!TryGetProtocol(context, out var protocol))
        {
            await RefuseVersionAsync(context).ConfigureAwait(false);
            return;
        }

        try
        {
            await Service(context).TerminateAsync(
                Id(context), UploadKitEndpointSecurity.GetUserId(context), Route(context).Options, context.RequestAborted).ConfigureAwait(false);
            SetProtocolHeaders(context, protocol);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            await FailAsync(context, protocol, ex).ConfigureAwait(false);
        }
    }

    /// <summary>tus's <c>X-HTTP-Method-Override</c>, for clients behind proxies that pass only GET and POST.</summary>
    private static Task OverrideAsync(HttpContext context) =>
        context.Request.Headers["X-HTTP-Method-Override"].ToString().ToUpperInvariant() switch
        {
            "PATCH" => AppendAsync(context),
            "DELETE" => TerminateAsync(context),
            "HEAD" => HeadAsync(context),
            _ => Results.Problem(
                statusCode: StatusCodes.Status405MethodNotAllowed,
                title: "Method not allowed",
                detail: "POST on an upload needs X-HTTP-Method-Override: PATCH or DELETE.").ExecuteAsync(context),
        };

    /// <summary>Writes the headers that tell the client where the upload stands.</summary>
    private static void WriteState(HttpContext context, Protocol protocol, ResumableUpload upload, ResumableUploadOptions options)
    {
        var headers = context.Response.Headers;
        SetProtocolHeaders(context, protocol);
        headers["Upload-Offset"] = upload.Offset.ToString(CultureInfo.InvariantCulture);
        if (protocol.IsTus)
        {
            if (upload.Length is { } length)
            {
                headers["Upload-Length"] = length.ToString(CultureInfo.InvariantCulture);
            }
            else
            {
                headers["Upload-Defer-Length"] = "1";
            }

            if (upload.Metadata is { } metadata && HttpMethods.IsHead(context.Request.Method))
            {
                headers["Upload-Metadata"] = metadata;
            }

            if (upload.State is ResumableUploadState.Receiving)
            {
                headers["Upload-Expires"] = upload.ExpiresOn.ToString("R", CultureInfo.InvariantCulture);
            }

            return;
        }

        headers["Upload-Complete"] = upload.State is ResumableUploadState.Completed ? "?1" : "?0";
        if (upload.Length is { } known)
        {
            headers["Upload-Length"] = known.ToString(CultureInfo.InvariantCulture);
        }

        var age = Math.Max(0, (long)(upload.ExpiresOn - DateTimeOffset.UtcNow).TotalSeconds);
        headers["Upload-Limit"] = $"max-size={options.MaxSize}, {(protocol.InteropVersion <= 6 ? "expires" : "max-age")}={age}";
    }

    private static void SetProtocolHeaders(HttpContext context, Protocol protocol)
    {
        if (protocol.IsTus)
        {
            context.Response.Headers["Tus-Resumable"] = TusVersion;
        }
        else if (protocol.InteropVersion is { } version)
        {
            context.Response.Headers["Upload-Draft-Interop-Version"] = version.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Answers a refusal in the protocol's terms, as problem details.</summary>
    private static async Task FailAsync(HttpContext context, Protocol protocol, Exception exception, bool head = false)
    {
        SetProtocolHeaders(context, protocol);
        if (exception is ResumableUploadException failure)
        {
            var (status, type, title) = failure.Failure switch
            {
                ResumableFailure.NotFound => (StatusCodes.Status404NotFound, null, "Upload not found"),
                ResumableFailure.Gone => (StatusCodes.Status410Gone, null, "Upload ended"),
                ResumableFailure.Locked => protocol.IsTus
                    ? (StatusCodes.Status423Locked, null, "Upload busy")
                    : (StatusCodes.Status409Conflict, null, "Upload busy"),
                ResumableFailure.OffsetMismatch => (StatusCodes.Status409Conflict, "mismatching-upload-offset", "Mismatching upload offset"),
                ResumableFailure.AlreadyComplete => protocol.IsTus
                    ? (StatusCodes.Status409Conflict, null, "Upload complete")
                    : context.Request.ContentLength is null or 0
                        ? (StatusCodes.Status410Gone, "completed-upload", "Upload is already completed")
                        : (StatusCodes.Status400BadRequest, "inconsistent-upload-length", "Inconsistent length values for upload"),
                ResumableFailure.InconsistentLength =>
                    (StatusCodes.Status400BadRequest, "inconsistent-upload-length", "Inconsistent length values for upload"),
                ResumableFailure.ChecksumMismatch => (460, null, "Checksum mismatch"),
                ResumableFailure.UnsupportedChecksum => (StatusCodes.Status400BadRequest, null, "Unsupported checksum algorithm"),
                _ => (StatusCodes.Status400BadRequest, null, "Upload refused"),
            };
            if (failure.Upload is { } upload && failure.Failure is ResumableFailure.OffsetMismatch or ResumableFailure.Locked)
            {
                context.Response.Headers["Upload-Offset"] = upload.Offset.ToString(CultureInfo.InvariantCulture);
            }

            if (head)
            {
                context.Response.StatusCode = status;
                return;
            }

            Dictionary<string, object?>? extensions = null;
            if (failure.Failure is ResumableFailure.OffsetMismatch && failure.Upload is { } current)
            {
                extensions = new()
                {
                    ["expected-offset"] = current.Offset,
                    ["provided-offset"] = long.TryParse(
                        context.Request.Headers["Upload-Offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var provided)
                        ? provided
                        : null,
                };
            }

            await Results.Problem(
                detail: failure.Message,
                statusCode: status,
                title: title,
                type: type is null || protocol.IsTus ? null : ProblemTypes + type,
                extensions: extensions).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (UploadProblems.AsRejection(exception) is { } rejection)
        {
            if (head)
            {
                context.Response.StatusCode = rejection.StatusCode;
                return;
            }

            if (rejection.StatusCode == StatusCodes.Status413PayloadTooLarge && protocol.IsDraft)
            {
                context.Response.Headers["Upload-Limit"] = $"max-size={Route(context).Options.MaxSize}";
            }

            await UploadProblems.ToResult(rejection).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        throw exception;
    }

    private static Task RefuseVersionAsync(HttpContext context)
    {
        context.Response.Headers["Tus-Version"] = TusVersion;
        return Results.Problem(
            statusCode: StatusCodes.Status412PreconditionFailed,
            title: "Unsupported protocol version",
            detail: $"Send Tus-Resumable: {TusVersion}, or Upload-Draft-Interop-Version {string.Join(", ", InteropVersions)} with Upload-Complete.")
            .ExecuteAsync(context);
    }

    private static bool TryGetProtocol(HttpContext context, out Protocol protocol)
    {
        var headers = context.Request.Headers;
        if (headers["Upload-Draft-Interop-Version"].ToString() is { Length: > 0 } interop)
        {
            var ok = int.TryParse(interop, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && InteropVersions.Contains(version);
            protocol = new Protocol(IsTus: false, ok ? version : null);
            return ok;
        }

        if (headers["Tus-Resumable"].ToString() is { Length: > 0 } tus)
        {
            protocol = new Protocol(IsTus: true, null);
            return string.Equals(tus, TusVersion, StringComparison.Ordinal);
        }

        // The draft without an interop version: the final protocol, which these requests follow as the latest draft.
        protocol = new Protocol(IsTus: false, null);
        return headers.ContainsKey("Upload-Complete") || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsDelete(context.Request.Method);
    }

    private static bool ParseComplete(IHeaderDictionary headers) => headers["Upload-Complete"].ToString() switch
    {
        "?1" => true,
        "?0" or "" => false,
        _ => throw UploadRejectedException.BadRequest("Upload-Complete must be ?1 or ?0."),
    };

    private static long ParseLength(string? value, string header) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? length
            : throw UploadRejectedException.BadRequest($"{header} must be a non-negative integer.");

    private static UploadRejectedException Inconsistent(string message) => UploadRejectedException.BadRequest(message);

    /// <summary>Parses tus <c>Upload-Metadata</c>: comma-separated pairs of a key and an optional base64 value.</summary>
    internal static Dictionary<string, string> ParseMetadata(string? header)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(header))
        {
            return values;
        }

        foreach (var pair in header.Split(','))
        {
            var parts = pair.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is 0 or > 2 || parts[0].Any(c => c > 127 || char.IsControl(c)))
            {
                throw UploadRejectedException.BadRequest("Upload-Metadata must be comma-separated pairs of a key and a base64 value.");
            }

            string value;
            try
            {
                value = parts.Length == 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[1])) : string.Empty;
            }
            catch (FormatException)
            {
                throw UploadRejectedException.BadRequest($"The Upload-Metadata value of '{parts[0]}' is not base64.");
            }

            if (!values.TryAdd(parts[0], value))
            {
                throw UploadRejectedException.BadRequest($"Upload-Metadata gives '{parts[0]}' twice.");
            }
        }

        return values;
    }

    private static string? Value(Dictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) && value.Length > 0 ? value : null;

    private static string? DispositionFileName(IHeaderDictionary headers) =>
        ContentDispositionHeaderValue.TryParse(headers.ContentDisposition.ToString(), out var disposition)
            ? (disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value)
            : null;

    /// <summary>The representation's media type from a creation request, unless it is one of the protocols' own.</summary>
    private static string? RepresentationType(string? contentType) =>
        contentType is null || IsContentType(contentType, TusContentType) || IsContentType(contentType, PartialUploadContentType)
            ? null
            : contentType;

    private static bool IsContentType(string? contentType, string expected) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed) && parsed.MediaType.Equals(expected, StringComparison.OrdinalIgnoreCase);

    private static string LocationOf(HttpContext context, string id)
    {
        var request = context.Request;
        var path = request.PathBase.Add(request.Path).Value!.TrimEnd('/');
        if (context.GetRouteValue("id") is not null)
        {
            path = path[..path.LastIndexOf('/')];
        }

        return $"{request.Scheme}://{request.Host}{path}/{id}";
    }

    private static UploadRequestContext RequestContext(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<UploadOptions>>().Value;
        MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType);
        return UploadFeature.CreateRequestContext(
            context, options, [], contentType, context.User, UploadKitEndpointSecurity.GetUserId(context), saves: null);
    }

    private static string Id(HttpContext context) => (string)context.GetRouteValue("id")!;

    private static ResumableRoute Route(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<ResumableRoute>() ?? throw new InvalidOperationException("Not a resumable-upload route.");

    private static ResumableUploadService Service(HttpContext context) => context.RequestServices.GetRequiredService<ResumableUploadService>();

    private static ResumableEndpoint Endpoint(HttpContext context)
    {
        var route = Route(context);
        var field = route.Options.FieldName;
        var validators = new List<IFileValidator>();
        foreach (var (name, validator) in context.RequestServices.GetRequiredService<IOptions<AppFileValidators>>().Value.Validators)
        {
            if (name is null || string.Equals(name, field, StringComparison.Ordinal))
            {
                validators.Add(validator);
            }
        }

        foreach (var (name, list) in context.GetEndpoint()?.Metadata.GetMetadata<UploadEndpointMetadata>()?.FileValidators ?? [])
        {
            if (string.Equals(name, field, StringComparison.Ordinal))
            {
                validators.AddRange(list);
            }
        }

        return new ResumableEndpoint(route.Options, validators);
    }

    /// <summary>Which protocol a request speaks: tus 1.0, or the draft at an interop version (none for the final protocol).</summary>
    private readonly record struct Protocol(bool IsTus, int? InteropVersion)
    {
        public bool IsDraft => !IsTus;

        public string Name =>
            IsTus ? "tus" : InteropVersion is { } version ? "ietf-interop-" + version.ToString(CultureInfo.InvariantCulture) : "ietf";
    }

    /// <summary>The route's options, as endpoint metadata.</summary>
    private sealed record ResumableRoute(ResumableUploadOptions Options);
}

/// <summary>The stored file a completed upload answers with, in the draft's protocol.</summary>
internal sealed record ResumableUploadBody(string Id, string? Storage, string Name, long Length, string? ContentType);

[System.Text.Json.Serialization.JsonSerializable(typeof(ResumableUploadBody))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
internal sealed partial class ResumableJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
