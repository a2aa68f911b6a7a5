using Microsoft.AspNetCore.StaticFiles;

namespace UploadKit;

/// <summary>
/// The one rule every storage follows for the <c>Content-Type</c> and <c>Content-Disposition</c> an object is stored
/// with, so that an upload cannot become a web page: the media type comes from the stored name's extension (or what the
/// app passes), and content a browser would run (HTML, SVG, XML, JavaScript) is stored as an attachment unless the app
/// asks otherwise.
/// </summary>
public static class StoredContentTypes
{
    /// <summary>The media type of content whose kind is unknown: <c>application/octet-stream</c>, which browsers download.</summary>
    public const string Unknown = "application/octet-stream";

    /// <summary>The disposition active content is stored with: <c>attachment</c>.</summary>
    public const string Attachment = "attachment";

    private static readonly FileExtensionContentTypeProvider Extensions = new();

    private static readonly HashSet<string> ActiveMediaTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "text/html", "text/xsl", "multipart/x-mixed-replace", "text/x-component", "application/hta", "application/x-shockwave-flash",
    };

    /// <summary>Gets the media type a static file server gives a name's extension.</summary>
    /// <param name="name">A file name or path.</param>
    /// <returns>The media type, or <see cref="Unknown"/> for an extension it does not know.</returns>
    public static string FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Extensions.TryGetContentType(name, out var contentType) ? contentType : Unknown;
    }

    /// <summary>Gets the media type of content recognised by its first bytes (PNG, JPEG, GIF, WebP, PDF, ZIP, MP3, MP4, WAV, OGG, FLAC).</summary>
    /// <param name="head">The content's first bytes; 16 are enough.</param>
    /// <returns>The media type, or <see langword="null"/> if the bytes match no known signature.</returns>
    public static string? FromSignature(ReadOnlySpan<byte> head) => FileSignatures.Detect(head)?.MediaTypes[0];

    /// <summary>
    /// Tells whether a browser would render content of a media type as a page or run it: HTML, XHTML, SVG, XML and
    /// every XML-based type, XSLT, JavaScript and ECMAScript, among others.
    /// </summary>
    /// <param name="contentType">A media type, parameters allowed; <see langword="null"/> or empty is not active.</param>
    /// <returns><see langword="true"/> for active content.</returns>
    public static bool IsActiveContent(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return false;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return ActiveMediaTypes.Contains(mediaType) ||
            mediaType.Contains("xml", StringComparison.OrdinalIgnoreCase) ||
            mediaType.Contains("javascript", StringComparison.OrdinalIgnoreCase) ||
            mediaType.Contains("ecmascript", StringComparison.OrdinalIgnoreCase) ||
            mediaType.Contains("jscript", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Gets the media type a storage stores an object with: the one the app passed, or the name's.</summary>
    /// <param name="name">The object's name in its storage.</param>
    /// <param name="options">The save's options; <see cref="FileSaveOptions.ContentType"/> wins when set.</param>
    /// <returns>The media type.</returns>
    public static string GetContentType(string name, FileSaveOptions? options) =>
        options?.ContentType is { Length: > 0 } contentType ? contentType : FromName(name);

    /// <summary>
    /// Gets the <c>Content-Disposition</c> a storage stores an object with: the one the app passed for this save, else the
    /// storage's configured one, else <see cref="Attachment"/> for active content and none for the rest.
    /// </summary>
    /// <param name="contentType">The media type the object is stored with.</param>
    /// <param name="options">The save's options; <see cref="FileSaveOptions.ContentDisposition"/> wins when set.</param>
    /// <param name="storageDefault">The storage's configured disposition for new objects, if any.</param>
    /// <returns>The disposition, or <see langword="null"/> for none.</returns>
    public static string? GetContentDisposition(string? contentType, FileSaveOptions? options, string? storageDefault = null) =>
        options?.ContentDisposition is { Length: > 0 } disposition ? disposition
        : storageDefault is { Length: > 0 } configured ? configured
        : IsActiveContent(contentType) ? Attachment
        : null;
}
