namespace UploadKit;

/// <summary>How <see cref="IFileStorage.SaveAsync"/> stores a file.</summary>
public sealed class FileSaveOptions
{
    private Dictionary<string, string>? _checksums;
    private Dictionary<string, string>? _metadata;

    /// <summary>
    /// Gets or sets the media type to store with the file; <see langword="null"/> for the one its name's extension gives
    /// (<see cref="StoredContentTypes.FromName"/>).
    /// </summary>
    public string? ContentType { get; set; }

    /// <summary>
    /// Gets or sets the <c>Content-Disposition</c> to store with the file, such as <c>inline</c> to let a browser render
    /// an HTML or SVG file it was sent; <see langword="null"/> for the storage's rule: its configured disposition, else
    /// <c>attachment</c> for active content (<see cref="StoredContentTypes.IsActiveContent"/>) and none for the rest.
    /// </summary>
    public string? ContentDisposition { get; set; }

    /// <summary>
    /// Gets or sets whether an existing file of the same name is replaced; <see langword="null"/> for the
    /// storage's own setting (which is off unless configured).
    /// </summary>
    public bool? Overwrite { get; set; }

    /// <summary>Gets or sets the content's length where it is known in advance; a hint for choosing one request or many.</summary>
    public long? Length { get; set; }

    /// <summary>
    /// Gets checksums of the content by algorithm name (<c>sha256</c>, <c>md5</c>, <c>crc32c</c>), as
    /// lower-case hexadecimal. A storage records them, and may have the server verify them.
    /// </summary>
    public IDictionary<string, string> Checksums => _checksums ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets user metadata to store with the file (names are lower-cased by some backends).</summary>
    public IDictionary<string, string> Metadata => _metadata ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets whether any checksum was given, without creating the dictionary (most saves have none).</summary>
    internal bool HasChecksums => _checksums is { Count: > 0 };

    /// <summary>Gets whether any user metadata was given, without creating the dictionary.</summary>
    internal bool HasMetadata => _metadata is { Count: > 0 };
}
