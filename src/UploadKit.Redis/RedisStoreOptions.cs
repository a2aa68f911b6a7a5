namespace UploadKit.Redis;

/// <summary>Where the Redis stores keep their data.</summary>
public sealed class RedisStoreOptions
{
    /// <summary>Gets or sets the StackExchange.Redis connection string, such as <c>localhost:6379</c> or
    /// <c>redis1:6379,password=...,ssl=true</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the prefix of every key the stores write. <c>uploadkit:</c> by default; give each app its own on a shared
    /// server.</summary>
    public string KeyPrefix { get; set; } = "uploadkit:";

    /// <summary>
    /// Gets or sets how long at most a direct-upload session record is kept after it expires (or after now, if later).
    /// The sweeper deletes an ended session earlier, once <c>DirectUploads:SweepGracePeriod</c> past its expiry it has
    /// swept the session's key a last time; this retention must be longer than that period, or a record could age out
    /// before its key is swept. One day by default; Redis then removes it.
    /// </summary>
    public TimeSpan SessionRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Gets or sets how long the record of a resumable upload that ended (completed, rejected, terminated or expired) is
    /// kept from when it ended, so that a client asking about the upload learns that it ended rather than that it never
    /// existed. Redis then removes it. A record still receiving bytes is kept until the sweeper has dealt with it, however
    /// long that takes. One day by default.
    /// </summary>
    public TimeSpan ResumableUploadRetention { get; set; } = TimeSpan.FromDays(1);
}
