namespace UploadKit.Storage.S3;

/// <summary>A part a client uploaded to a presigned part URL: its number and the <c>ETag</c> header S3 answered with.</summary>
public sealed class S3CompletedPart
{
    /// <summary>Creates the part.</summary>
    /// <param name="partNumber">The part number, 1 to 10000.</param>
    /// <param name="eTag">The <c>ETag</c> response header of the part's upload.</param>
    public S3CompletedPart(int partNumber, string eTag)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partNumber, 10000);
        ArgumentException.ThrowIfNullOrEmpty(eTag);
        PartNumber = partNumber;
        ETag = eTag;
    }

    /// <summary>Gets the part number.</summary>
    public int PartNumber { get; }

    /// <summary>Gets the part's ETag.</summary>
    public string ETag { get; }
}
