namespace UploadKit.Stores;

/// <summary>
/// Keeps each quota key's usage in bytes where every app server sees it: in memory for one server, Redis for many.
/// Reservations are atomic: two uploads by one user, on one server or two, never together cross the limit.
/// </summary>
/// <remarks>
/// A running upload holds a leased reservation (<see cref="TrySetReservationAsync"/>), set again as it grows and
/// before its lease runs out, and ended when the upload ends (<see cref="EndReservationAsync"/>). A reservation whose
/// server stopped mid-upload stops counting when its lease runs out, so a crash never holds a user's quota.
/// </remarks>
public interface IQuotaStore
{
    /// <summary>Adds <paramref name="bytes"/> to the usage of <paramref name="key"/> if the result stays within <paramref name="limit"/>.</summary>
    /// <param name="key">The quota key, such as a user id.</param>
    /// <param name="bytes">The bytes to reserve; positive.</param>
    /// <param name="limit">The largest usage allowed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the bytes were reserved; <see langword="false"/> if they would cross the limit, and nothing
    /// changed.</returns>
    Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the running upload's reservation <paramref name="reservationId"/> (creating it) to <paramref name="bytes"/>
    /// if the usage of <paramref name="key"/> without it, every other live reservation included, plus
    /// <paramref name="bytes"/> stays within <paramref name="limit"/>, and keeps it alive for <paramref name="lease"/>
    /// from now. Setting the whole amount rather than adding to it makes a retried call harmless, and checks the
    /// whole amount again if the lease had run out.
    /// </summary>
    /// <param name="key">The quota key, such as a user id.</param>
    /// <param name="reservationId">The upload's reservation, unique to it; not empty.</param>
    /// <param name="bytes">The bytes the reservation holds from now on; zero or more.</param>
    /// <param name="limit">The largest usage allowed.</param>
    /// <param name="lease">How long the reservation counts unless it is set again or ended; positive.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> if the reservation was set; <see langword="false"/> if it would cross the limit, and nothing
    /// changed.</returns>
    Task<bool> TrySetReservationAsync(
        string key, string reservationId, long bytes, long limit, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a reservation: <paramref name="keptBytes"/> become usage (the bytes of the files the upload kept; 0 for a
    /// failed upload) and the rest of the reservation is given back.
    /// </summary>
    /// <param name="key">The quota key.</param>
    /// <param name="reservationId">The upload's reservation.</param>
    /// <param name="keptBytes">The bytes to keep as usage; zero or more.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the reservation has ended.</returns>
    Task EndReservationAsync(string key, string reservationId, long keptBytes, CancellationToken cancellationToken = default);

    /// <summary>Gives back bytes counted earlier (a deleted file). Usage never drops below zero.</summary>
    /// <param name="key">The quota key.</param>
    /// <param name="bytes">The bytes to give back; positive.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the bytes are released.</returns>
    Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default);

    /// <summary>Reads the usage of a quota key.</summary>
    /// <param name="key">The quota key.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The bytes in use, live reservations of running uploads included.</returns>
    Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default);
}
