using Microsoft.Extensions.Logging;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>Log messages of UploadKit.Core; direct uploads use event ids 500-599.</summary>
internal static partial class DirectUploadLog
{
    [LoggerMessage(
        EventId = 500,
        Level = LogLevel.Debug,
        Message = "Began direct upload {SessionId} to storage {StorageName}.",
        EventName = "DirectUploadBegan")]
    public static partial void DirectUploadBegan(this ILogger logger, string sessionId, string storageName);

    [LoggerMessage(
        EventId = 501,
        Level = LogLevel.Information,
        Message = "Completed direct upload {SessionId}: {ObjectName} in storage {StorageName}, {Length} bytes.",
        EventName = "DirectUploadCompleted")]
    public static partial void DirectUploadCompleted(this ILogger logger, string sessionId, string storageName, string objectName, long length);

    [LoggerMessage(
        EventId = 502,
        Level = LogLevel.Information,
        Message = "Rejected direct upload {SessionId} and deleted its object {ObjectName} in storage {StorageName}: {Reason}",
        EventName = "DirectUploadRejected")]
    public static partial void DirectUploadRejected(this ILogger logger, string sessionId, string storageName, string objectName, string reason);

    [LoggerMessage(
        EventId = 503,
        Level = LogLevel.Information,
        Message = "Swept expired direct upload {SessionId}: removed {ObjectName} from storage {StorageName}.",
        EventName = "DirectUploadSwept")]
    public static partial void DirectUploadSwept(this ILogger logger, string sessionId, string storageName, string objectName);

    [LoggerMessage(
        EventId = 504,
        Level = LogLevel.Debug,
        Message = "Expired direct upload {SessionId} had no object in storage {StorageName}.",
        EventName = "DirectUploadExpiredEmpty")]
    public static partial void DirectUploadExpiredEmpty(this ILogger logger, string sessionId, string storageName);

    [LoggerMessage(
        EventId = 505,
        Level = LogLevel.Error,
        Message = "Sweeping expired direct upload {SessionId} in storage {StorageName} failed; its object may remain.",
        EventName = "DirectUploadSweepFailed")]
    public static partial void DirectUploadSweepFailed(this ILogger logger, Exception exception, string sessionId, string storageName);

    [LoggerMessage(
        EventId = 506,
        Level = LogLevel.Error,
        Message = "Listing expired direct uploads failed; the sweep is retried at the next interval.",
        EventName = "DirectUploadListFailed")]
    public static partial void DirectUploadListFailed(this ILogger logger, Exception exception);

    [LoggerMessage(
        EventId = 507,
        Level = LogLevel.Information,
        Message = "Cancelled direct upload {SessionId} in storage {StorageName}.",
        EventName = "DirectUploadCancelled")]
    public static partial void DirectUploadCancelled(this ILogger logger, string sessionId, string storageName);

    [LoggerMessage(
        EventId = 511,
        Level = LogLevel.Warning,
        Message = "Swept ended direct upload {SessionId} ({State}) in storage {StorageName}: " +
            "removed an unbound object under {ObjectName} or its sealed key.",
        EventName = "DirectUploadEndedKeySwept")]
    public static partial void DirectUploadEndedKeySwept(
        this ILogger logger, string sessionId, string storageName, string objectName, UploadSessionState state);

    [LoggerMessage(
        EventId = 508,
        Level = LogLevel.Warning,
        Message = "No signing key is configured for local direct uploads (UploadKit:DirectUploads:SigningKey); one was generated for this process. " +
            "URLs it signs are refused by other servers and after a restart: configure a shared key when the app runs on more than one server.",
        EventName = "GeneratedSigningKey")]
    public static partial void GeneratedSigningKey(this ILogger logger);

    [LoggerMessage(
        EventId = 509,
        Level = LogLevel.Debug,
        Message = "Received local direct upload {SessionId} into storage {StorageName}: {Length} bytes.",
        EventName = "LocalUploadReceived")]
    public static partial void LocalUploadReceived(this ILogger logger, string sessionId, string storageName, long length);

    [LoggerMessage(
        EventId = 510,
        Level = LogLevel.Information,
        Message = "Refused local direct upload {SessionId}: {Reason}",
        EventName = "LocalUploadRefused")]
    public static partial void LocalUploadRefused(this ILogger logger, string sessionId, string reason);
}
