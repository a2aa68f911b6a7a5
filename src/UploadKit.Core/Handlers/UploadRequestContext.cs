using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace UploadKit;

/// <summary>The request an upload-handler chain is reading, as handlers see it.</summary>
public sealed class UploadRequestContext
{
    private RequestMemoryAccount? _memory;

    internal UploadRequestContext(HttpContext httpContext, UploadOptions options, MediaTypeHeaderValue? contentType, string? boundary, IReadOnlyList<UploadHandler> handlers)
    {
        HttpContext = httpContext;
        Options = options;
        ContentType = contentType;
        Boundary = boundary;
        Handlers = handlers;
    }

    /// <summary>Gets the HTTP context of the request.</summary>
    public HttpContext HttpContext { get; }

    /// <summary>Gets the limits in force for this request (the endpoint's, where it sets its own).</summary>
    public UploadOptions Options { get; }

    /// <summary>Gets the request's parsed <c>Content-Type</c>, or <see langword="null"/> if it has none.</summary>
    public MediaTypeHeaderValue? ContentType { get; }

    /// <summary>Gets the multipart boundary, or <see langword="null"/> for a raw body.</summary>
    public string? Boundary { get; }

    /// <summary>Gets the request's declared <c>Content-Length</c>, or <see langword="null"/> for a chunked body.</summary>
    public long? ContentLength => HttpContext.Request.ContentLength;

    /// <summary>Gets the request body. Only a handler taking over the body in <see cref="UploadHandler.HandleRawInputAsync"/> reads it.</summary>
    public PipeReader Body => HttpContext.Request.BodyReader;

    /// <summary>Gets the request's services.</summary>
    public IServiceProvider Services => HttpContext.RequestServices;

    /// <summary>Gets the request's handlers, in chain order.</summary>
    public IReadOnlyList<UploadHandler> Handlers { get; }

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
        ((IServiceProvider?)Services)?.GetService(typeof(UploadMemoryBudget)) as UploadMemoryBudget ?? UploadMemoryBudget.Default);

    /// <summary>
    /// Gets whether the reader passes the bytes a <see cref="MemoryUploadHandler"/> held at a spill on block by block
    /// (see <see cref="MemoryUploadHandler.TakeSpill"/>); handlers driven by hand get them joined to the chunk instead.
    /// </summary>
    internal bool SegmentedSpill { get; set; }

    /// <summary>Gets why the upload is being interrupted, as the client will see it; set before handlers are interrupted.</summary>
    internal Exception? Interruption { get; set; }

    /// <summary>Gets the request's record of saved files, settled by the request's answer; <see langword="null"/> outside a request.</summary>
    internal UploadSaveScope? Saves { get; init; }

    /// <summary>Gets or sets an antiforgery token still to be read from the form's first field.</summary>
    internal FormAntiforgeryCheck? PendingAntiforgery { get; set; }
}
