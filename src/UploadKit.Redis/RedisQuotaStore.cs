using StackExchange.Redis;

namespace UploadKit.Redis;

/// <summary>Quota usage as Redis counters; a reservation checks and adds in one Lua script, so it is atomic across servers.</summary>
internal sealed class RedisQuotaStore(RedisConnection connection) : IQuotaStore
{
    private const string ReserveScript = """
        local used = tonumber(redis.call('GET', KEYS[1]) or '0')
        local bytes = tonumber(ARGV[1])
        if used + bytes > tonumber(ARGV[2]) then
          return 0
        end
        redis.call('INCRBY', KEYS[1], bytes)
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

    public async Task<bool> TryReserveAsync(string key, long bytes, long limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        var result = await database.ScriptEvaluateAsync(ReserveScript, [Key(key)], [bytes, limit]).ConfigureAwait(false);
        return (long)result == 1;
    }

    public async Task ReleaseAsync(string key, long bytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.ScriptEvaluateAsync(ReleaseScript, [Key(key)], [bytes]).ConfigureAwait(false);
    }

    public async Task<long> GetUsageAsync(string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        var value = await database.StringGetAsync(Key(key)).ConfigureAwait(false);
        return value.IsNullOrEmpty ? 0 : (long)value;
    }

    private RedisKey Key(string key) => connection.Prefix + "quota:" + key;
}
