namespace UploadKit;

/// <summary>
/// A request's upload form, as an HTTP feature (the pattern of ASP.NET Core's <c>IFormFeature</c>): its handler list
/// and the one read of its body through them. UploadKit sets one on each request that reads uploads; an app or a test
/// may set its own in <c>HttpContext.Features</c> to supply the form another way.
/// </summary>
public interface IUploadFormFeature
{
    /// <summary>Gets the request's handlers, in chain order; the list cannot change once reading has started.</summary>
    IList<UploadHandler> Handlers { get; }

    /// <summary>Reads the body once through the handlers; later calls return the same form.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The form.</returns>
    Task<UploadForm> ReadFormAsync(CancellationToken cancellationToken);
}
