namespace UploadKit.Stores;

/// <summary>Quota usage in this process's memory.</summary>
internal sealed class InMemoryQuotaStore(TimeProvider time) : IQuotaStore
{
    private readonly Dictionary<string, Usage> _usage = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        lock (_lock)
        {
            var usage = Get(key);
            if (usage.Total(time.GetUtcNow()) + bytes > limit)
            {
                Forget(key, usage);
                return Task.FromResult(false);
            }

            usage.Kept += bytes;
            return Task.FromResult(true);
        }
    }

    public Task<bool> TrySetReservationAsync(
        string key, string reservationId, long bytes, long limit, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(reservationId);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        lock (_lock)
        {
            var now = time.GetUtcNow();
            var usage = Get(key);
            var others = usage.Total(now) - usage.Reservations.GetValueOrDefault(reservationId).Bytes;
            if (others + bytes > limit)
            {
                Forget(key, usage);
                return Task.FromResult(false);
            }

            // A lease too long to add ("never runs out") ends at the end of time.
            var expiresOn = lease >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + lease;
            usage.Reservations[reservationId] = (bytes, expiresOn);
            return Task.FromResult(true);
        }
    }

    public Task EndReservationAsync(string key, string reservationId, long keptBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(reservationId);
        ArgumentOutOfRangeException.ThrowIfNegative(keptBytes);
        lock (_lock)
        {
            var usage = Get(key);
            usage.Reservations.Remove(reservationId);
            usage.Kept += keptBytes;
            Forget(key, usage);
        }

        return Task.CompletedTask;
    }

    public Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        lock (_lock)
        {
            var usage = Get(key);
            usage.Kept = Math.Max(0, usage.Kept - bytes);
            Forget(key, usage);
        }

        return Task.CompletedTask;
    }

    public Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            if (!_usage.TryGetValue(key, out var usage))
            {
                return Task.FromResult(0L);
            }

            var total = usage.Total(time.GetUtcNow());
            Forget(key, usage);
            return Task.FromResult(total);
        }
    }

    private Usage Get(string key)
    {
        if (!_usage.TryGetValue(key, out var usage))
        {
            usage = new Usage();
            _usage[key] = usage;
        }

        return usage;
    }

    private void Forget(string key, Usage usage)
    {
        if (usage.Kept == 0 && usage.Reservations.Count == 0)
        {
            _usage.Remove(key);
        }
    }

    private sealed class Usage
    {
        public long Kept { get; set; }

        public Dictionary<string, (long Bytes, DateTimeOffset ExpiresOn)> Reservations { get; } = new(StringComparer.Ordinal);

        /// <summary>Kept bytes and live reservations; reservations whose lease ran out are dropped.</summary>
        public long Total(DateTimeOffset now)
        {
            var total = Kept;
            List<string>? expired = null;
            foreach (var (id, (bytes, expiresOn)) in Reservations)
            {
                if (expiresOn <= now)
                {
                    (expired ??= []).Add(id);
                }
                else
                {
                    total += bytes;
                }
            }

            foreach (var id in expired ?? [])
            {
                Reservations.Remove(id);
            }

            return total;
        }
    }
}
