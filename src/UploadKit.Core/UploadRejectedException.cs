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

    /// <summary>The problem title of a failed validation, as ASP.NET Core's <c>ValidationProblemDetails</c> has it.</summary>
    internal const string ValidationTitle = "One or more validation errors occurred.";

    // UploadKit refuses through these factories only, so that a kind of refusal always carries the same status and title.

    /// <summary>A body that cannot be read as sent (400, or the server's own 4xx for a body it could not read).</summary>
    internal static UploadRejectedException BadRequest(string message, Exception? inner = null, int statusCode = StatusCodes.Status400BadRequest) =>
        new(statusCode, message, inner) { Title = "Malformed upload" };

    /// <summary>An exceeded limit (413); <paramref name="limit"/> names the setting for the developer.</summary>
    internal static UploadRejectedException TooLarge(string message, string? limit = null, Exception? inner = null) =>
        new(StatusCodes.Status413PayloadTooLarge, message, inner) { Title = "Upload limit exceeded", Limit = limit };

    internal static UploadRejectedException UnsupportedMediaType(string message) =>
        new(StatusCodes.Status415UnsupportedMediaType, message) { Title = "Unsupported media type" };

    /// <summary>
    /// A field that failed validation (400), in the shape of Django REST framework's validation errors: the first
    /// message is the detail, and every message is listed under <paramref name="field"/>.
    /// </summary>
    internal static UploadRejectedException Invalid(string field, IReadOnlyList<string> messages, string? fileName = null) =>
        new(StatusCodes.Status400BadRequest, messages[0])
        {
            Title = ValidationTitle,
            Errors = new Dictionary<string, string[]> { [field] = [.. messages] },
            FileName = fileName,
        };

    /// <summary>A client's file name that a storage refused (400): bad input, not a server fault.</summary>
    internal static UploadRejectedException InvalidFileName(Exception exception) =>
        new(StatusCodes.Status400BadRequest, exception.Message, exception) { Title = "Invalid file name" };

    /// <summary>A form-post request without a valid antiforgery token (400).</summary>
    internal static UploadRejectedException Antiforgery(string message, bool missing) =>
        new(StatusCodes.Status400BadRequest, message) { Title = missing ? "Antiforgery token required" : "Antiforgery token invalid" };
}
