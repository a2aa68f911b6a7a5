using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>
/// Antiforgery for upload endpoints. A fetch or XHR client sends the token in a header, checked before the body is
/// read; a plain HTML form sends it as its first field (the hidden input placed before the file inputs), which the
/// reader hands back here the moment that field is read, before any file part reaches a handler.
/// </summary>
internal static class FormAntiforgeryCheck
{
    public static async Task ThrowIfInvalidAsync(IAntiforgery antiforgery, HttpContext httpContext)
    {
        if (!await antiforgery.IsRequestValidAsync(httpContext).ConfigureAwait(false))
        {
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, "The antiforgery token is not valid.")
            {
                Title = "Antiforgery token invalid"
            };
        }
    }

    /// <summary>The token the form must send as its first field <paramref name="fieldName"/>.</summary>
    public static FormFieldToken ForFirstField(HttpContext httpContext, IAntiforgery antiforgery, string headerName, string fieldName) =>
        new(
            fieldName,
            token => ValidateFieldAsync(httpContext, antiforgery, headerName, token),
            () => new UploadRejectedException(
                StatusCodes.Status400BadRequest,
                $"The antiforgery token is missing; send it in the '{headerName}' header, " +
                    $"or as the form's first field '{fieldName}', before any file.")
            {
                Title = "Antiforgery token required",
            });

    /// <summary>Validates the field's token. ASP.NET Core reads a token from the header without touching the body, so the field's value is checked
    /// there.</summary>
    private static async Task ValidateFieldAsync(HttpContext httpContext, IAntiforgery antiforgery, string headerName, string token)
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
}
