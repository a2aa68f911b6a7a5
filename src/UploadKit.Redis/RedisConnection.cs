using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace UploadKit.Redis;

/// <summary>The app's one connection to Redis, opened on first use and reconnecting by itself.</summary>
internal sealed class RedisConnection(IOptions<RedisStoreOptions> options) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private Task<ConnectionMultiplexer>? _connecting;

    public string Prefix { get; } = options.Value.KeyPrefix;

    public RedisStoreOptions Options => options.Value;

    public async Task<IDatabase> GetDatabaseAsync()
    {
        Task<ConnectionMultiplexer> connecting;
        lock (_lock)
        {
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                var configuration = ConfigurationOptions.Parse(options.Value.ConnectionString
                    ?? throw new InvalidOperationException("RedisStoreOptions.ConnectionString is not set."));
                configuration.AbortOnConnectFail = false;
                _connecting = ConnectionMultiplexer.ConnectAsync(configuration);
            }

            connecting = _connecting;
        }

        var multiplexer = await connecting.ConfigureAwait(false);
        return multiplexer.GetDatabase();
    }

    /// <summary>Runs a Lua script on the server, once <paramref name="cancellationToken"/> allows it.</summary>
    public async Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await GetDatabaseAsync().ConfigureAwait(false);
        return await database.ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false);
    }

    /// <summary>Reads fields of a record kept as a hash, whose first field is always set.</summary>
    /// <returns>The values, or <see langword="null"/> if there is no record.</returns>
    public async Task<RedisValue[]?> ReadRecordAsync(RedisKey key, RedisValue[] fields, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = await GetDatabaseAsync().ConfigureAwait(false);
        var values = await database.HashGetAsync(key, fields).ConfigureAwait(false);
        return values[0].IsNullOrEmpty ? null : values;
    }

    public async ValueTask DisposeAsync()
    {
        Task<ConnectionMultiplexer>? connecting;
        lock (_lock)
        {
            connecting = _connecting;
            _connecting = null;
        }

        if (connecting is { IsCompletedSuccessfully: true })
        {
            await connecting.Result.DisposeAsync().ConfigureAwait(false);
        }
    }
}
