namespace UploadKit;

/// <summary>What a direct upload may contain, checked when it is completed.</summary>
public sealed class DirectUploadRequest
{
    /// <summary>Creates a request.</summary>
    /// <param name="fileName">The client's file name; the object name is derived from it with <see cref="FileStorageNames.GetValidName"/>.</param>
    /// <param name="contentType">The media type the object must have, such as <c>audio/mpeg</c>.</param>
    /// <param name="length">The exact length the object must have, if known.</param>
    /// <param name="maxLength">The largest length the object may have.</param>
    /// <param name="checksumSha256">The SHA-256 the object must have, as hexadecimal.</param>
    public DirectUploadRequest(string fileName, string contentType, long? length = null, long? maxLength = null, string? checksumSha256 = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        if (length is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The length must not be negative.");
        }

        if (maxLength is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "The maximum length must be positive.");
        }

        if (length > maxLength)
        {
            throw new ArgumentException("The length is over the maximum length.", nameof(length));
        }

        if (checksumSha256 is not null && (checksumSha256.Length != 64 || !checksumSha256.All(char.IsAsciiHexDigit)))
        {
            throw new ArgumentException("The SHA-256 checksum must be 64 hexadecimal digits.", nameof(checksumSha256));
        }

        FileName = fileName;
        ContentType = contentType;
        Length = length;
        MaxLength = maxLength;
        ChecksumSha256 = checksumSha256?.ToLowerInvariant();
    }

    /// <summary>Gets the client's file name.</summary>
    public string FileName { get; }

    /// <summary>Gets the media type the object must have.</summary>
    public string ContentType { get; }

    /// <summary>Gets the exact length the object must have, if known.</summary>
    public long? Length { get; }

    /// <summary>Gets the largest length the object may have.</summary>
    public long? MaxLength { get; }

    /// <summary>Gets the SHA-256 the object must have, as lower-case hexadecimal.</summary>
    public string? ChecksumSha256 { get; }

    /// <summary>
    /// Gets or sets the form field whose file validators the object must pass when it is completed: the app-wide ones
    /// (<c>AddValidator(validator, fieldName)</c>), and, completed by <c>MapDirectUploads</c>, those given to it with
    /// <c>WithFileValidators(fieldName, ...)</c>.
    /// </summary>
    /// <value>Defaults to <c>"file"</c>.</value>
    public string FieldName { get; set; } = "file";

    /// <summary>Gets or sets how the client uploads: a <c>PUT</c> of the body, or a browser form <c>POST</c> where the storage offers one.</summary>
    /// <value>Defaults to <see cref="PresignedUploadMethod.Put"/>.</value>
    public PresignedUploadMethod Method { get; set; } = PresignedUploadMethod.Put;

    /// <summary>Gets or sets how long the signed request stays valid; <see langword="null"/> for
    /// <see cref="DirectUploadOptions.DefaultExpiry"/>.</summary>
    public TimeSpan? ExpiresIn { get; set; }
}
