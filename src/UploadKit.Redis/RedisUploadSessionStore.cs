using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using StackExchange.Redis;
using UploadKit.Stores;

namespace UploadKit.Redis;

/// <summary>
/// Direct-upload sessions as Redis hashes (the fixed fields as JSON, the state and rejection reason beside them),
/// with sorted sets of pending and of ended sessions by expiry for the sweeper. Creation and state changes are Lua
/// scripts, so two servers never both confirm, or sweep and confirm, one session. The sweeper deletes an ended session
/// once it has swept its key a last time; records expire <see cref="RedisStoreOptions.SessionRetention"/> after the
/// session does in any case.
/// </summary>
internal sealed class RedisUploadSessionStore(RedisConnection connection, TimeProvider timeProvider) : IUploadSessionStore
{
    private const string CreateScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then
          return 0
        end
        redis.call('HSET', KEYS[1], 'data', ARGV[1], 'state', ARGV[2], 'reason', ARGV[3], 'expires', ARGV[5])
        redis.call('PEXPIREAT', KEYS[1], ARGV[4])
        if ARGV[2] == '0' then
          redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
        else
          redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
        end
        return 1
        """;

    private const string TransitionScript = """
        if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then
          return 0
        end
        redis.call('HSET', KEYS[1], 'state', ARGV[2], 'reason', ARGV[3])
        local expires = redis.call('HGET', KEYS[1], 'expires')
        if ARGV[2] ~= '0' then
          -- Ended: its key is swept a last time after its expiry plus the grace period.
          redis.call('ZREM', KEYS[2], ARGV[4])
          redis.call('ZADD', KEYS[3], expires, ARGV[4])
        else
          -- Back to pending (a sweep whose delete failed): the sweeper must find it again.
          redis.call('ZADD', KEYS[2], expires, ARGV[4])
          redis.call('ZREM', KEYS[3], ARGV[4])
        end
        return 1
        """;

    private static readonly RedisValue[] Fields = ["data", "state", "reason"];

    public async Task CreateAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        cancellationToken.ThrowIfCancellationRequested();
        var record = new RedisSessionRecord(
            session.Id, session.StorageName, session.ObjectName, session.ExpiresOn, session.OwnerId, session.FileName, session.ContentType,
            session.ExpectedLength, session.MaxLength, session.ChecksumSha256, session.FieldName, session.CreatedOn);
        var json = JsonSerializer.Serialize(record, RedisJsonContext.Default.RedisSessionRecord);
        var now = timeProvider.GetUtcNow();
        var keepUntil = (session.ExpiresOn > now ? session.ExpiresOn : now) + connection.Options.SessionRetention;
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        var created = await database.ScriptEvaluateAsync(
            CreateScript,
            [Key(session.Id), PendingKey, EndedKey],
            [
                json,
                State(session.State),
                session.RejectionReason ?? string.Empty,
                keepUntil.ToUnixTimeMilliseconds(),
                session.ExpiresOn.ToUnixTimeMilliseconds(),
                session.Id]).ConfigureAwait(false);
        if ((long)created != 1)
        {
            throw new InvalidOperationException("An upload session with this id exists already.");
        }
    }

    public async Task<UploadSession?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (await connection.ReadRecordAsync(Key(id), Fields, cancellationToken).ConfigureAwait(false) is not { } values)
        {
            return null;
        }

        var record = JsonSerializer.Deserialize((string)values[0]!, RedisJsonContext.Default.RedisSessionRecord);
        if (record is null)
        {
            return null;
        }

        // The reason field holds a rejection's reason, or a completion's scan verdict.
        var state = (UploadSessionState)int.Parse((string)values[1]!, CultureInfo.InvariantCulture);
        var note = values[2].IsNullOrEmpty ? null : (string?)values[2];
        return new UploadSession(record.Id, record.StorageName, record.ObjectName, record.ExpiresOn)
        {
            State = state,
            RejectionReason = state == UploadSessionState.Completed ? null : note,
            ScanVerdict = state == UploadSessionState.Completed ? note : null,
            OwnerId = record.OwnerId,
            FileName = record.FileName,
            ContentType = record.ContentType,
            ExpectedLength = record.ExpectedLength,
            MaxLength = record.MaxLength,
            ChecksumSha256 = record.ChecksumSha256,
            FieldName = record.FieldName,
            CreatedOn = record.CreatedOn,
        };
    }

    public async Task<bool> TryTransitionAsync(
        string id, UploadSessionState expected, UploadSessionState next, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        var changed = await database.ScriptEvaluateAsync(
            TransitionScript,
            [Key(id), PendingKey, EndedKey],
            [State(expected), State(next), reason ?? string.Empty, id]).ConfigureAwait(false);
        return (long)changed == 1;
    }

    public IAsyncEnumerable<UploadSession> ListExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        ListIndexedAsync(PendingKey, now, pending: true, cancellationToken);

    public IAsyncEnumerable<UploadSession> ListEndedAsync(DateTimeOffset expiredBefore, CancellationToken cancellationToken = default) =>
        ListIndexedAsync(EndedKey, expiredBefore, pending: false, cancellationToken);

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.KeyDeleteAsync(Key(id)).ConfigureAwait(false);
        await database.SortedSetRemoveAsync(PendingKey, id).ConfigureAwait(false);
        await database.SortedSetRemoveAsync(EndedKey, id).ConfigureAwait(false);
    }

    /// <summary>Lists the sessions of an index (pending or ended) that expired before <paramref name="before"/> and are still in that
    /// state.</summary>
    private async IAsyncEnumerable<UploadSession> ListIndexedAsync(
        RedisKey index, DateTimeOffset before, bool pending, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        var ids = await database.SortedSetRangeByScoreAsync(
            index, double.NegativeInfinity, before.ToUnixTimeMilliseconds(), Exclude.Stop).ConfigureAwait(false);
        foreach (var value in ids)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = (string)value!;
            var session = await GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (session is null)
            {
                // Its record aged out; forget it here too (an ended one then has nothing left to sweep by: keep
                // SessionRetention longer than the sweep's grace period).
                await database.SortedSetRemoveAsync(index, id).ConfigureAwait(false);
                continue;
            }

            if ((session.State == UploadSessionState.Pending) == pending && session.ExpiresOn < before)
            {
                yield return session;
            }
        }
    }

    private RedisKey PendingKey => connection.Prefix + "sessions:pending";

    private RedisKey EndedKey => connection.Prefix + "sessions:ended";

    private RedisKey Key(string id) => connection.Prefix + "session:" + id;

    private static string State(UploadSessionState state) => ((int)state).ToString(CultureInfo.InvariantCulture);
}
