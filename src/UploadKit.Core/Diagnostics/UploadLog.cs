using Microsoft.Extensions.Logging;

namespace UploadKit;

/// <summary>Log messages of UploadKit.Core; uploads, progress and quotas use event ids 400-449.</summary>
internal static partial class UploadLog
{
    /// <summary>The category of upload log messages.</summary>
    public const string UploadCategory = "UploadKit.Upload";

    [LoggerMessage(EventId = 400, Level = LogLevel.Debug, Message = "Reading an upload of {ContentLength} bytes.", EventName = "UploadStarted")]
    public static partial void UploadStarted(this ILogger logger, long? contentLength);

    [LoggerMessage(
        EventId = 401,
        Level = LogLevel.Debug,
        Message = "Upload read: {FileCount} file(s) in {Duration} s.",
        EventName = "UploadCompleted")]
    public static partial void UploadCompleted(this ILogger logger, int fileCount, double duration);

    [LoggerMessage(
        EventId = 402,
        Level = LogLevel.Information,
        Message = "Upload rejected with status {StatusCode}: {Reason}",
        EventName = "UploadRejected")]
    public static partial void UploadRejected(this ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 403, Level = LogLevel.Warning, Message = "Upload failed.", EventName = "UploadFailed")]
    public static partial void UploadFailed(this ILogger logger, Exception exception);

    [LoggerMessage(
        EventId = 404,
        Level = LogLevel.Error,
        Message = "Cleaning up after an upload failed in {Part}; what it held may be left behind.",
        EventName = "UploadCleanupFailed")]
    public static partial void CleanupFailed(this ILogger logger, string part, Exception exception);

    [LoggerMessage(
        EventId = 410,
        Level = LogLevel.Debug,
        Message = "Upload progress id refused: it is not an unguessable id.",
        EventName = "ProgressIdRefused")]
    public static partial void ProgressIdRefused(this ILogger logger);

    [LoggerMessage(EventId = 411, Level = LogLevel.Warning, Message = "Upload progress could not be recorded.", EventName = "ProgressNotRecorded")]
    public static partial void ProgressNotRecorded(this ILogger logger, Exception exception);

    [LoggerMessage(
        EventId = 420,
        Level = LogLevel.Information,
        Message = "Upload stopped: quota {QuotaName} of {LimitBytes} bytes would be crossed.",
        EventName = "QuotaExceeded")]
    public static partial void QuotaExceeded(this ILogger logger, string quotaName, long limitBytes);

    [LoggerMessage(
        EventId = 421,
        Level = LogLevel.Warning,
        Message = "A quota reservation of {Bytes} bytes could not be released.",
        EventName = "QuotaNotReleased")]
    public static partial void QuotaNotReleased(this ILogger logger, long bytes, Exception exception);
}
