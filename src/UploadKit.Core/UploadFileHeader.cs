using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>What is known of a file when it starts: the arguments of Django's <c>new_file</c>.</summary>
public sealed class UploadFileHeader
{
    /// <summary>Creates a file header.</summary>
    /// <param name="fieldName">The form field the file was sent in.</param>
    /// <param name="fileName">The sanitised file name.</param>
    /// <param name="contentType">The declared media type, without parameters.</param>
    public UploadFileHeader(string fieldName, string fileName, string contentType)
    {
        ArgumentNullException.ThrowIfNull(fieldName);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(contentType);
        FieldName = fieldName;
        FileName = fileName;
        ContentType = contentType;
    }

    /// <summary>Gets the form field the file was sent in (empty for a raw body without one).</summary>
    public string FieldName { get; }

    /// <summary>Gets the sanitised file name: a base name with no path, no control characters, at most 255 characters.</summary>
    public string FileName { get; }

    /// <summary>Gets the declared media type without parameters, e.g. <c>audio/mpeg</c>.</summary>
    public string ContentType { get; }

    /// <summary>Gets the <c>charset</c> parameter of the declared content type, if any.</summary>
    public string? Charset { get; init; }

    /// <summary>Gets every parameter of the declared content type, <c>charset</c> included (Django's <c>content_type_extra</c>).</summary>
    public IReadOnlyDictionary<string, string> ContentTypeParameters { get; init; } = EmptyParameters;

    /// <summary>
    /// Gets the length the client declared for this file, if it declared one. It is a hint only: handlers
    /// must not trust it, and the chain never does.
    /// </summary>
    public long? DeclaredLength { get; init; }

    /// <summary>Gets the part's headers (multipart) or the request's headers (raw body).</summary>
    public IHeaderDictionary Headers { get; init; } = new HeaderDictionary();

    internal static readonly IReadOnlyDictionary<string, string> EmptyParameters =
        new Dictionary<string, string>(0, StringComparer.OrdinalIgnoreCase);
}
