using System.Text.Json;
using StackExchange.Redis;
using UploadKit.Stores;

namespace UploadKit.Redis;

/// <summary>Upload progress as JSON strings that Redis expires (<c>SET ... PX</c>).</summary>
internal sealed class RedisUploadProgressStore(RedisConnection connection) : IUploadProgressStore
{
    public async Task SetAsync(UploadProgress progress, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        cancellationToken.ThrowIfCancellationRequested();
        var record = new RedisProgressRecord(
            progress.Id, progress.OwnerId, progress.BytesReceived, progress.BytesExpected, progress.State, progress.FileName, progress.UpdatedOn);
        var json = JsonSerializer.Serialize(record, RedisJsonContext.Default.RedisProgressRecord);
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        await database.StringSetAsync(Key(progress.Id), json, timeToLive).ConfigureAwait(false);
    }

    public async Task<UploadProgress?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await connection.GetDatabaseAsync().ConfigureAwait(false);
        var json = await database.StringGetAsync(Key(id)).ConfigureAwait(false);
        if (json.IsNullOrEmpty)
        {
            return null;
        }

        var record = JsonSerializer.Deserialize((string)json!, RedisJsonContext.Default.RedisProgressRecord);
        return record is null ? null : new UploadProgress(record.Id)
        {
            OwnerId = record.OwnerId,
            BytesReceived = record.BytesReceived,
            BytesExpected = record.BytesExpected,
            State = record.State,
            FileName = record.FileName,
            UpdatedOn = record.UpdatedOn,
        };
    }

    private RedisKey Key(string id) => connection.Prefix + "progress:" + id;
}
