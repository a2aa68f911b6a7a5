using UploadKit;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds UploadKit's middleware to an app's pipeline.</summary>
public static class UploadKitApplicationBuilderExtensions
{
    /// <summary>
    /// Answers <see cref="UploadRejectedException"/> thrown anywhere later in the pipeline with problem details
    /// (400, 413, 415, ...). Minimal API endpoints that read uploads do this already; add it for code that calls
    /// <c>ReadUploadFormAsync</c> itself outside such endpoints.
    /// </summary>
    /// <param name="app">The app.</param>
    /// <returns>The app, for chaining.</returns>
    public static IApplicationBuilder UseUploadKit(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.UseMiddleware<UploadKitMiddleware>();
    }
}
