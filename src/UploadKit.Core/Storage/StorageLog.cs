using Microsoft.Extensions.Logging;

namespace UploadKit;

/// <summary>Log messages of UploadKit.Core; storage and validation use event ids 300-349.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(
        EventId = 300,
        Level = LogLevel.Warning,
        Message = "A stored object of an interrupted upload could not be removed.",
        EventName = "StoredObjectNotRemoved")]
    public static partial void StoredObjectNotRemoved(this ILogger logger, Exception exception);

    [LoggerMessage(
        EventId = 301,
        Level = LogLevel.Debug,
        Message = "Serving stored file from storage {StorageName}.",
        EventName = "ServingStoredFile")]
    public static partial void ServingStoredFile(this ILogger logger, string storageName);
}
