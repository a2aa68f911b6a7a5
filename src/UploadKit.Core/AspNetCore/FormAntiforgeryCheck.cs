using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>
/// An antiforgery token that a plain HTML form sends as its first field (the hidden input placed before the file
/// inputs). The reader validates it the moment that field is read, before any file part reaches a handler.
/// </summary>
internal sealed class FormAntiforgeryCheck(HttpContext httpContext, IAntiforgery antiforgery, string headerName, string fieldName)
{
    public string FieldName => fieldName;

    public static async Task ThrowIfInvalidAsync(IAntiforgery antiforgery, HttpContext httpContext)
    {
        if (!await antiforgery.IsRequestValidAsync(httpContext).ConfigureAwait(false))
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The antiforgery token is not valid.") { Title = "Antiforgery token invalid" };
        }
    }

    /// <summary>Validates the field's token. ASP.NET Core reads a token from the header without touching the body, so the field's value is checked there.</summary>
    public async Task ValidateAsync(string token)
    {
        var headers = httpContext.Request.Headers;
        headers[headerName] = token;
        try
        {
            await ThrowIfInvalidAsync(antiforgery, httpContext).ConfigureAwait(false);
        }
        finally
        {
            headers.Remove(headerName);
        }
    }

    /// <summary>The form's first part was not the token field, or the form ended without it.</summary>
    public UploadRejectedException Missing() =>
        new(StatusCodes.Status400BadRequest, $"The antiforgery token is missing; send it in the '{headerName}' header, or as the form's first field '{fieldName}', before any file.")
        {
            Title = "Antiforgery token required",
        };
}
