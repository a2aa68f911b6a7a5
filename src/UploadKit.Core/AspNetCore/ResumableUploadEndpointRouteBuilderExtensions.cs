using Microsoft.AspNetCore.Routing;
using UploadKit;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps UploadKit's resumable-upload route.</summary>
public static class ResumableUploadEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps resumable uploads under <paramref name="pattern"/>, speaking both tus 1.0.0 and the IETF "Resumable Uploads
    /// for HTTP" draft, told apart by their headers (<c>Tus-Resumable</c>; <c>Upload-Draft-Interop-Version</c> or
    /// <c>Upload-Complete</c>):
    /// <list type="bullet">
    /// <item><c>OPTIONS {pattern}</c>: discovery (tus versions, extensions, maximum size and checksums; the draft's <c>Accept-Patch</c>).</item>
    /// <item><c>POST {pattern}</c>: creates an upload, with or without its first bytes; answers <c>201</c> with its <c>Location</c>.</item>
    /// <item><c>HEAD {pattern}/{id}</c>: where the upload stands (<c>Upload-Offset</c>).</item>
    /// <item><c>PATCH {pattern}/{id}</c>: appends bytes at <c>Upload-Offset</c>; the last append completes the upload.</item>
    /// <item><c>DELETE {pattern}/{id}</c>: ends an upload and removes everything it wrote.</item>
    /// </list>
    /// Every appended byte passes the route's file validators (the app's for <see cref="ResumableUploadOptions.FieldName"/>, and
    /// those attached with <c>WithFileValidators</c>), size limit and quota, and goes straight into the storage's resumable
    /// write; upload state lives in the <see cref="UploadKit.Stores.IResumableUploadStore"/>, so any server continues any upload.
    /// An upload belongs to the user who created it: others get 404. Authorization is required unless
    /// <see cref="ResumableUploadOptions.Authorization"/> opts out explicitly.
    /// </summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="pattern">The route prefix, such as <c>/resumable</c>.</param>
    /// <param name="configure">Sets the storage, limits, authorization and the completion callback.</param>
    /// <returns>A builder for the endpoints' conventions.</returns>
    public static RouteGroupBuilder MapResumableUploads(
        this IEndpointRouteBuilder endpoints, string pattern, Action<ResumableUploadOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var options = new ResumableUploadOptions();
        configure?.Invoke(options);
        if (options.MaxSize <= 0 || options.Expiration <= TimeSpan.Zero || options.LeaseDuration <= TimeSpan.Zero ||
            options.Retention < TimeSpan.Zero)
        {
            throw new ArgumentException("ResumableUploadOptions: MaxSize, Expiration and LeaseDuration must be positive, Retention not negative.");
        }

        if (options.Quota is { } quota && QuotaOptionsValidation.Validate(quota) is { } error)
        {
            throw new ArgumentException(error);
        }

        foreach (var algorithm in options.Checksums)
        {
            if (!ResumableUploadService.ChecksumAlgorithms.Contains(algorithm.ToLowerInvariant()))
            {
                throw new ArgumentException($"ResumableUploadOptions.Checksums: '{algorithm}' is not one of sha1, sha256, md5.");
            }
        }

        return ResumableUploadEndpoints.Map(endpoints, pattern, options);
    }
}
