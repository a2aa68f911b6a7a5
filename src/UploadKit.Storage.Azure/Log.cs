using Microsoft.Extensions.Logging;

namespace UploadKit.Storage.Azure;

/// <summary>The Azure Blob Storage package's log messages (event ids 2000-2999). URLs and SAS tokens are never logged.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, EventName = "AzureBlobSaved",
        Message = "Saved {BlobName} ({Length} bytes in {BlockCount} blocks) to Azure storage {StorageName}")]
    public static partial void BlobSaved(this ILogger logger, string storageName, string blobName, long length, int blockCount);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, EventName = "AzureBlobNameTaken",
        Message = "The name {BlobName} in Azure storage {StorageName} is taken; saving under {AlternateName}")]
    public static partial void NameTaken(this ILogger logger, string storageName, string blobName, string alternateName);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, EventName = "AzureBlobSaveAbandoned",
        Message = "A save of {BlobName} to Azure storage {StorageName} failed before its commit; " +
            "nothing was committed, and Azure discards its {BlockCount} staged blocks")]
    public static partial void SaveAbandoned(this ILogger logger, string storageName, string blobName, int blockCount, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, EventName = "AzureContainerCreated",
        Message = "Created the container {ContainerName} for Azure storage {StorageName}")]
    public static partial void ContainerCreated(this ILogger logger, string storageName, string containerName);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Debug, EventName = "AzureUserDelegationKeyRequested",
        Message = "Requested a user delegation key valid until {ExpiresOn} for Azure storage {StorageName}")]
    public static partial void UserDelegationKeyRequested(this ILogger logger, string storageName, DateTimeOffset expiresOn);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Debug, EventName = "AzureCopied",
        Message = "Copied '{Name}' to '{DestinationName}' ({FileSize} bytes) within the account for Azure storage {StorageName}")]
    public static partial void Copied(this ILogger logger, string storageName, string name, string destinationName, long fileSize);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Debug, EventName = "AzureResumableCompleted",
        Message = "Completed a resumable write as {BlobName} ({Length} bytes in {BlockCount} blocks) in Azure storage {StorageName}")]
    public static partial void ResumableCompleted(this ILogger logger, string storageName, string blobName, long length, int blockCount);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Debug, EventName = "AzureResumableAborted",
        Message = "Aborted a resumable write of {BlobName} in Azure storage {StorageName}; its blocks are gone")]
    public static partial void ResumableAborted(this ILogger logger, string storageName, string blobName);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, EventName = "AzureStagingNotDeleted",
        Message = "Stored the resumable write for {BlobName} in Azure storage {StorageName}, but its staging blob {StagingName} " +
            "could not be deleted; aborting the write removes it")]
    public static partial void StagingNotDeleted(this ILogger logger, string storageName, string blobName, string stagingName, Exception exception);
}
