using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>
/// A file received in an upload: Django's <c>UploadedFile</c>. It implements <see cref="IFormFile"/>, so code
/// written for ASP.NET Core's form files keeps working. Its storage (memory, a temporary file, an object
/// store) is released when the request ends.
/// </summary>
public abstract class UploadedFile : IFormFile, IAsyncDisposable
{
    private Dictionary<string, string>? _checksums;

    /// <summary>The default chunk size of <see cref="ReadChunksAsync"/>: 64 KiB, as Django's <c>chunks()</c>.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    /// <summary>Creates an uploaded file from the header it arrived with.</summary>
    /// <param name="header">The file's header.</param>
    /// <param name="length">The file's length in bytes.</param>
    protected UploadedFile(UploadFileHeader header, long length)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Header = header;
        Length = length;
    }

    /// <summary>Gets the header the file arrived with.</summary>
    public UploadFileHeader Header { get; }

    /// <summary>Gets the form field the file was sent in.</summary>
    public string FieldName => Header.FieldName;

    /// <summary>Gets the form field the file was sent in (<see cref="IFormFile"/>'s name for <see cref="FieldName"/>).</summary>
    string IFormFile.Name => Header.FieldName;

    /// <summary>Gets the sanitised file name.</summary>
    public string FileName => Header.FileName;

    /// <summary>Gets the declared media type, without parameters.</summary>
    public string ContentType => Header.ContentType;

    /// <summary>Gets the <c>charset</c> parameter of the declared media type, if any.</summary>
    public string? Charset => Header.Charset;

    /// <summary>Gets every parameter of the declared media type, <c>charset</c> included.</summary>
    public IReadOnlyDictionary<string, string> ContentTypeParameters => Header.ContentTypeParameters;

    /// <summary>Gets the file's length in bytes, as received (never as declared).</summary>
    public long Length { get; }

    /// <summary>Gets the headers the file arrived with.</summary>
    public IHeaderDictionary Headers => Header.Headers;

    /// <summary>Gets the raw <c>Content-Disposition</c> header the file arrived with.</summary>
    public string ContentDisposition => Header.Headers.ContentDisposition.ToString();

    /// <summary>Gets the path of the temporary file holding the bytes, or <see langword="null"/> if there is none.</summary>
    public virtual string? TemporaryFilePath => null;

    /// <summary>
    /// Gets checksums computed while the file streamed, by algorithm name (<c>sha256</c>, <c>md5</c>,
    /// <c>crc32c</c>), each as lower-case hexadecimal. Empty unless a checksum handler ran.
    /// </summary>
    public IDictionary<string, string> Checksums => _checksums ??= new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the request's record of saved files, which deletes them if the request fails.</summary>
    internal UploadSaveScope? SaveScope { get; set; }

    /// <summary>Opens the file's content for reading. Each call returns a new stream positioned at the start.</summary>
    /// <returns>A readable stream; dispose it when done.</returns>
    public abstract Stream OpenReadStream();

    /// <summary>
    /// Opens the file's content for reading without blocking: prefer it to <see cref="OpenReadStream"/>, which waits
    /// for the storage where the content is in one. Each call returns a new stream positioned at the start.
    /// </summary>
    /// <param name="cancellationToken">Cancels opening the content.</param>
    /// <returns>A readable stream; dispose it when done.</returns>
    public virtual Task<Stream> OpenReadStreamAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(OpenReadStream());
    }

    /// <summary>Django's <c>chunks()</c>: reads the content in chunks of at most <paramref name="chunkSize"/> bytes.</summary>
    /// <param name="chunkSize">The largest chunk to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The chunks in order. Each is valid until the next one is requested.</returns>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(
        int chunkSize = DefaultChunkSize, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkSize);
        var buffer = new byte[(int)Math.Min(chunkSize, Math.Max(Length, 1))];
        var stream = await OpenReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                yield return buffer.AsMemory(0, read);
            }
        }
    }

    /// <summary>Copies the content to <paramref name="target"/>.</summary>
    /// <param name="target">The stream to write to.</param>
    public void CopyTo(Stream target)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var stream = OpenReadStream();
        stream.CopyTo(target);
    }

    /// <summary>Copies the content to <paramref name="target"/>.</summary>
    /// <param name="target">The stream to write to.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>A task that completes when the content is copied.</returns>
    public async Task CopyToAsync(Stream target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var stream = await OpenReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Saves the file into <paramref name="storage"/> (Django's <c>storage.save(name, file)</c>), with its checksums and
    /// a content type the server decides: the stored name's extension's, else the content signature's, else
    /// <c>application/octet-stream</c>. The client's declared type is stored only where the endpoint trusts it
    /// (<see cref="UploadOptions.StoreClientContentType"/>). Active content (HTML, SVG, XML, JavaScript) is stored as an
    /// attachment (<see cref="StoredContentTypes"/>). A file in a temporary file is moved, not copied, when the storage is a
    /// <see cref="FileSystemStorage"/>; it can then no longer be read through this object.
    /// </summary>
    /// <remarks>
    /// A file of a request's upload that is saved while the request runs is deleted again if the request then fails:
    /// answered with an error status (400 and above, a rejection by UploadKit or the endpoint's own), or not answered
    /// at all (an unhandled exception). Once the app has recorded the saved name somewhere that outlives the request,
    /// <see cref="UploadForm.KeepSavedFiles"/> keeps the files whatever the answer.
    /// </remarks>
    /// <param name="storage">Where the file goes.</param>
    /// <param name="name">The wanted name; <see langword="null"/> for the file's name made safe by
    /// <see cref="FileStorageNames.GetValidName"/>.</param>
    /// <param name="cancellationToken">Cancels the save, which then leaves nothing behind.</param>
    /// <returns>The name actually used, which differs from the wanted one when that was taken.</returns>
    /// <exception cref="SuspiciousFileNameException">The name escapes the storage or is not valid.</exception>
    public Task<string> SaveAsync(IFileStorage storage, string? name = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        name ??= FileStorageNames.GetValidName(FileName);
        var options = new FileSaveOptions
        {
            ContentType = StoreClientContentType && !string.IsNullOrEmpty(ContentType) ? ContentType : null,
            Length = Length,
        };
        if (_checksums is { Count: > 0 } checksums)
        {
            foreach (var (algorithm, value) in checksums)
            {
                options.Checksums[algorithm] = value;
            }
        }

        return SaveRecordedAsync(storage, name, options, cancellationToken);
    }

    /// <summary>Gets or sets whether <see cref="SaveAsync"/> stores the client's declared type (the endpoint's
    /// <see cref="UploadOptions.StoreClientContentType"/>).</summary>
    internal bool StoreClientContentType { get; set; }

    /// <summary>Saves, and records the save in the request's scope so that a failed request deletes it again.</summary>
    /// <remarks>A save that completes at once (a small file in memory, written by one system call) takes no state machine.</remarks>
    private Task<string> SaveRecordedAsync(IFileStorage storage, string name, FileSaveOptions options, CancellationToken cancellationToken)
    {
        if (options.ContentType is null && StoredContentTypes.FromName(name) == StoredContentTypes.Unknown)
        {
            // A name whose extension says nothing: the content's signature gives the type, else application/octet-stream.
            Span<byte> head = stackalloc byte[FileSignatures.HeadLength];
            if (!TryReadHead(head, out var read))
            {
                return SaveWithSniffedTypeAsync(storage, name, options, cancellationToken);
            }

            options.ContentType = SniffedType(head[..read]);
        }

        Task<string> saving;
        try
        {
            saving = SaveCoreAsync(storage, name, options, cancellationToken);
        }
#pragma warning disable CA1031 // Not swallowed: handed to the caller in the task, as an async method does.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return Task.FromException<string>(ex);
        }

        if (saving.IsCompletedSuccessfully)
        {
            SaveScope?.Saved(this, storage, saving.Result);
            return saving;
        }

        return RecordAsync(saving, storage);
    }

    private async Task<string> RecordAsync(Task<string> saving, IFileStorage storage)
    {
        var saved = await saving.ConfigureAwait(false);
        SaveScope?.Saved(this, storage, saved);
        return saved;
    }

    /// <summary>
    /// Copies the content's first bytes into <paramref name="head"/> where they can be had without a stream (a file held
    /// in memory); otherwise <see langword="false"/>, and the caller reads them through <see cref="OpenReadStreamAsync"/>.
    /// </summary>
    private protected virtual bool TryReadHead(Span<byte> head, out int read)
    {
        read = 0;
        return false;
    }

    private static string SniffedType(ReadOnlySpan<byte> head) => StoredContentTypes.FromSignature(head) ?? StoredContentTypes.Unknown;

    /// <summary>The sniffing save of a file whose bytes are read through a stream.</summary>
    private async Task<string> SaveWithSniffedTypeAsync(
        IFileStorage storage, string name, FileSaveOptions options, CancellationToken cancellationToken)
    {
        var head = new byte[FileSignatures.HeadLength];
        var read = 0;
        var stream = await OpenReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            read = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        }

        options.ContentType = SniffedType(head.AsSpan(0, read));
        var saved = await SaveCoreAsync(storage, name, options, cancellationToken).ConfigureAwait(false);
        SaveScope?.Saved(this, storage, saved);
        return saved;
    }

    private protected virtual async Task<string> SaveCoreAsync(
        IFileStorage storage, string name, FileSaveOptions options, CancellationToken cancellationToken)
    {
        if (this is TemporaryUploadedFile temporary && temporary.TemporaryFilePath is not null && storage is ILocalFileStorage local)
        {
            return await local.SaveByMovingAsync(name, path => temporary.MoveTo(path), options, cancellationToken).ConfigureAwait(false);
        }

        var content = await OpenReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            return await storage.SaveAsync(name, content, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases what holds the content (pooled memory, a temporary file). Called when the request ends.</summary>
    /// <returns>A task that completes when the content is released.</returns>
    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return DisposeAsyncCore();
    }

    /// <summary>Releases what holds the content. Overrides must be safe to call more than once.</summary>
    /// <returns>A task that completes when the content is released.</returns>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;
}
