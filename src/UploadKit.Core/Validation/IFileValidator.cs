namespace UploadKit;

/// <summary>
/// Checks a file: Django's file validators, run while the file streams as well as on a stored object (direct
/// uploads). Each check sees only what it needs, so a streaming upload is refused as early as possible: the name
/// and declared type before any byte is kept, the content's first bytes as soon as they arrive, and the size the
/// moment it is crossed, without reading the rest of the body.
/// </summary>
/// <remarks>
/// Each method returns an error message for the client (DRF's wording, such as <c>"File is larger than 1 MB."</c>),
/// or <see langword="null"/> when the file passes. Every method has a default that passes, so a validator
/// implements only the checks it makes. Validators are shared between requests and must be thread-safe.
/// </remarks>
public interface IFileValidator
{
    /// <summary>Gets how many of the file's first bytes <see cref="ValidateHead"/> needs; 0 if it is not used.</summary>
    int HeadLength => 0;

    /// <summary>Checks what is known before any byte: the file name, the declared media type and the declared length.</summary>
    /// <param name="file">The file's header.</param>
    /// <returns>An error message, or <see langword="null"/>.</returns>
    string? ValidateFile(UploadFileHeader file) => null;

    /// <summary>Checks the file's first bytes.</summary>
    /// <param name="file">The file's header.</param>
    /// <param name="head">The first <see cref="HeadLength"/> bytes, or the whole file if it is shorter.</param>
    /// <returns>An error message, or <see langword="null"/>.</returns>
    string? ValidateHead(UploadFileHeader file, ReadOnlySpan<byte> head) => null;

    /// <summary>Checks the file's length: called as bytes arrive with the length so far, then once with the final length.</summary>
    /// <param name="file">The file's header.</param>
    /// <param name="length">The number of bytes received so far, or the file's length when <paramref name="isComplete"/>.</param>
    /// <param name="isComplete">Whether <paramref name="length"/> is final.</param>
    /// <returns>An error message, or <see langword="null"/>.</returns>
    string? ValidateLength(UploadFileHeader file, long length, bool isComplete) => null;
}
