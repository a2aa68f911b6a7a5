namespace UploadKit;

/// <summary>
/// Keeps each quota key's usage in bytes where every app server sees it: in memory for one server, Redis for many.
/// Reservations are atomic: two uploads by one user, on one server or two, never together cross the limit.
/// </summary>
public interface IQuotaStore
{
    /// <summary>Adds <paramref name="bytes"/> to the usage of <paramref name="key"/> if the result stays within <paramref name="limit"/>.</summary>
    /// <param name="key">The quota key, such as a user id.</param>
    /// <param name="bytes">The bytes to reserve; positive.</param>
    /// <param name="limit">The largest usage allowed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the bytes were reserved; <see langword="false"/> if they would cross the limit, and nothing changed.</returns>
    Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default);

    /// <summary>Gives back bytes reserved earlier (a failed upload, an unused reservation, a deleted file). Usage never drops below zero.</summary>
    /// <param name="key">The quota key.</param>
    /// <param name="bytes">The bytes to give back; positive.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the bytes are released.</returns>
    Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default);

    /// <summary>Reads the usage of a quota key.</summary>
    /// <param name="key">The quota key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The bytes in use, reservations of running uploads included.</returns>
    Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default);
}
