namespace UploadKit.Testing;

/// <summary>What every <see cref="IQuotaStore"/> must do with the reservations of running uploads, run against each store.</summary>
public static class QuotaStoreContract
{
    /// <summary>
    /// Kept usage and two uploads' reservations, taken concurrently, together reach the limit exactly; ending the
    /// reservations keeps what each upload kept and gives back the rest.
    /// </summary>
    /// <param name="store">The store under test, with no usage for the key <c>alice</c>.</param>
    /// <returns>A task.</returns>
    public static async Task ReservationsReachTheLimitAndKeepWhatEndsKeptAsync(IQuotaStore store)
    {
        Assert.That(await store.TryReserveAsync("alice", 100, 600), Is.True);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() =>
            store.TryAddToReservationAsync("alice", i % 2 == 0 ? "upload-a" : "upload-b", 10, 600, TimeSpan.FromMinutes(5)))));
        Assert.That(results.Count(r => r), Is.EqualTo(50));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(600));

        await store.EndReservationAsync("alice", "upload-a", 120);
        await store.EndReservationAsync("alice", "upload-b", 0);

        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(220));
        await store.ReleaseAsync("alice", 220);
        Assert.That(await store.GetUsageAsync("alice"), Is.Zero);
    }
}
