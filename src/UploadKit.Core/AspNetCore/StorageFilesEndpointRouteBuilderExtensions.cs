using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;
using UploadKit;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves a storage's files over HTTP: Django's development <c>static(MEDIA_URL, document_root=MEDIA_ROOT)</c>.</summary>
public static class StorageFilesEndpointRouteBuilderExtensions
{
    private static readonly string[] Methods = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>
    /// Maps <c>GET</c> and <c>HEAD</c> under <paramref name="prefix"/> to the files of a storage, with the content type of
    /// the stored name's extension (not the one the uploading client declared; <c>application/octet-stream</c> when the
    /// extension is unknown), range requests, entity tags and <c>X-Content-Type-Options: nosniff</c>. Content a browser would run (HTML, SVG,
    /// XML, scripts) is sent as an attachment, never rendered inline, as Django's security guide advises for
    /// user-uploaded content. A missing file or a name that would leave the storage answers 404.
    /// </summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="prefix">The URL prefix, such as <c>/media</c>.</param>
    /// <param name="storageName">The storage to serve.</param>
    /// <returns>A builder for the endpoint's conventions (authorization, caching).</returns>
    /// <exception cref="InvalidOperationException">No storage is named <paramref name="storageName"/>.</exception>
    public static IEndpointConventionBuilder MapStorageFiles(
        this IEndpointRouteBuilder endpoints, string prefix, string storageName = FileStorageNames.Default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentException.ThrowIfNullOrEmpty(storageName);
        var registry = endpoints.ServiceProvider.GetService<IStorageRegistry>()
            ?? throw new InvalidOperationException("UploadKit is not registered: call services.AddUploadKit(...) at start-up.");
        if (!registry.Names.Contains(storageName, StringComparer.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"MapStorageFiles(\"{prefix}\") serves storage '{storageName}', which is not configured. " +
                    $"Configure UploadKit:Storages:{storageName} or call AddStorage(\"{storageName}\", ...).");
        }

        var pattern = prefix.TrimEnd('/') + "/{**name}";
        return endpoints.MapMethods(pattern, Methods, context => ServeAsync(context, storageName))
            .WithDisplayName($"Storage files '{storageName}' at {prefix}");
    }

    private static async Task ServeAsync(HttpContext context, string storageName)
    {
        var storage = context.RequestServices.GetRequiredService<IStorageRegistry>()[storageName];
        var cancellationToken = context.RequestAborted;
        if (context.GetRouteValue("name") is not string name)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        StoredFileInfo? info;
        Stream stream;
        try
        {
            name = FileStorageNames.Validate(name);
            info = await storage.GetMetadataAsync(name, cancellationToken).ConfigureAwait(false);
            if (info is null)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            stream = await storage.OpenReadAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SuspiciousFileNameException or FileNotFoundException)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        // The type comes from the stored name's extension, never from what the uploading client declared (curl sends
        // application/octet-stream for an .mp3; a hostile client sends image/png for a page).
        var contentType = StorageHelpers.GuessContentType(name) ?? "application/octet-stream";
        var fileName = name[(name.LastIndexOf('/') + 1)..];
        var attachment = IsActiveContent(contentType) || (info.ContentType is { } declared && IsActiveContent(declared));
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger(typeof(StorageFilesEndpointRouteBuilderExtensions))
            .ServingStoredFile(storageName);
        var result = Results.Stream(
            stream,
            contentType,
            fileDownloadName: attachment ? fileName : null,
            lastModified: info.LastModified,
            entityTag: ParseETag(info.ETag),
            enableRangeProcessing: stream.CanSeek);
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>Whether a browser would run content of this type (HTML, SVG, XML, scripts) if rendered inline.</summary>
    internal static bool IsActiveContent(string contentType)
    {
        var type = contentType.Split(';')[0].Trim();
        return type.Equals("text/html", StringComparison.OrdinalIgnoreCase) ||
            type.Contains("xml", StringComparison.OrdinalIgnoreCase) ||
            type.Contains("javascript", StringComparison.OrdinalIgnoreCase) ||
            type.Equals("text/ecmascript", StringComparison.OrdinalIgnoreCase) ||
            type.Equals("application/ecmascript", StringComparison.OrdinalIgnoreCase) ||
            type.Equals("text/xsl", StringComparison.OrdinalIgnoreCase) ||
            type.Equals("multipart/x-mixed-replace", StringComparison.OrdinalIgnoreCase);
    }

    private static EntityTagHeaderValue? ParseETag(string? etag)
    {
        if (string.IsNullOrEmpty(etag))
        {
            return null;
        }

        return EntityTagHeaderValue.TryParse(etag, out var parsed) ? parsed
            : EntityTagHeaderValue.TryParse("\"" + etag.Replace("\"", string.Empty, StringComparison.Ordinal) + "\"", out parsed) ? parsed
            : null;
    }
}
