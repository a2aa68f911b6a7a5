using Microsoft.Extensions.Logging;

namespace UploadKit;

/// <summary>Log messages of malware scanning: event ids 450-459, category <c>UploadKit.Scanning</c>. They never contain file contents.</summary>
internal static partial class ScanLog
{
    /// <summary>The category of scanning log messages.</summary>
    public const string Category = "UploadKit.Scanning";

    [LoggerMessage(EventId = 450, Level = LogLevel.Debug, Message = "Scanned {FileName}: clean in {Duration} s.", EventName = "ScanClean")]
    public static partial void ScanClean(this ILogger logger, string fileName, double duration);

    [LoggerMessage(
        EventId = 451,
        Level = LogLevel.Warning,
        Message = "Refused {FileName} (field {FieldName}, owner {OwnerId}): infected with {Signature}.",
        EventName = "ScanInfected")]
    public static partial void ScanInfected(this ILogger logger, string fileName, string fieldName, string? ownerId, string signature);

    [LoggerMessage(
        EventId = 452,
        Level = LogLevel.Error,
        Message = "The scan of {FileName} failed ({Reason}); the file was refused.",
        EventName = "ScanFailed")]
    public static partial void ScanFailed(this ILogger logger, string fileName, string reason);

    [LoggerMessage(
        EventId = 453,
        Level = LogLevel.Warning,
        Message = "The scan of {FileName} failed ({Reason}); the endpoint fails open, so the file was accepted unscanned.",
        EventName = "ScanFailedOpen")]
    public static partial void ScanFailedOpen(this ILogger logger, string fileName, string reason);

    [LoggerMessage(
        EventId = 454,
        Level = LogLevel.Information,
        Message = "Refused {FileName}: larger than the scanner scans ({Reason}).",
        EventName = "ScanTooLarge")]
    public static partial void ScanTooLarge(this ILogger logger, string fileName, string reason);

    [LoggerMessage(
        EventId = 455,
        Level = LogLevel.Warning,
        Message = "Quarantined infected {FileName} as {QuarantineName} in storage {StorageName}.",
        EventName = "FileQuarantined")]
    public static partial void FileQuarantined(this ILogger logger, string fileName, string storageName, string quarantineName);

    [LoggerMessage(
        EventId = 456,
        Level = LogLevel.Error,
        Message = "Infected {FileName} could not be quarantined; it was deleted.",
        EventName = "QuarantineFailed")]
    public static partial void QuarantineFailed(this ILogger logger, string fileName, Exception exception);
}
