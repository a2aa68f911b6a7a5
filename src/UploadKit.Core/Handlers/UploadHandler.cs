namespace UploadKit;

/// <summary>
/// One link of the upload-handler chain: Django's <c>FileUploadHandler</c>, in async form.
/// </summary>
/// <remarks>
/// <para>
/// A request body is read once, in chunks, and every chunk of a file flows through the request's
/// handlers in order. A handler sees a file start (<see cref="NewFileAsync"/>), its chunks
/// (<see cref="ReceiveChunkAsync"/>) and its end (<see cref="FileCompleteAsync"/>); then the whole
/// upload's end (<see cref="UploadCompleteAsync"/>) or its interruption (<see cref="UploadInterruptedAsync"/>).
/// Instances are created per request, so a handler may keep per-file state in fields.
/// </para>
/// <para>
/// <b>Chunk lifetime.</b> The memory passed to <see cref="ReceiveChunkAsync"/> points into the request
/// pipe's own buffers and is valid only until the task returned by that call completes. A handler that
/// keeps bytes must copy them. This is what lets the chain run at the speed of a raw body copy.
/// </para>
/// <para>
/// <b>Control signals</b> follow Django: throw <see cref="StopFutureHandlersException"/> from
/// <see cref="NewFileAsync"/> to keep the file from later handlers, <see cref="SkipFileException"/> to
/// ignore the file, <see cref="StopUploadException"/> to stop reading, and
/// <see cref="UploadRejectedException"/> to fail the request with a status code.
/// </para>
/// </remarks>
public abstract class UploadHandler
{
    private UploadRequestContext? _context;

    /// <summary>
    /// Gets the request being read. Available from the first hook on (Django's <c>self.request</c>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The handler is not attached to a request yet.</exception>
    protected UploadRequestContext Context =>
        _context ?? throw new InvalidOperationException("The handler is not attached to an upload yet.");

    internal void Attach(UploadRequestContext context) => _context = context;

    /// <summary>
    /// Django's <c>handle_raw_input</c>: called on every handler before the body is parsed. Return a form
    /// to take over the whole body; parsing is then skipped and the form is the result. The default
    /// returns <see langword="null"/>.
    /// </summary>
    /// <param name="context">The request being read.</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>A form to end parsing with, or <see langword="null"/> to let parsing run.</returns>
    public virtual ValueTask<UploadForm?> HandleRawInputAsync(UploadRequestContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<UploadForm?>(null);

    /// <summary>Django's <c>new_file</c>: a file part starts.</summary>
    /// <param name="file">The file's field name, sanitised file name, content type and declared length.</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>A task that completes when the handler is ready for the file's chunks.</returns>
    public virtual ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Django's <c>receive_data_chunk</c>: bytes of the current file. Return the bytes to pass on to the
    /// next handler (usually <paramref name="chunk"/> itself), or <see langword="null"/> to stop them here.
    /// </summary>
    /// <param name="chunk">File bytes, valid only until the returned task completes.</param>
    /// <param name="offset">The position of <paramref name="chunk"/> within the file.</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>
    /// The bytes to pass on, or <see langword="null"/>. Returned bytes are taken to end where
    /// <paramref name="chunk"/> ends, so a handler that held bytes back may return them together with the
    /// chunk as one block; they must stay valid until the next call on this handler.
    /// </returns>
    public abstract ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken);

    /// <summary>
    /// Django's <c>file_complete</c>: the current file ended after <paramref name="size"/> bytes. The first
    /// handler to return a file wins; later handlers are not asked.
    /// </summary>
    /// <param name="size">The file's length in bytes.</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>The uploaded file, or <see langword="null"/> if this handler did not keep it.</returns>
    public virtual ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken) =>
        ValueTask.FromResult<UploadedFile?>(null);

    /// <summary>
    /// The current file was skipped, or another handler's result won it: release whatever this handler
    /// holds for it. The default does nothing.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>A task that completes when the file's resources are released.</returns>
    public virtual ValueTask FileSkippedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Django's <c>upload_complete</c>: the whole body was read successfully.</summary>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>A task that completes when the handler has finished.</returns>
    public virtual ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Django's <c>upload_interrupted</c>: reading failed (malformed body, exceeded limit, rejection,
    /// client disconnect). Remove what this handler wrote: temp files, partial objects, reservations.
    /// Called without a cancellable token, because cleanup must run even for an aborted request.
    /// </summary>
    /// <param name="cancellationToken">A token that is not cancelled by the request's abort.</param>
    /// <returns>A task that completes when cleanup is done.</returns>
    public virtual ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
