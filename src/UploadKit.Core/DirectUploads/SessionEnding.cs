using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// Ends a pending direct upload and deletes its object, in the one order that never loses an object: the state
/// changes first (compare-and-set, so only one server ends a session), then the object goes; if the delete
/// fails, the session is put back to pending, where the sweeper finds it again once it has expired.
/// </summary>
internal static class SessionEnding
{
    /// <returns>
    /// <see langword="null"/> if another caller ended the session first; otherwise whether an object was deleted
    /// (<see langword="false"/> when there was none).
    /// </returns>
    public static async Task<bool?> EndAndDeleteAsync(
        IUploadSessionStore store,
        IFileStorage storage,
        UploadSession session,
        UploadSessionState next,
        string? reason,
        CancellationToken cancellationToken)
    {
        if (!await store.TryTransitionAsync(session.Id, UploadSessionState.Pending, next, reason, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            return await storage.DeleteAsync(session.ObjectName, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            await store.TryTransitionAsync(session.Id, next, UploadSessionState.Pending, null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }
}
