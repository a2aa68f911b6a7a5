using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using StackExchange.Redis;
using UploadKit.Stores;

namespace UploadKit.Redis;

/// <summary>
/// Resumable uploads as Redis hashes (the record as JSON, and its version beside it for the compare-and-set), a lease
/// per upload as a string set with <c>SET NX PX</c> (timed by the Redis server's clock, so servers' clocks never
/// disagree), and a sorted set of the uploads still receiving by expiry for the sweeper. Creation, renewal, release,
/// update and deletion are Lua scripts, so each checks and writes atomically across servers. A receiving upload's
/// record has no expiry: it stays until the sweeper has ended or deleted it. An ended one (completed, rejected,
/// terminated, expired) is kept <see cref="RedisStoreOptions.ResumableUploadRetention"/> from when it ended, so that
/// a client asking about it learns that it ended, and then Redis removes it.
/// </summary>
internal sealed class RedisResumableUploadStore(RedisConnection connection) : IResumableUploadStore
{
    // KEYS: record, receiving index. ARGV: JSON, version, receiving ('1' or '0'), expiry (ms), id, retention (ms).
    private const string CreateScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then
          return 0
        end
        redis.call('HSET', KEYS[1], 'data', ARGV[1], 'version', ARGV[2])
        if ARGV[3] == '1' then
          redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
        else
          redis.call('PEXPIRE', KEYS[1], ARGV[6])
        end
        return 1
        """;

    // KEYS: record, lease. ARGV: token, lease (ms). No lease on an upload that does not exist.
    private const string AcquireScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          return 0
        end
        if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
          return 1
        end
        return 0
        """;

    // KEYS: lease. ARGV: token, lease (ms).
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return 0
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    // KEYS: lease. ARGV: token.
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return 0
        end
        redis.call('DEL', KEYS[1])
        return 1
        """;

    // KEYS: record, lease, receiving index. ARGV: token, version read, JSON, next version, receiving ('1' or '0'),
    // expiry (ms), id, retention (ms). A record that was deleted has no version, so it is never written again.
    private const string UpdateScript = """
        if redis.call('GET', KEYS[2]) ~= ARGV[1] then
          return 0
        end
        if redis.call('HGET', KEYS[1], 'version') ~= ARGV[2] then
          return 0
        end
        redis.call('HSET', KEYS[1], 'data', ARGV[3], 'version', ARGV[4])
        if ARGV[5] == '1' then
          redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
          redis.call('PERSIST', KEYS[1])
        else
          redis.call('ZREM', KEYS[3], ARGV[7])
          redis.call('PEXPIRE', KEYS[1], ARGV[8])
        end
        return 1
        """;

    // KEYS: record, lease, receiving index. ARGV: id.
    private const string DeleteScript = """
        redis.call('DEL', KEYS[1], KEYS[2])
        redis.call('ZREM', KEYS[3], ARGV[1])
        return 1
        """;

    private static readonly RedisValue[] Fields = ["data", "version"];

    public async Task CreateAsync(ResumableUpload upload, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var created = await connection.EvaluateAsync(
            CreateScript,
            [Key(upload.Id), ReceivingKey],
            [Serialize(upload), upload.Version, Receiving(upload), upload.ExpiresOn.ToUnixTimeMilliseconds(), upload.Id, RetentionMilliseconds],
            cancellationToken).ConfigureAwait(false);
        if ((long)created != 1)
        {
            throw new InvalidOperationException("An upload with this id exists already.");
        }
    }

    public async Task<ResumableUpload?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (await connection.ReadRecordAsync(Key(id), Fields, cancellationToken).ConfigureAwait(false) is not { } values)
        {
            return null;
        }

        var upload = JsonSerializer.Deserialize((string)values[0]!, RedisJsonContext.Default.ResumableUpload);
        if (upload is not null)
        {
            upload.Version = long.Parse((string)values[1]!, CultureInfo.InvariantCulture);
        }

        return upload;
    }

    public async Task<string?> TryAcquireLeaseAsync(string id, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        var milliseconds = Milliseconds(duration);
        var token = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24));
        var acquired = await connection.EvaluateAsync(AcquireScript, [Key(id), LeaseKey(id)], [token, milliseconds], cancellationToken)
            .ConfigureAwait(false);
        return (long)acquired == 1 ? token : null;
    }

    public async Task<bool> TryRenewLeaseAsync(string id, string token, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(token);
        var milliseconds = Milliseconds(duration);
        return (long)await connection.EvaluateAsync(RenewScript, [LeaseKey(id)], [token, milliseconds], cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task ReleaseLeaseAsync(string id, string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(token);
        await connection.EvaluateAsync(ReleaseScript, [LeaseKey(id)], [token], cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> TryUpdateAsync(ResumableUpload upload, string token, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(token);
        var next = upload.Clone();
        next.Version = upload.Version + 1;
        var updated = await connection.EvaluateAsync(
            UpdateScript,
            [Key(upload.Id), LeaseKey(upload.Id), ReceivingKey],
            [
                token,
                upload.Version,
                Serialize(next),
                next.Version,
                Receiving(next),
                next.ExpiresOn.ToUnixTimeMilliseconds(),
                upload.Id,
                RetentionMilliseconds],
            cancellationToken).ConfigureAwait(false);
        if ((long)updated != 1)
        {
            return false;
        }

        upload.Version = next.Version;
        return true;
    }

    public async IAsyncEnumerable<ResumableUpload> ListExpiredAsync(
        DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);

        // The index is by whole milliseconds; the records' own expiry decides within the last one.
        var ids = await database.SortedSetRangeByScoreAsync(ReceivingKey, double.NegativeInfinity, now.ToUnixTimeMilliseconds())
            .ConfigureAwait(false);
        foreach (var value in ids)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = (string)value!;
            var upload = await GetAsync(id, cancellationToken).ConfigureAwait(false);
            if (upload is null)
            {
                // Its record is gone (removed by hand, or evicted by a server short of memory): nothing to sweep.
                await database.SortedSetRemoveAsync(ReceivingKey, id).ConfigureAwait(false);
            }
            else if (upload.State == ResumableUploadState.Receiving && upload.ExpiresOn < now)
            {
                yield return upload;
            }
        }
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        await connection.EvaluateAsync(DeleteScript, [Key(id), LeaseKey(id), ReceivingKey], [id], cancellationToken).ConfigureAwait(false);
    }

    private long RetentionMilliseconds => Milliseconds(connection.Options.ResumableUploadRetention);

    private RedisKey ReceivingKey => connection.Prefix + "resumables:receiving";

    private RedisKey Key(string id) => connection.Prefix + "resumable:" + id;

    private RedisKey LeaseKey(string id) => connection.Prefix + "resumable-lease:" + id;

    private static string Serialize(ResumableUpload upload) => JsonSerializer.Serialize(upload, RedisJsonContext.Default.ResumableUpload);

    private static string Receiving(ResumableUpload upload) => upload.State == ResumableUploadState.Receiving ? "1" : "0";

    /// <summary>A positive duration in whole milliseconds, rounded up, as Redis's <c>PX</c> and <c>PEXPIRE</c> take it; a duration
    /// beyond what Redis's millisecond expiries hold ("never runs out") is capped at a century.</summary>
    private static long Milliseconds(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        return (long)Math.Ceiling(Math.Min(duration.TotalMilliseconds, TimeSpan.FromDays(36_500).TotalMilliseconds));
    }
}
