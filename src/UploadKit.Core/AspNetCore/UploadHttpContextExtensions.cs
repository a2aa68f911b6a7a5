using UploadKit;

namespace Microsoft.AspNetCore.Http;

/// <summary>Reads uploads from a request: Django's <c>request.FILES</c> and <c>request.upload_handlers</c>.</summary>
public static class UploadHttpContextExtensions
{
    /// <summary>
    /// Gets the request's upload handlers, in chain order (Django's <c>request.upload_handlers</c>): the endpoint's
    /// chain if it sets one, else the app's. Insert at 0 to run a handler first for this request only.
    /// The list cannot change once the body has started to be read.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The request's handler list.</returns>
    public static IList<UploadHandler> GetUploadHandlers(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return UploadFeature.GetForm(context).Handlers;
    }

    /// <summary>
    /// Reads the request body once through the upload-handler chain and returns its fields and files. Later calls
    /// return the same form. The form's files are released when the request ends.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="cancellationToken">Cancels the read; defaults to none (pass <c>RequestAborted</c>).</param>
    /// <returns>The form.</returns>
    /// <exception cref="UploadRejectedException">The body is malformed (400), exceeds a limit (413), has an unsupported media type (415), or a
    /// handler or validator refused it.</exception>
    public static Task<UploadForm> ReadUploadFormAsync(this HttpContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return UploadFeature.GetForm(context).ReadFormAsync(cancellationToken);
    }
}
