using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace UploadKit;

/// <summary>
/// Secures the endpoints UploadKit maps itself: authorization is required unless the app opted out, and records
/// are tied to the user who made them.
/// </summary>
internal static class UploadKitEndpointSecurity
{
    /// <summary>Requires authorization on <paramref name="builder"/> unless <paramref name="authorization"/> lets anonymous callers in.</summary>
    public static TBuilder Secure<TBuilder>(TBuilder builder, UploadEndpointAuthorization? authorization)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (authorization is { AllowAnonymous: true })
        {
            return builder.AllowAnonymous();
        }

        return authorization?.AuthorizationPolicy is { Length: > 0 } policy
            ? builder.RequireAuthorization(policy)
            : builder.RequireAuthorization();
    }

    /// <summary>Builds options from a configure callback; no callback means authorization required.</summary>
    public static UploadEndpointAuthorization CreateOptions(Action<UploadEndpointAuthorization>? configure)
    {
        var options = new UploadEndpointAuthorization();
        configure?.Invoke(options);
        return options;
    }

    /// <summary>
    /// The owner id of the request's user, by the app's <see cref="IUploadOwnerResolver"/> (by default the
    /// <c>NameIdentifier</c> claim, else the identity's name), or <see langword="null"/> for an anonymous request.
    /// </summary>
    public static string? GetUserId(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var resolver = context.RequestServices?.GetService<IUploadOwnerResolver>() ?? ClaimsOwnerResolver.Instance;
        return resolver.GetOwnerId(context.User);
    }

    /// <summary>True if a record owned by <paramref name="ownerId"/> may be read by the request's user.</summary>
    public static bool IsOwner(HttpContext context, string? ownerId) =>
        string.Equals(ownerId, GetUserId(context), StringComparison.Ordinal);
}
