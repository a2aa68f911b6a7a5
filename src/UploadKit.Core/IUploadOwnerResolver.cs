using System.Security.Claims;

namespace UploadKit;

/// <summary>
/// Derives the id that owns what a user's requests record: upload progress, quota usage and direct uploads. The
/// default takes the <c>NameIdentifier</c> claim, else the identity's name; register your own to use another claim.
/// </summary>
public interface IUploadOwnerResolver
{
    /// <summary>Gets the owner id of <paramref name="user"/>.</summary>
    /// <param name="user">The request's user.</param>
    /// <returns>The id, or <see langword="null"/> for an anonymous user.</returns>
    string? GetOwnerId(ClaimsPrincipal user);
}

/// <summary>The default owner rule: the authenticated user's <c>NameIdentifier</c> claim, else the identity's name.</summary>
internal sealed class ClaimsOwnerResolver : IUploadOwnerResolver
{
    public static readonly ClaimsOwnerResolver Instance = new();

    public string? GetOwnerId(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is not { IsAuthenticated: true } identity)
        {
            return null;
        }

        var id = user.FindFirst(ClaimTypes.NameIdentifier)?.Value;
        return string.IsNullOrEmpty(id) ? identity.Name : id;
    }
}
