namespace UploadKit.Quota;

/// <summary>Quota usage in this process's memory.</summary>
internal sealed class InMemoryQuotaStore : IQuotaStore
{
    private readonly Dictionary<string, long> _usage = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        lock (_lock)
        {
            var used = _usage.GetValueOrDefault(key);
            if (used + bytes > limit)
            {
                return Task.FromResult(false);
            }

            _usage[key] = used + bytes;
            return Task.FromResult(true);
        }
    }

    public Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        lock (_lock)
        {
            var left = _usage.GetValueOrDefault(key) - bytes;
            if (left > 0)
            {
                _usage[key] = left;
            }
            else
            {
                _usage.Remove(key);
            }
        }

        return Task.CompletedTask;
    }

    public Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_lock)
        {
            return Task.FromResult(_usage.GetValueOrDefault(key));
        }
    }
}
