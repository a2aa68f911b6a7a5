using Microsoft.Extensions.Logging;

namespace UploadKit.Storage.Gcs;

internal static partial class Log
{
    [LoggerMessage(
        EventId = 3000,
        Level = LogLevel.Debug,
        Message = "Saved object {ObjectName} ({Length} bytes) to bucket {Bucket}.",
        EventName = "ObjectSaved")]
    public static partial void ObjectSaved(this ILogger logger, string objectName, long length, string bucket);

    [LoggerMessage(
        EventId = 3001,
        Level = LogLevel.Debug,
        Message = "Object name {ObjectName} is taken in bucket {Bucket}; trying another name.",
        EventName = "NameTaken")]
    public static partial void NameTaken(this ILogger logger, string objectName, string bucket);

    [LoggerMessage(
        EventId = 3002,
        Level = LogLevel.Warning,
        Message = "Saving object {ObjectName} to bucket {Bucket} failed; no object was created.",
        EventName = "SaveFailed")]
    public static partial void SaveFailed(this ILogger logger, Exception exception, string objectName, string bucket);

    [LoggerMessage(
        EventId = 3003,
        Level = LogLevel.Information,
        Message = "Created bucket {Bucket} in project {ProjectId}.",
        EventName = "BucketCreated")]
    public static partial void BucketCreated(this ILogger logger, string bucket, string projectId);

    [LoggerMessage(
        EventId = 3004,
        Level = LogLevel.Debug,
        Message = "Signed a {Method} URL for object {ObjectName} in bucket {Bucket}, valid until {ExpiresOn}.",
        EventName = "UrlSigned")]
    public static partial void UrlSigned(this ILogger logger, string method, string objectName, string bucket, DateTimeOffset expiresOn);

    [LoggerMessage(
        EventId = 3005,
        Level = LogLevel.Debug,
        Message = "Copied object {ObjectName} to {DestinationName} inside bucket {Bucket}.",
        EventName = "Copied")]
    public static partial void Copied(this ILogger logger, string objectName, string destinationName, string bucket);

    [LoggerMessage(
        EventId = 3006,
        Level = LogLevel.Debug,
        Message = "Completed object {ObjectName} ({Length} bytes) in bucket {Bucket} by composing {Sources} objects.",
        EventName = "ResumableCompleted")]
    public static partial void ResumableCompleted(this ILogger logger, string objectName, long length, int sources, string bucket);

    [LoggerMessage(
        EventId = 3007,
        Level = LogLevel.Debug,
        Message = "Composed the {Sources} objects of a resumable write ({Length} bytes) into one in bucket {Bucket}.",
        EventName = "ResumableFolded")]
    public static partial void ResumableFolded(this ILogger logger, int sources, long length, string bucket);

    [LoggerMessage(
        EventId = 3008,
        Level = LogLevel.Information,
        Message = "Copied the {Sources} objects of a resumable write ({Length} bytes) into one in bucket {Bucket}: " +
            "its component count reached the limit.",
        EventName = "ResumableCopied")]
    public static partial void ResumableCopied(this ILogger logger, int sources, long length, string bucket);

    [LoggerMessage(
        EventId = 3009,
        Level = LogLevel.Warning,
        Message = "Appending object {ObjectName} to bucket {Bucket} failed; the recorded write is unchanged.",
        EventName = "AppendFailed")]
    public static partial void AppendFailed(this ILogger logger, Exception? exception, string objectName, string bucket);

    [LoggerMessage(
        EventId = 3010,
        Level = LogLevel.Debug,
        Message = "An abandoned upload session in bucket {Bucket} could not be cancelled; GCS drops it after a week.",
        EventName = "SessionNotCancelled")]
    public static partial void SessionNotCancelled(this ILogger logger, Exception exception, string bucket);

    [LoggerMessage(
        EventId = 3011,
        Level = LogLevel.Trace,
        Message = "Object {ObjectName} in bucket {Bucket} was already gone when it was to be deleted.",
        EventName = "ObjectAlreadyGone")]
    public static partial void ObjectAlreadyGone(this ILogger logger, string objectName, string bucket);
}
