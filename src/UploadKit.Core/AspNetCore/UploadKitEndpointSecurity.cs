using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>
/// Secures the endpoints UploadKit maps itself: authorization is required unless the app opted out, and records
/// are tied to the user who made them.
/// </summary>
internal static class UploadKitEndpointSecurity
{
    /// <summary>Requires authorization on <paramref name="builder"/> unless <paramref name="options"/> allow anonymous callers.</summary>
    public static TBuilder Secure<TBuilder>(TBuilder builder, UploadEndpointOptions? options)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (options is { AllowAnonymous: true })
        {
            return builder.AllowAnonymous();
        }

        return options?.AuthorizationPolicy is { Length: > 0 } policy
            ? builder.RequireAuthorization(policy)
            : builder.RequireAuthorization();
    }

    /// <summary>Builds options from a configure callback; no callback means authorization required.</summary>
    public static UploadEndpointOptions CreateOptions(Action<UploadEndpointOptions>? configure)
    {
        var options = new UploadEndpointOptions();
        configure?.Invoke(options);
        return options;
    }

    /// <summary>
    /// The id of the request's authenticated user (the <c>NameIdentifier</c> claim, else the identity's name), or
    /// <see langword="null"/> for an anonymous request.
    /// </summary>
    public static string? GetUserId(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var user = context.User;
        if (user.Identity is not { IsAuthenticated: true } identity)
        {
            return null;
        }

        var id = user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        return string.IsNullOrEmpty(id) ? identity.Name : id;
    }

    /// <summary>True if a record owned by <paramref name="ownerId"/> may be read by the request's user.</summary>
    public static bool IsOwner(HttpContext context, string? ownerId) =>
        string.Equals(ownerId, GetUserId(context), StringComparison.Ordinal);

    /// <summary>
    /// True if <paramref name="id"/> looks unguessable: 32 to 128 characters of hexadecimal digits, letters, digits,
    /// '-' or '_', carrying at least 128 bits (32 hexadecimal digits, a GUID, or 22+ base64url characters) with at least 8
    /// distinct characters.
    /// </summary>
    public static bool IsUnguessableId(string? id)
    {
        if (id is null || id.Length is < 22 or > 128)
        {
            return false;
        }

        var hex = 0;
        var other = 0;
        foreach (var c in id)
        {
            if (char.IsAsciiHexDigit(c))
            {
                hex++;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                other++;
            }
            else if (c != '-')
            {
                return false;
            }
        }

        // Hexadecimal only (a GUID, 32 hex digits; its dashes carry nothing) carries 4 bits a character; base64url
        // (dashes included) carries 6. A random id of
        // that length has many distinct characters; "0000..." or "abab..." is refused.
        var enough = other == 0 ? hex >= 32 : id.Length >= 22;
        return enough && id.Distinct().Count() >= 8;
    }
}
