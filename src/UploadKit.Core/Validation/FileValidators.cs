namespace UploadKit;

/// <summary>The built-in file validators (Django's and DRF's), for <c>WithFileValidators</c> and <c>AddValidator</c>.</summary>
public static class FileValidators
{
    /// <summary>Allows only names whose last extension is one of <paramref name="extensions"/>, case-insensitively (Django's
    /// <c>FileExtensionValidator</c>).</summary>
    /// <param name="extensions">Extensions, with or without the dot: <c>"mp3"</c>, <c>".png"</c>.</param>
    /// <returns>The validator; it refuses a file before any of its bytes is kept.</returns>
    public static IFileValidator Extensions(params string[] extensions) => new FileExtensionValidator(extensions);

    /// <summary>Refuses files longer than <paramref name="maxLength"/> bytes, the moment the limit is crossed.</summary>
    /// <param name="maxLength">The largest length allowed, in bytes.</param>
    /// <returns>The validator; its message reads like <c>"File is larger than 1 MB."</c>.</returns>
    public static IFileValidator MaxSize(long maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        return new FileSizeValidator(null, maxLength);
    }

    /// <summary>Refuses files shorter than <paramref name="minLength"/> bytes.</summary>
    /// <param name="minLength">The smallest length allowed, in bytes; 1 refuses empty files.</param>
    /// <returns>The validator.</returns>
    public static IFileValidator MinSize(long minLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minLength);
        return new FileSizeValidator(minLength, null);
    }

    /// <summary>Allows only files whose declared media type is one of <paramref name="contentTypes"/> (<c>image/*</c> for a family).</summary>
    /// <param name="contentTypes">Media types, compared case-insensitively.</param>
    /// <returns>The validator; it checks the declared type only (combine it with <see cref="Signature"/>).</returns>
    public static IFileValidator ContentTypes(params string[] contentTypes) => new ContentTypeValidator(contentTypes);

    /// <summary>
    /// Sniffs the content from its magic bytes (PNG, JPEG, GIF, WebP, PDF, ZIP, MP3 with or without ID3, MP4/M4A, WAV,
    /// OGG, FLAC) and refuses a file whose declared type or extension disagrees with its bytes.
    /// </summary>
    /// <returns>The validator; it decides on the file's first 16 bytes.</returns>
    public static IFileValidator Signature() => new FileSignatureValidator();

    /// <summary>Bounds an image's dimensions, read from its header only (PNG, GIF, WebP, JPEG); other content is refused.</summary>
    /// <param name="minWidth">The smallest width in pixels, or <see langword="null"/>.</param>
    /// <param name="minHeight">The smallest height in pixels, or <see langword="null"/>.</param>
    /// <param name="maxWidth">The largest width in pixels, or <see langword="null"/>.</param>
    /// <param name="maxHeight">The largest height in pixels, or <see langword="null"/>.</param>
    /// <returns>The validator; it reads at most the file's first 256 KiB.</returns>
    public static IFileValidator ImageDimensions(int? minWidth = null, int? minHeight = null, int? maxWidth = null, int? maxHeight = null) =>
        new ImageDimensionsValidator(minWidth, minHeight, maxWidth, maxHeight);
}
