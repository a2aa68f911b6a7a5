using System.IO.Pipelines;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace UploadKit;

/// <summary>
/// The request an upload-handler chain is reading, as handlers see it: plain data (the user, the request's headers,
/// query and route values, its declared length, the limits and services), never the HTTP context itself.
/// </summary>
public sealed class UploadRequestContext
{
    private static readonly IReadOnlyDictionary<string, object?> NoRouteValues = new Dictionary<string, object?>();
    private static readonly ClaimsPrincipal Anonymous = new(new ClaimsIdentity());

    private RequestMemoryAccount? _memory;

    internal UploadRequestContext(UploadOptions options, IReadOnlyList<UploadHandler> handlers, IServiceProvider services)
    {
        Options = options;
        Handlers = handlers;
        Services = services;
    }

    /// <summary>Gets the limits in force for this request (the endpoint's, where it sets its own).</summary>
    public UploadOptions Options { get; }

    /// <summary>Gets the request's handlers, in chain order.</summary>
    public IReadOnlyList<UploadHandler> Handlers { get; }

    /// <summary>Gets the request's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Gets the user who sent the request; an unauthenticated principal for an anonymous request.</summary>
    public ClaimsPrincipal User { get; internal init; } = Anonymous;

    /// <summary>
    /// Gets the id that owns what the request records (progress, quota, direct uploads): the app's
    /// <see cref="IUploadOwnerResolver"/> applied to <see cref="User"/>; <see langword="null"/> for an anonymous request.
    /// </summary>
    public string? OwnerId { get; internal init; }

    /// <summary>Gets the request's headers; a missing header reads as empty.</summary>
    public IHeaderDictionary Headers { get; internal init; } = new HeaderDictionary();

    /// <summary>Gets the request's query values; a missing value reads as empty.</summary>
    public IQueryCollection Query { get; internal init; } = QueryCollection.Empty;

    /// <summary>Gets the values the endpoint's route matched, such as <c>{filename}</c>.</summary>
    public IReadOnlyDictionary<string, object?> RouteValues { get; internal init; } = NoRouteValues;

    /// <summary>Gets the request's parsed <c>Content-Type</c>, or <see langword="null"/> if it has none.</summary>
    public MediaTypeHeaderValue? ContentType { get; internal init; }

    /// <summary>Gets the request's declared <c>Content-Length</c>, or <see langword="null"/> for a chunked body.</summary>
    public long? ContentLength { get; internal init; }

    /// <summary>Gets the request body. Only a handler taking over the body in <see cref="UploadHandler.HandleRawInputAsync"/> reads it.</summary>
    public PipeReader Body { get; internal init; } = PipeReader.Create(Stream.Null);

    /// <summary>Gets a token that is cancelled when the client goes away.</summary>
    public CancellationToken RequestAborted { get; internal init; }

    /// <summary>Gets the file being read, or <see langword="null"/> between files.</summary>
    public UploadFileHeader? CurrentFile { get; internal set; }

    /// <summary>
    /// Gets checksums of the current file that handlers computed while it streamed, by algorithm name
    /// (<c>sha256</c>, <c>md5</c>, <c>crc32c</c>), as lower-case hexadecimal. Cleared when a file starts;
    /// copied onto <see cref="UploadedFile.Checksums"/> of the file that wins <see cref="UploadHandler.FileCompleteAsync"/>.
    /// </summary>
    public IDictionary<string, string> CurrentFileChecksums { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the file bytes the request holds in memory, reserved from the application's budget as well.</summary>
    internal RequestMemoryAccount Memory => _memory ??= new RequestMemoryAccount(
        Options.MaxRequestMemoryBufferSize,
        Services.GetService(typeof(UploadMemoryBudget)) as UploadMemoryBudget ?? UploadMemoryBudget.Default);

    /// <summary>
    /// Gets whether the reader passes the bytes a <see cref="MemoryUploadHandler"/> held at a spill on block by block
    /// (see <see cref="MemoryUploadHandler.TakeSpill"/>); handlers driven by hand get them joined to the chunk instead.
    /// </summary>
    internal bool SegmentedSpill { get; set; }

    /// <summary>Gets why the upload is being interrupted, as the client will see it; set before handlers are interrupted.</summary>
    internal Exception? Interruption { get; set; }

    /// <summary>Gets the request's record of saved files, settled by the request's answer; <see langword="null"/> outside a request.</summary>
    internal UploadSaveScope? Saves { get; init; }

    /// <summary>Gets or sets a form token (antiforgery) still to be read from the form's first field.</summary>
    internal FormFieldToken? PendingFormToken { get; set; }
}
