using System.Globalization;

namespace UploadKit;

/// <summary>Django's <c>FileExtensionValidator</c>: the name's last extension must be one of a list, compared case-insensitively.</summary>
internal sealed class FileExtensionValidator : IFileValidator
{
    private readonly string[] _extensions;

    public FileExtensionValidator(string[] extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        if (extensions.Length == 0)
        {
            throw new ArgumentException("At least one extension is required.", nameof(extensions));
        }

        _extensions = extensions.Select(e => e.TrimStart('.').ToLowerInvariant()).ToArray();
    }

    public string? ValidateFile(UploadFileHeader file)
    {
        var extension = GetExtension(file.FileName);
        return _extensions.Contains(extension, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"File extension \"{extension}\" is not allowed. Allowed extensions are: {string.Join(", ", _extensions)}.";
    }

    /// <summary>The last extension, lower-cased and without its dot, as Django's <c>Path(value.name).suffix[1:].lower()</c>.</summary>
    public static string GetExtension(string fileName)
    {
        var extension = Path.GetExtension(fileName);
        return extension.Length > 1 ? extension[1..].ToLowerInvariant() : string.Empty;
    }
}

/// <summary>Bounds a file's length: refuses a declared length over the maximum at once, and real bytes the moment they cross it.</summary>
internal sealed class FileSizeValidator(long? minLength, long? maxLength) : IFileValidator
{
    public string? ValidateFile(UploadFileHeader file) =>
        file.DeclaredLength > maxLength ? TooLarge() : null;

    public string? ValidateLength(UploadFileHeader file, long length, bool isComplete)
    {
        if (length > maxLength)
        {
            return TooLarge();
        }

        return isComplete && length < minLength
            ? length == 0 ? "The submitted file is empty." : $"File is smaller than {ByteSize.Format(minLength.Value)}."
            : null;
    }

    private string TooLarge() => $"File is larger than {ByteSize.Format(maxLength!.Value)}.";
}

/// <summary>The declared media type must be one of a list; <c>image/*</c> allows a whole family.</summary>
internal sealed class ContentTypeValidator : IFileValidator
{
    private readonly string[] _contentTypes;

    public ContentTypeValidator(string[] contentTypes)
    {
        ArgumentNullException.ThrowIfNull(contentTypes);
        if (contentTypes.Length == 0)
        {
            throw new ArgumentException("At least one media type is required.", nameof(contentTypes));
        }

        _contentTypes = contentTypes;
    }

    public string? ValidateFile(UploadFileHeader file)
    {
        foreach (var allowed in _contentTypes)
        {
            if (allowed.EndsWith("/*", StringComparison.Ordinal)
                ? file.ContentType.StartsWith(allowed[..^1], StringComparison.OrdinalIgnoreCase)
                : string.Equals(file.ContentType, allowed, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        var declared = file.ContentType.Length > 0 ? file.ContentType : "(none)";
        return $"File type \"{declared}\" is not allowed. Allowed types are: {string.Join(", ", _contentTypes)}.";
    }
}

/// <summary>
/// Sniffs the content from its magic bytes: where the bytes are a recognised kind, the declared media type and the
/// extension must name that kind; where the declared type or extension names a recognised kind, the bytes must be it.
/// </summary>
internal sealed class FileSignatureValidator : IFileValidator
{
    /// <summary>Extensions that name no format, like <c>application/octet-stream</c>.</summary>
    private static readonly string[] NeutralExtensions = ["", "bin", "dat", "tmp", "blob", "upload"];

    public int HeadLength => FileSignatures.HeadLength;

    public string? ValidateHead(UploadFileHeader file, ReadOnlySpan<byte> head)
    {
        var detected = FileSignatures.Detect(head);
        var declared = file.ContentType;
        var declaresType = declared.Length > 0 && !declared.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase);
        var extension = FileExtensionValidator.GetExtension(file.FileName);
        if (detected is null)
        {
            var claimsKnownKind = (declaresType && FileSignatures.IsKnownMediaType(declared)) || FileSignatures.IsKnownExtension(extension);
            return claimsKnownKind ? "File content does not match its type." : null;
        }

        if (declaresType && !detected.MatchesMediaType(declared))
        {
            return $"File content is {detected.Name}, which does not match the declared type \"{declared}\".";
        }

        if (!NeutralExtensions.Contains(extension) && !detected.MatchesExtension(extension))
        {
            return $"File content is {detected.Name}, which does not match the extension \"{extension}\".";
        }

        return null;
    }
}

/// <summary>Bounds an image's width and height, read from its header (PNG, GIF, WebP, JPEG) without decoding it.</summary>
internal sealed class ImageDimensionsValidator(int? minWidth, int? minHeight, int? maxWidth, int? maxHeight) : IFileValidator
{
    /// <summary>Room for the metadata segments (EXIF, ICC) a JPEG may carry before its frame header.</summary>
    public int HeadLength => 256 * 1024;

    public string? ValidateHead(UploadFileHeader file, ReadOnlySpan<byte> head)
    {
        if (!FileSignatures.TryGetImageSize(head, out var width, out var height))
        {
            return "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";
        }

        return width > maxWidth ? Format("width", width, "larger", maxWidth.Value)
            : height > maxHeight ? Format("height", height, "larger", maxHeight.Value)
            : width < minWidth ? Format("width", width, "smaller", minWidth.Value)
            : height < minHeight ? Format("height", height, "smaller", minHeight.Value)
            : null;
    }

    private static string Format(string dimension, int actual, string comparison, int bound) =>
        string.Create(CultureInfo.InvariantCulture, $"Image {dimension} {actual} px is {comparison} than {bound} px.");
}
