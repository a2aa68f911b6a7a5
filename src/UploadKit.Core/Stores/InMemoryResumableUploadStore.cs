using System.Runtime.CompilerServices;

namespace UploadKit.Stores;

/// <summary>Keeps resumable uploads in this process: for one app server. Ended uploads are forgotten when a sweep lists expired ones.</summary>
internal sealed class InMemoryResumableUploadStore(TimeProvider time) : IResumableUploadStore
{
    private readonly Dictionary<string, ResumableUpload> _uploads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Token, DateTimeOffset Until)> _leases = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public InMemoryResumableUploadStore()
        : this(TimeProvider.System)
    {
    }

    public Task CreateAsync(ResumableUpload upload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        lock (_lock)
        {
            if (!_uploads.TryAdd(upload.Id, upload.Clone()))
            {
                throw new InvalidOperationException("An upload with this id exists already.");
            }
        }

        return Task.CompletedTask;
    }

    public Task<ResumableUpload?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_lock)
        {
            return Task.FromResult(_uploads.TryGetValue(id, out var upload) ? upload.Clone() : null);
        }
    }

    public Task<string?> TryAcquireLeaseAsync(string id, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_uploads.ContainsKey(id) || (_leases.TryGetValue(id, out var lease) && lease.Until > now))
            {
                return Task.FromResult<string?>(null);
            }

            var token = UnguessableIds.Create();
            _leases[id] = (token, now + duration);
            return Task.FromResult<string?>(token);
        }
    }

    public Task<bool> TryRenewLeaseAsync(string id, string token, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!Holds(id, token, now))
            {
                return Task.FromResult(false);
            }

            _leases[id] = (token, now + duration);
            return Task.FromResult(true);
        }
    }

    public Task ReleaseLeaseAsync(string id, string token, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(id, out var lease) && string.Equals(lease.Token, token, StringComparison.Ordinal))
            {
                _leases.Remove(id);
            }
        }

        return Task.CompletedTask;
    }

    public Task<bool> TryUpdateAsync(ResumableUpload upload, string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        lock (_lock)
        {
            if (!Holds(upload.Id, token, time.GetUtcNow()) || !_uploads.TryGetValue(upload.Id, out var stored) || stored.Version != upload.Version)
            {
                return Task.FromResult(false);
            }

            upload.Version++;
            _uploads[upload.Id] = upload.Clone();
            return Task.FromResult(true);
        }
    }

    public async IAsyncEnumerable<ResumableUpload> ListExpiredAsync(
        DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<ResumableUpload> expired;
        lock (_lock)
        {
            expired = [.. _uploads.Values.Where(u => u.State == ResumableUploadState.Receiving && u.ExpiresOn < now).Select(u => u.Clone())];

            // Ended uploads are answered until their retention runs out, then forgotten.
            foreach (var ended in _uploads.Values.Where(u => u.State != ResumableUploadState.Receiving && u.ExpiresOn < now).ToList())
            {
                _uploads.Remove(ended.Id);
                _leases.Remove(ended.Id);
            }
        }

        foreach (var upload in expired)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return upload;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _uploads.Remove(id);
            _leases.Remove(id);
        }

        return Task.CompletedTask;
    }

    private bool Holds(string id, string token, DateTimeOffset now) =>
        _leases.TryGetValue(id, out var lease) && lease.Until > now && string.Equals(lease.Token, token, StringComparison.Ordinal);
}
