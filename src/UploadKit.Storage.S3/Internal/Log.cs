using Microsoft.Extensions.Logging;

namespace UploadKit.Storage.S3.Internal;

/// <summary>The S3 satellite's log messages (event ids 1000-1999). Never logs URLs, keys' contents or credentials.</summary>
internal static partial class Log
{
    [LoggerMessage(
        EventId = 1000,
        Level = LogLevel.Debug,
        Message = "Storage {StorageName}: '{Name}' is taken, saving as '{AlternateName}'.",
        EventName = "S3NameTaken")]
    public static partial void NameTaken(this ILogger logger, string storageName, string name, string alternateName);

    [LoggerMessage(
        EventId = 1001,
        Level = LogLevel.Information,
        Message = "Storage {StorageName}: the conditional write of '{Name}' found the name taken; retrying with a fresh name.",
        EventName = "S3ConditionalWriteConflict")]
    public static partial void ConditionalWriteConflict(this ILogger logger, string storageName, string name);

    [LoggerMessage(
        EventId = 1002,
        Level = LogLevel.Debug,
        Message = "Storage {StorageName}: saved '{Name}' ({FileSize} bytes) in {PartCount} part(s).",
        EventName = "S3Saved")]
    public static partial void Saved(this ILogger logger, string storageName, string name, long fileSize, int partCount);

    [LoggerMessage(
        EventId = 1003,
        Level = LogLevel.Warning,
        Message = "Storage {StorageName}: saving '{Name}' failed; the multipart upload was aborted.",
        EventName = "S3MultipartAborted")]
    public static partial void MultipartAborted(this ILogger logger, string storageName, string name, Exception exception);

    [LoggerMessage(
        EventId = 1004,
        Level = LogLevel.Error,
        Message = "Storage {StorageName}: aborting the multipart upload of '{Name}' failed; the " +
            "bucket may keep its parts until a lifecycle rule removes them.",
        EventName = "S3AbortFailed")]
    public static partial void AbortFailed(this ILogger logger, string storageName, string name, Exception exception);

    [LoggerMessage(
        EventId = 1005,
        Level = LogLevel.Debug,
        Message = "Storage {StorageName}: copied '{Name}' to '{DestinationName}' ({FileSize} bytes) inside the bucket.",
        EventName = "S3Copied")]
    public static partial void Copied(this ILogger logger, string storageName, string name, string destinationName, long fileSize);

    [LoggerMessage(
        EventId = 1006,
        Level = LogLevel.Warning,
        Message = "Storage {StorageName}: deleting pieces of the resumable write of '{Name}' failed; aborting the write " +
            "removes them.",
        EventName = "S3ResumablePiecesLeft")]
    public static partial void PiecesLeft(this ILogger logger, string storageName, string name, Exception exception);
}
