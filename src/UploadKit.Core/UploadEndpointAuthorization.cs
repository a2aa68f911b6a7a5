namespace UploadKit;

/// <summary>
/// Who may call an endpoint UploadKit maps itself (upload progress, direct uploads). By default an authenticated
/// user is required (the app's default authorization policy); opting out takes an explicit
/// <see cref="AllowAnonymous"/>.
/// </summary>
public sealed class UploadEndpointAuthorization
{
    /// <summary>
    /// Gets or sets the authorization policy the endpoints require; <see langword="null"/> (the default) requires
    /// the app's default policy, an authenticated user.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether anonymous callers are let in. Off by default. With it on, an upload's
    /// unguessable id is the only thing guarding it.
    /// </summary>
    public bool AllowAnonymous { get; set; }
}
