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
}
