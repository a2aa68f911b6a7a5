using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>
/// Thrown when an upload is refused: malformed input, an exceeded limit, an unsupported media type,
/// a failed validation or a handler that stops the request. UploadKit's endpoint integration turns it
/// into an RFC 7807 problem details response with <see cref="StatusCode"/>.
/// </summary>
public sealed class UploadRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="statusCode">The HTTP status code the response carries (400, 413, 415, 507, ...).</param>
    /// <param name="message">A message safe to show to the client.</param>
    /// <param name="innerException">The exception that caused the rejection, if any.</param>
    public UploadRejectedException(int statusCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        StatusCode = statusCode;
    }

    /// <summary>Gets the HTTP status code of the response.</summary>
    public int StatusCode { get; }

    /// <summary>Gets a short, human-readable summary of the problem type; defaults from the status code.</summary>
    public string? Title { get; init; }

    /// <summary>
    /// Gets per-field error messages, in the shape of Django REST framework's validation errors
    /// (<c>{"file": ["File is larger than 1 MiB."]}</c>), or <see langword="null"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>
    /// Gets the client's name of the file the rejection concerns (a file a validator refused), or
    /// <see langword="null"/>. The problem details carry it as <c>fileName</c>, so a page can show the error next to
    /// that file.
    /// </summary>
    public string? FileName { get; init; }

    /// <summary>
    /// Gets the name of the setting whose limit refused the request (<c>MaxRequestBodySize</c>), written to the problem
    /// as its <c>limit</c> member for developers, while the message speaks to the person who sent the upload.
    /// </summary>
    internal string? Limit { get; init; }

    internal static UploadRejectedException BadRequest(string message, Exception? inner = null) =>
        new(StatusCodes.Status400BadRequest, message, inner) { Title = "Malformed upload" };

    internal static UploadRejectedException TooLarge(string message, string? limit = null) =>
        new(StatusCodes.Status413PayloadTooLarge, message) { Title = "Upload limit exceeded", Limit = limit };

    internal static UploadRejectedException UnsupportedMediaType(string message) =>
        new(StatusCodes.Status415UnsupportedMediaType, message) { Title = "Unsupported media type" };
}
