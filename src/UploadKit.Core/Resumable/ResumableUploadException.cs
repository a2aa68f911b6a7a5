using UploadKit.Stores;

namespace UploadKit;

/// <summary>Why a resumable-upload request was refused, in terms each protocol answers in its own way.</summary>
internal enum ResumableFailure
{
    NotFound,
    Gone,
    Locked,
    OffsetMismatch,
    AlreadyComplete,
    InconsistentLength,
    ChecksumMismatch,
    UnsupportedChecksum,
}

/// <summary>A resumable-upload request refused for a protocol reason; the edge answers it per protocol.</summary>
internal sealed class ResumableUploadException(ResumableFailure failure, string message, ResumableUpload? upload = null) : Exception(message)
{
    public ResumableFailure Failure { get; } = failure;

    /// <summary>Gets the upload as it stands, when the client needs its offset or length to recover.</summary>
    public ResumableUpload? Upload { get; } = upload;
}
