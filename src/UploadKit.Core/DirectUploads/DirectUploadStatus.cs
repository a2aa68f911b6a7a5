using UploadKit.Stores;

namespace UploadKit;

/// <summary>Where a direct upload stands, as <see cref="IDirectUploads.GetAsync"/> reads it.</summary>
public sealed class DirectUploadStatus
{
    internal DirectUploadStatus(UploadSession session, StoredFileInfo? storedFile)
    {
        Id = session.Id;
        State = session.State;
        StorageName = session.StorageName;
        FileName = session.FileName;
        ContentType = session.ContentType;
        Length = session.ExpectedLength;
        MaxLength = session.MaxLength;
        OwnerId = session.OwnerId;
        ExpiresOn = session.ExpiresOn;
        RejectionReason = session.RejectionReason;
        ScanVerdict = session.ScanVerdict;
        StoredFile = storedFile;
    }

    /// <summary>Gets the session id.</summary>
    public string Id { get; }

    /// <summary>Gets the state: pending until it is completed, rejected, cancelled or expired.</summary>
    public UploadSessionState State { get; }

    /// <summary>Gets the registry name of the storage the object goes to.</summary>
    public string StorageName { get; }

    /// <summary>Gets the file name the client gave.</summary>
    public string? FileName { get; }

    /// <summary>Gets the media type the object must have.</summary>
    public string? ContentType { get; }

    /// <summary>Gets the exact length the object must have, if one was given.</summary>
    public long? Length { get; }

    /// <summary>Gets the largest length the object may have, if one was given.</summary>
    public long? MaxLength { get; }

    /// <summary>Gets the id of the user the upload belongs to; <see langword="null"/> for none.</summary>
    public string? OwnerId { get; }

    /// <summary>Gets when a pending upload is swept.</summary>
    public DateTimeOffset ExpiresOn { get; }

    /// <summary>Gets why the object was refused, for a rejected upload.</summary>
    public string? RejectionReason { get; }

    /// <summary>Gets the malware scan's verdict recorded at completion (see <see cref="UploadSession.ScanVerdict"/>).</summary>
    public string? ScanVerdict { get; }

    /// <summary>Gets the sealed object of a completed upload; <see langword="null"/> before completion, or if it no longer exists.</summary>
    public StoredFileInfo? StoredFile { get; }
}
