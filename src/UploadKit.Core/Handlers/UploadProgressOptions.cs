namespace UploadKit;

/// <summary>Options of <see cref="ProgressUploadHandler"/> and of the progress endpoints.</summary>
public sealed class UploadProgressOptions
{
    /// <summary>Gets or sets how long an entry lives after its last update. Five minutes by default.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Gets or sets how many bytes must arrive before the store is written again while an upload runs. 64 KiB by
    /// default. The final state is always written.
    /// </summary>
    public long UpdateEveryBytes { get; set; } = 64 * 1024;

    /// <summary>Gets or sets how long at least passes between two writes while an upload runs. 100 ms by default.</summary>
    public TimeSpan UpdateInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets how often the server-sent events endpoint looks for news. 250 ms by default.</summary>
    public TimeSpan EventsPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Gets or sets how long the server-sent events endpoint waits for an upload that has not begun yet before it
    /// answers 404, so that a page may open the events before it sends the upload. 10 seconds by default.
    /// </summary>
    public TimeSpan EventsStartTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The rules <see cref="UploadProgressOptions"/> must meet, checked at start-up.</summary>
internal static class UploadProgressOptionsValidation
{
    public const string Message = "UploadProgressOptions are invalid: TimeToLive and EventsPollInterval must be positive, " +
        "and UpdateEveryBytes, UpdateInterval and EventsStartTimeout not negative.";

    public static bool IsValid(UploadProgressOptions o) =>
        o.TimeToLive > TimeSpan.Zero && o.EventsPollInterval > TimeSpan.Zero && o.UpdateEveryBytes >= 0 &&
        o.UpdateInterval >= TimeSpan.Zero && o.EventsStartTimeout >= TimeSpan.Zero;
}
