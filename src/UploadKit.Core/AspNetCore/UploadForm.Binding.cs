using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace UploadKit;

/// <summary>
/// How ASP.NET Core binds an <see cref="UploadForm"/> parameter of a minimal API: the one part of the form type that
/// knows HTTP, kept here at the edge. It asks the request's <see cref="IUploadFormFeature"/> for the form.
/// </summary>
public sealed partial class UploadForm : IEndpointParameterMetadataProvider
{
    /// <summary>
    /// Binds an <see cref="UploadForm"/> parameter of a minimal API handler by reading the request through the
    /// upload-handler chain. A rejected upload is answered with problem details before the handler runs.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="parameter">The parameter being bound.</param>
    /// <returns>The form.</returns>
    public static async ValueTask<UploadForm?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            return await context.ReadUploadFormAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (UploadRejectedException ex)
        {
            // The endpoint filter every upload endpoint carries answers it; the handler never runs.
            UploadFeature.Get(context).BindingRejection = ex;
            return Empty;
        }
    }

    /// <summary>Marks the endpoint as reading uploads (problem details for rejections, OpenAPI request body).</summary>
    /// <param name="parameter">The parameter.</param>
    /// <param name="builder">The endpoint being built.</param>
    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        UploadEndpoints.Mark(builder);
    }
}
