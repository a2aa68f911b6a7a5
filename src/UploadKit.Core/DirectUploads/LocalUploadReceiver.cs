using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UploadKit.Pipeline;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>A signed <c>PUT</c> of a local direct upload, as the edge read it off the request.</summary>
/// <param name="Id">The session id from the route.</param>
/// <param name="Expires">The URL's <c>expires</c> query value.</param>
/// <param name="Max">The URL's <c>max</c> query value.</param>
/// <param name="Signature">The URL's <c>sig</c> query value.</param>
/// <param name="ContentType">The request's <c>Content-Type</c>.</param>
/// <param name="ContentLength">The request's <c>Content-Length</c>, or <see langword="null"/> for a chunked body.</param>
/// <param name="Services">The request's services, which the app's handler factories take.</param>
internal sealed record LocalUploadRequest(
    string Id, string? Expires, string? Max, string? Signature, string? ContentType, long? ContentLength, IServiceProvider Services)
{
    /// <summary>Gets what to call once the upload is accepted, before its body is read: the signed maximum then replaces the server's own request
    /// size limit.</summary>
    public Action? AcceptBody { get; init; }
}

/// <summary>What the edge needs to build the request context of a local direct upload's handler chain.</summary>
/// <param name="OwnerId">The owner of the session: the signed URL acts for them, so their quota counts the bytes.</param>
/// <param name="Options">The upload options in force.</param>
/// <param name="Handlers">The chain, in order.</param>
/// <param name="Saves">The record of what the upload stored, settled by the receiver.</param>
internal sealed record LocalUploadChain(string? OwnerId, UploadOptions Options, IReadOnlyList<UploadHandler> Handlers, UploadSaveScope Saves);

/// <summary>
/// Receives the signed <c>PUT</c> of a local direct upload (storages without presigned URLs of their own): checks the
/// signature, expiry, session, media type and size, then streams the body through the app-wide handler chain into the
/// session's object, so quota, progress and streaming validators see it as they see any upload. A refusal at any step
/// leaves nothing stored and no quota used.
/// </summary>
internal sealed class LocalUploadReceiver(
    IUploadSessionStore store,
    IStorageRegistry storages,
    LocalUploadSigner signer,
    TimeProvider time,
    IOptions<UploadOptions> uploadOptions,
    IOptions<UploadHandlerChainOptions> chain,
    ILogger<LocalUploadReceiver> logger)
{
    /// <summary>Receives the upload.</summary>
    /// <param name="request">The request, as the edge read it.</param>
    /// <param name="createContext">Builds the chain's request context (the edge's part).</param>
    /// <param name="cancellationToken">Cancelled when the request is aborted.</param>
    /// <returns>The number of bytes stored.</returns>
    /// <exception cref="UploadRejectedException">
    /// 403 for a missing, forged or expired signature; 409 when the session no longer takes a file or one was already
    /// uploaded; 413 once the body passes the signed maximum; 415 for another media type; and whatever the chain's
    /// handlers refuse with (a validator's 400, the quota's 413).
    /// </exception>
    public async Task<long> ReceiveAsync(
        LocalUploadRequest request, Func<LocalUploadChain, UploadRequestContext> createContext, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(createContext);
        var id = request.Id;
        if (!long.TryParse(request.Expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) ||
            !long.TryParse(request.Max, NumberStyles.None, CultureInfo.InvariantCulture, out var max) ||
            request.Signature is not { Length: > 0 } signature)
        {
            throw Refuse(id, StatusCodes.Status403Forbidden, "The upload URL is not signed.");
        }

        var session = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var contentType = session?.ContentType ?? string.Empty;
        if (session is null || !signer.Verify("PUT", id, session.ObjectName, expires, max, contentType, signature))
        {
            throw Refuse(id, StatusCodes.Status403Forbidden, "The upload URL's signature is not valid.");
        }

        if (time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            throw Refuse(id, StatusCodes.Status403Forbidden, "The upload URL has expired.");
        }

        if (session.State != UploadSessionState.Pending)
        {
            throw Refuse(id, StatusCodes.Status409Conflict, "The direct upload no longer accepts a file.");
        }

        if (contentType.Length > 0 &&
            DirectUploadService.NormalizeMediaType(request.ContentType) != DirectUploadService.NormalizeMediaType(contentType))
        {
            throw Refuse(id, StatusCodes.Status415UnsupportedMediaType, $"The upload must be sent with Content-Type '{contentType}'.");
        }

        if (request.ContentLength > max)
        {
            throw Refuse(id, StatusCodes.Status413PayloadTooLarge, TooLargeMessage(max));
        }

        var storage = storages[session.StorageName];
        if (await storage.ExistsAsync(session.ObjectName, cancellationToken).ConfigureAwait(false))
        {
            throw Refuse(id, StatusCodes.Status409Conflict, "The file has already been uploaded.");
        }

        request.AcceptBody?.Invoke();
        var storedType = contentType.Length > 0 ? contentType : request.ContentType;
        var saves = new UploadSaveScope(logger);
        var succeeded = false;
        try
        {
            var context = createContext(new LocalUploadChain(
                session.OwnerId, uploadOptions.Value, CreateChain(storage, session, storedType, request), saves));
            var header = new UploadFileHeader(
                string.IsNullOrEmpty(session.FieldName) ? FileValidation.DefaultField : session.FieldName,
                FileNameSanitizer.Sanitize(session.FileName) ?? session.ObjectName[(session.ObjectName.LastIndexOf('/') + 1)..],
                storedType ?? string.Empty)
            {
                DeclaredLength = request.ContentLength,
            };
            UploadForm form;
            try
            {
                form = await UploadReader.ReadFileAsync(
                    context,
                    header,
                    max,
                    () => Rejection(StatusCodes.Status413PayloadTooLarge, TooLargeMessage(max)),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (UploadRejectedException ex)
            {
                logger.LocalUploadRefused(id, ex.Message);
                throw;
            }

            var length = await KeepAsync(form, storage, session).ConfigureAwait(false);
            succeeded = true;
            logger.LocalUploadReceived(id, session.StorageName, length);
            return length;
        }
        finally
        {
            // A refusal after the chain completed gives back the quota it counted; the object is already deleted.
            await saves.SettleAsync(succeeded).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The app-wide chain, with the session's object in the place of its first built-in handler that keeps files
    /// (memory, temporary file, storage streaming); the other keeping handlers are left out. Handlers before it
    /// (validators, checksums, quota, progress) see every byte, as they do in any upload.
    /// </summary>
    private List<UploadHandler> CreateChain(IFileStorage storage, UploadSession session, string? contentType, LocalUploadRequest request)
    {
        var writer = new StorageStreamingHandler(storage, _ => session.ObjectName)
        {
            SaveOptions = new FileSaveOptions { ContentType = contentType, Overwrite = false, Length = request.ContentLength },
        };
        var handlers = new List<UploadHandler>();
        foreach (var factory in chain.Value.Factories)
        {
            var handler = factory(request.Services);
            if (handler is MemoryUploadHandler or TemporaryFileUploadHandler or StorageStreamingHandler)
            {
                if (!handlers.Contains(writer))
                {
                    handlers.Add(writer);
                }

                continue;
            }

            handlers.Add(handler);
        }

        if (!handlers.Contains(writer))
        {
            handlers.Add(writer);
        }

        return handlers;
    }

    /// <summary>Keeps the object the chain stored, if it is the session's and the session still waits for it; otherwise deletes it and
    /// refuses.</summary>
    private async Task<long> KeepAsync(UploadForm form, IFileStorage storage, UploadSession session)
    {
        if (form.Files is not [StoredUploadedFile stored] || !ReferenceEquals(stored.Storage, storage))
        {
            await form.DisposeAsync().ConfigureAwait(false);
            throw Refuse(session.Id, StatusCodes.Status400BadRequest, "The file was not accepted.");
        }

        if (!string.Equals(stored.StoredName, session.ObjectName, StringComparison.Ordinal))
        {
            // Another upload to the same URL won the race: keep its file, drop this one.
            await form.DisposeAsync().ConfigureAwait(false);
            throw Refuse(session.Id, StatusCodes.Status409Conflict, "The file has already been uploaded.");
        }

        // A slow upload may end after the session was swept or cancelled: then nothing may stay behind.
        if ((await store.GetAsync(session.Id, CancellationToken.None).ConfigureAwait(false))?.State != UploadSessionState.Pending)
        {
            await form.DisposeAsync().ConfigureAwait(false);
            throw Refuse(session.Id, StatusCodes.Status409Conflict, "The direct upload ended while the file was being received.");
        }

        stored.Keep();
        return stored.Length;
    }

    private static string TooLargeMessage(long max) => $"The upload is larger than {ByteSize.Format(max)}, the most this upload URL allows.";

    private static UploadRejectedException Rejection(int statusCode, string detail) => new(statusCode, detail) { Title = "Upload refused" };

    private UploadRejectedException Refuse(string id, int statusCode, string detail)
    {
        logger.LocalUploadRefused(id, detail);
        return Rejection(statusCode, detail);
    }
}
