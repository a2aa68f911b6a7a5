using UploadKit;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Attaches file validators and checksums to upload endpoints.</summary>
public static class FileValidationEndpointExtensions
{
    /// <summary>
    /// Validates the files sent in <paramref name="fieldName"/> while they stream, before the endpoint's handlers keep
    /// them. A failure answers 400 with the messages under the field (<c>{"errors": {"file": ["File is larger than 1 MB."]}}</c>)
    /// and leaves nothing behind.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="fieldName">The form field; files in other fields are not checked by these validators.</param>
    /// <param name="validators">The validators, such as <see cref="FileValidators.MaxSize"/>.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithFileValidators<TBuilder>(this TBuilder builder, string fieldName, params IFileValidator[] validators)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(fieldName);
        ArgumentNullException.ThrowIfNull(validators);
        var list = validators.ToArray();

        // Kept by field too, so a direct upload completed on this endpoint is checked by the same validators.
        UploadEndpointMetadata.Edit(builder, m => m.FileValidators.Add(new(fieldName, list)));
        return AddFrontHandler(builder, _ => new FileValidationHandler(fieldName, list));
    }

    /// <summary>
    /// Computes checksums of every file while it streams, and checks a <c>Content-Digest</c> / <c>Repr-Digest</c>
    /// the client sent (see <see cref="ChecksumUploadHandler"/>).
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint convention builder.</typeparam>
    /// <param name="builder">The endpoint.</param>
    /// <param name="algorithms">Algorithms to compute: <see cref="ChecksumUploadHandler.Sha256"/> when none are given.</param>
    /// <returns>The builder, for chaining.</returns>
    public static TBuilder WithChecksums<TBuilder>(this TBuilder builder, params string[] algorithms)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(algorithms);
        var list = algorithms.Length == 0 ? [ChecksumUploadHandler.Sha256] : algorithms.ToArray();
        _ = new ChecksumUploadHandler(list);
        return AddFrontHandler(builder, _ => new ChecksumUploadHandler(list));
    }

    private static TBuilder AddFrontHandler<TBuilder>(TBuilder builder, Func<Microsoft.AspNetCore.Http.HttpContext, UploadHandler> factory)
        where TBuilder : IEndpointConventionBuilder
    {
        // The endpoint also answers rejections with problem details, as every upload endpoint does.
        builder.Add(UploadEndpoints.Mark);
        return UploadEndpointMetadata.Edit(builder, m => m.FrontHandlers.Add(factory));
    }
}
