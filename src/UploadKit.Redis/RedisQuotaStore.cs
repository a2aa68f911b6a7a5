using StackExchange.Redis;
using UploadKit.Stores;

namespace UploadKit.Redis;

/// <summary>
/// Quota usage as Redis counters: per key, the bytes kept (<c>quota:{key}</c>), the running uploads' reservations
/// (a hash, <c>quota-reservations:{key}</c>) and when each lease ends (a sorted set, <c>quota-leases:{key}</c>, in
/// the Redis server's own milliseconds, so servers' clocks never disagree). Every call is one Lua script, so a
/// reservation reads, drops expired leases, compares with the limit and adds atomically across servers.
/// </summary>
internal sealed class RedisQuotaStore(RedisConnection connection) : IQuotaStore
{
    // Drops the leases that ran out and counts what is kept plus what is still reserved.
    private const string UsageLua = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
        for _, id in ipairs(expired) do
          redis.call('HDEL', KEYS[2], id)
        end
        if #expired > 0 then
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
        end
        local used = tonumber(redis.call('GET', KEYS[1]) or '0')
        for _, held in ipairs(redis.call('HVALS', KEYS[2])) do
          used = used + tonumber(held)
        end
        """;

    // ARGV: bytes, limit, reservation id ('' adds to the kept bytes instead), lease in milliseconds.
    private const string ReserveScript = UsageLua + "\n" + """
        local bytes = tonumber(ARGV[1])
        if ARGV[3] == '' then
          if used + bytes > tonumber(ARGV[2]) then
            return 0
          end
          redis.call('INCRBY', KEYS[1], bytes)
          return 1
        end
        local held = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
        if used - held + bytes > tonumber(ARGV[2]) then
          return 0
        end
        redis.call('HSET', KEYS[2], ARGV[3], bytes)
        redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
        local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
        redis.call('PEXPIREAT', KEYS[2], last)
        redis.call('PEXPIREAT', KEYS[3], last)
        return 1
        """;

    private const string GetUsageScript = UsageLua + "\n" + """
        return used
        """;

    // ARGV: reservation id, kept bytes.
    private const string EndScript = """
        redis.call('HDEL', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        local kept = tonumber(ARGV[2])
        if kept > 0 then
          redis.call('INCRBY', KEYS[1], kept)
        end
        return 1
        """;

    private const string ReleaseScript = """
        local left = redis.call('DECRBY', KEYS[1], ARGV[1])
        if left <= 0 then
          redis.call('DEL', KEYS[1])
          return 0
        end
        return left
        """;

    public Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        return ReserveAsync(key, string.Empty, bytes, limit, 0, cancellationToken);
    }

    public Task<bool> TrySetReservationAsync(
        string key, string reservationId, long bytes, long limit, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(reservationId);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        // A lease beyond what Redis's millisecond timestamps hold ("never runs out") is capped at a century.
        var milliseconds = (long)Math.Ceiling(Math.Min(lease.TotalMilliseconds, TimeSpan.FromDays(36_500).TotalMilliseconds));
        return ReserveAsync(key, reservationId, bytes, limit, milliseconds, cancellationToken);
    }

    public async Task EndReservationAsync(string key, string reservationId, long keptBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(reservationId);
        ArgumentOutOfRangeException.ThrowIfNegative(keptBytes);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.ScriptEvaluateAsync(EndScript, Keys(key), [reservationId, keptBytes]).ConfigureAwait(false);
    }

    public async Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.ScriptEvaluateAsync(ReleaseScript, [UsageKey(key)], [bytes]).ConfigureAwait(false);
    }

    public async Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        return (long)await database.ScriptEvaluateAsync(GetUsageScript, Keys(key)).ConfigureAwait(false);
    }

    private async Task<bool> ReserveAsync(
        string key, string reservationId, long bytes, long limit, long leaseMilliseconds, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        var result = await database.ScriptEvaluateAsync(
            ReserveScript, Keys(key), [bytes, limit, reservationId, leaseMilliseconds]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>The kept bytes, the reservations and their leases: three prefixes, so no quota key's names can meet another's.</summary>
    private RedisKey[] Keys(string key) =>
        [UsageKey(key), connection.Prefix + "quota-reservations:" + key, connection.Prefix + "quota-leases:" + key];

    private RedisKey UsageKey(string key) => connection.Prefix + "quota:" + key;
}
