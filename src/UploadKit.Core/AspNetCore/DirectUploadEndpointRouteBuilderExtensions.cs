using Microsoft.AspNetCore.Routing;
using UploadKit;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps UploadKit's direct-upload endpoints.</summary>
public static class DirectUploadEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the direct-upload endpoints under <paramref name="pattern"/>:
    /// <list type="bullet">
    /// <item><c>PUT {pattern}/{id}</c> receives the uploads of storages without presigned URLs of their own
    /// (<c>FileSystem</c>, <c>InMemory</c>). Its URL's HMAC signature is the authorization, as a presigned S3 URL
    /// is: signature, expiry, session, media type and size limit are checked, and the body streams through the app-wide
    /// handler chain (validators, quota, progress) into the storage.</item>
    /// <item><c>POST {pattern}/{storage}</c> begins an upload (JSON <c>{"fileName", "contentType", "length", "maxLength", "checksumSha256"}</c>)
    /// to one of <paramref name="storageNames"/>; <c>POST {pattern}/{id}/complete</c> completes it; <c>GET {pattern}/{id}</c>
    /// reads it; <c>DELETE {pattern}/{id}</c> cancels it. These require authorization (the default policy, or
    /// <see cref="UploadEndpointAuthorization.AuthorizationPolicy"/>) unless <paramref name="configure"/> opts out
    /// explicitly with <see cref="UploadEndpointAuthorization.AllowAnonymous"/>, and act only on the signed-in user's sessions.</item>
    /// </list>
    /// File validators for completion are attached with <c>.WithFileValidators(fieldName, ...)</c> on the returned builder.
    /// </summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="pattern">The route prefix, such as <c>/uploads</c>; it becomes <see cref="DirectUploadOptions.LocalUploadPath"/>.</param>
    /// <param name="storageNames">The storages clients may begin uploads to; <see cref="FileStorageNames.Default"/> when empty.</param>
    /// <param name="configure">Sets the authorization policy, or opts out of authorization explicitly.</param>
    /// <returns>A builder for the endpoints' conventions.</returns>
    public static RouteGroupBuilder MapDirectUploads(
        this IEndpointRouteBuilder endpoints, string pattern, IEnumerable<string> storageNames, Action<UploadEndpointAuthorization>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(storageNames);
        return DirectUploadEndpoints.Map(endpoints, pattern, storageNames, UploadKitEndpointSecurity.CreateOptions(configure));
    }

    /// <summary>
    /// Maps the direct-upload endpoints under <paramref name="pattern"/>, requiring authorization (the app's default
    /// policy) on all but the signed upload endpoint; see
    /// <see cref="MapDirectUploads(IEndpointRouteBuilder, string, IEnumerable{string}, Action{UploadEndpointAuthorization}?)"/>.
    /// </summary>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="pattern">The route prefix, such as <c>/uploads</c>.</param>
    /// <param name="storageNames">The storages clients may begin uploads to; <see cref="FileStorageNames.Default"/> when none are given.</param>
    /// <returns>A builder for the endpoints' conventions.</returns>
    public static RouteGroupBuilder MapDirectUploads(this IEndpointRouteBuilder endpoints, string pattern, params string[] storageNames) =>
        MapDirectUploads(endpoints, pattern, storageNames, configure: null);
}
