using UploadKit.Stores;

namespace UploadKit.Testing;

/// <summary>What every <see cref="IQuotaStore"/> must do with the reservations of running uploads, run against each store.</summary>
public static class QuotaStoreContract
{
    /// <summary>
    /// Kept usage and many uploads' reservations, set concurrently, together reach the limit exactly; setting a
    /// reservation again to the same amount renews it, a larger one is checked without counting it twice; ending
    /// the reservations keeps what each upload kept and gives back the rest.
    /// </summary>
    /// <param name="store">The store under test, with no usage for the key <c>alice</c>.</param>
    /// <returns>A task.</returns>
    public static async Task ReservationsReachTheLimitAndKeepWhatEndsKeptAsync(IQuotaStore store)
    {
        var lease = TimeSpan.FromMinutes(5);
        Assert.That(await store.TryReserveAsync("alice", 100, 600), Is.True);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
            (Id: $"upload-{i}", Set: await store.TrySetReservationAsync("alice", $"upload-{i}", 10, 600, lease)))));
        var accepted = results.Where(r => r.Set).Select(r => r.Id).ToList();
        Assert.That(accepted, Has.Count.EqualTo(50));
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(600));

        Assert.That(await store.TrySetReservationAsync("alice", accepted[0], 10, 600, lease), Is.True, "the same amount again");
        Assert.That(await store.TrySetReservationAsync("alice", accepted[0], 11, 600, lease), Is.False, "one byte more crosses the limit");
        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(600));

        foreach (var id in accepted)
        {
            await store.EndReservationAsync("alice", id, id == accepted[0] ? 10 : 0);
        }

        Assert.That(await store.GetUsageAsync("alice"), Is.EqualTo(110));
        await store.ReleaseAsync("alice", 110);
        Assert.That(await store.GetUsageAsync("alice"), Is.Zero);
    }
}
