using System.Collections.Concurrent;

namespace UploadKit.Stores;

/// <summary>Upload progress in this process's memory; entries expire by <see cref="TimeProvider"/>.</summary>
internal sealed class InMemoryUploadProgressStore(TimeProvider timeProvider) : IUploadProgressStore
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _writes;

    public Task SetAsync(UploadProgress progress, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        var now = timeProvider.GetUtcNow();
        _entries[progress.Id] = new Entry(Copy(progress), now + timeToLive);
        if (Interlocked.Increment(ref _writes) % 1024 == 0)
        {
            Purge(now);
        }

        return Task.CompletedTask;
    }

    public Task<UploadProgress?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!_entries.TryGetValue(id, out var entry))
        {
            return Task.FromResult<UploadProgress?>(null);
        }

        if (entry.ExpiresOn <= timeProvider.GetUtcNow())
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(id, entry));
            return Task.FromResult<UploadProgress?>(null);
        }

        return Task.FromResult<UploadProgress?>(Copy(entry.Progress));
    }

    private void Purge(DateTimeOffset now)
    {
        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresOn <= now)
            {
                _entries.TryRemove(pair);
            }
        }
    }

    private static UploadProgress Copy(UploadProgress p) => new(p.Id)
    {
        OwnerId = p.OwnerId,
        BytesReceived = p.BytesReceived,
        BytesExpected = p.BytesExpected,
        State = p.State,
        FileName = p.FileName,
        UpdatedOn = p.UpdatedOn,
    };

    private sealed record Entry(UploadProgress Progress, DateTimeOffset ExpiresOn);
}
