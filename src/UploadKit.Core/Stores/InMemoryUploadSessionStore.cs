using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace UploadKit.Stores;

/// <summary>
/// Keeps direct-upload sessions in this process: for one app server. Sessions that ended (completed, rejected,
/// expired, cancelled) are kept until the sweeper has swept their key a last time and forgets them.
/// </summary>
internal sealed class InMemoryUploadSessionStore : IUploadSessionStore
{
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public Task CreateAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!_sessions.TryAdd(session.Id, Copy(session)))
        {
            throw new InvalidOperationException("A session with this id exists already.");
        }

        return Task.CompletedTask;
    }

    public Task<UploadSession?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_lock)
        {
            return Task.FromResult(_sessions.TryGetValue(id, out var session) ? Copy(session) : null);
        }
    }

    public Task<bool> TryTransitionAsync(
        string id, UploadSessionState expected, UploadSessionState next, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        lock (_lock)
        {
            if (!_sessions.TryGetValue(id, out var session) || session.State != expected)
            {
                return Task.FromResult(false);
            }

            session.State = next;
            if (reason is not null && next == UploadSessionState.Completed)
            {
                session.ScanVerdict = reason;
            }
            else if (reason is not null)
            {
                session.RejectionReason = reason;
            }

            return Task.FromResult(true);
        }
    }

    public async IAsyncEnumerable<UploadSession> ListExpiredAsync(
        DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<UploadSession> expired = [];
        lock (_lock)
        {
            foreach (var session in _sessions.Values)
            {
                if (session.State == UploadSessionState.Pending && session.ExpiresOn < now)
                {
                    expired.Add(Copy(session));
                }
            }
        }

        foreach (var session in expired)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return session;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async IAsyncEnumerable<UploadSession> ListEndedAsync(
        DateTimeOffset expiredBefore, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<UploadSession> ended = [];
        lock (_lock)
        {
            foreach (var session in _sessions.Values)
            {
                if (session.State != UploadSessionState.Pending && session.ExpiresOn < expiredBefore)
                {
                    ended.Add(Copy(session));
                }
            }
        }

        foreach (var session in ended)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return session;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        _sessions.TryRemove(id, out _);
        return Task.CompletedTask;
    }

    /// <summary>Copies a session, so callers never share the stored instance.</summary>
    internal static UploadSession Copy(UploadSession session) => new(session.Id, session.StorageName, session.ObjectName, session.ExpiresOn)
    {
        State = session.State,
        OwnerId = session.OwnerId,
        FileName = session.FileName,
        ContentType = session.ContentType,
        ExpectedLength = session.ExpectedLength,
        MaxLength = session.MaxLength,
        ChecksumSha256 = session.ChecksumSha256,
        FieldName = session.FieldName,
        CreatedOn = session.CreatedOn,
        RejectionReason = session.RejectionReason,
        ScanVerdict = session.ScanVerdict,
    };
}
