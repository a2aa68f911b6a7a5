using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using UploadKit.Diagnostics;

namespace UploadKit.Pipeline;

/// <summary>
/// Reads one request through its handler chain: Django's <c>MultiPartParser</c> driving
/// <c>FILE_UPLOAD_HANDLERS</c>. Each chunk of a file visits the handlers in order until one stops it; the
/// first handler to return a file from <see cref="UploadHandler.FileCompleteAsync"/> wins it. Any failure
/// interrupts every handler and releases every file already read, so nothing is left behind.
/// </summary>
internal sealed class UploadReader : IMultipartSink
{
    private static readonly string[] RawBodyFileHeaders =
        [HeaderNames.ContentType, HeaderNames.ContentDisposition, HeaderNames.ContentLength, "Content-Digest", "Repr-Digest", "Content-MD5"];

    private readonly UploadRequestContext _context;
    private readonly IReadOnlyList<UploadHandler> _handlers;
    private readonly UploadOptions _options;
    private readonly Dictionary<string, StringValues> _fields = new(StringComparer.Ordinal);

    // Multipart fields collect here: a name repeated n times costs n, not n² as concatenating StringValues would.
    private readonly Dictionary<string, List<string>> _partFields = new(StringComparer.Ordinal);
    private readonly List<UploadedFile> _files = [];
    private int _active;
    private bool _inFile;
    private bool _skipping;
    private long _offset;

    private UploadReader(UploadRequestContext context)
    {
        _context = context;
        _handlers = context.Handlers;
        _options = context.Options;
    }

    public static Task<UploadForm> ReadAsync(UploadRequestContext context, CancellationToken cancellationToken) =>
        RunChainAsync(context, reader => reader.RunAsync(cancellationToken), cancellationToken);

    /// <summary>
    /// Reads a body that is one file whose header the caller already knows (a signed direct upload) through the chain:
    /// no handler may take the body over, and the body is refused with <paramref name="tooLarge"/> the moment it
    /// passes <paramref name="maxLength"/> bytes.
    /// </summary>
    public static Task<UploadForm> ReadFileAsync(
        UploadRequestContext context,
        UploadFileHeader header,
        long maxLength,
        Func<Exception> tooLarge,
        CancellationToken cancellationToken) =>
        RunChainAsync(
            context,
            async reader =>
            {
                try
                {
                    await reader.ReadFileBodyAsync(header, context.Body, maxLength, tooLarge, cancellationToken).ConfigureAwait(false);
                }
                catch (StopUploadException)
                {
                    // As in any upload: the file in progress is dropped, and the caller finds no file.
                    await reader.AbandonFileAsync(reader._active, CancellationToken.None).ConfigureAwait(false);
                }

                return new UploadForm(reader._fields, reader._files);
            },
            cancellationToken);

    private static async Task<UploadForm> RunChainAsync(
        UploadRequestContext context, Func<UploadReader, Task<UploadForm>> run, CancellationToken cancellationToken)
    {
        var reader = new UploadReader(context);
        context.SegmentedSpill = true;
        // Indexed loops: a foreach over the read-only list would box its enumerator on every request.
        var handlers = context.Handlers;
        for (var i = 0; i < handlers.Count; i++)
        {
            handlers[i].Attach(context);
        }

        var logger = context.Services?.GetService<ILoggerFactory>()?.CreateLogger(UploadLog.UploadCategory) ?? NullLogger.Instance;
        var started = Stopwatch.GetTimestamp();
        using var activity = UploadKitTelemetry.ActivitySource.StartActivity(UploadKitTelemetry.UploadActivityName, ActivityKind.Internal);
        UploadKitTelemetry.UploadsStarted.Add(1);
        logger.UploadStarted(context.ContentLength);
        try
        {
            var form = await run(reader).ConfigureAwait(false);
            for (var i = 0; i < handlers.Count; i++)
            {
                await handlers[i].UploadCompleteAsync(cancellationToken).ConfigureAwait(false);
            }

            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            UploadKitTelemetry.UploadsCompleted.Add(1);
            UploadKitTelemetry.UploadDuration.Record(seconds, new KeyValuePair<string, object?>(UploadKitTelemetry.OutcomeTag, "completed"));
            activity?.SetTag("uploadkit.upload.file_count", form.Files.Count);
            logger.UploadCompleted(form.Files.Count, seconds);
            return form;
        }
        catch (Exception ex)
        {
            var translated = Translate(ex);
            context.Interruption = translated;
            // Cleanup logs its own failures and never replaces why the upload ended: a refusal stays the client's 4xx.
            await reader.InterruptAsync(logger).ConfigureAwait(false);
            Record(translated, Stopwatch.GetElapsedTime(started).TotalSeconds, activity, logger);

            if (ReferenceEquals(translated, ex))
            {
                ExceptionDispatchInfo.Throw(ex);
            }

            throw translated;
        }
    }

    private static void Record(Exception exception, double seconds, Activity? activity, ILogger logger)
    {
        if (exception is UploadRejectedException rejected)
        {
            var status = new KeyValuePair<string, object?>(UploadKitTelemetry.StatusCodeTag, rejected.StatusCode);
            UploadKitTelemetry.UploadsRejected.Add(1, status);
            UploadKitTelemetry.UploadDuration.Record(seconds, new KeyValuePair<string, object?>(UploadKitTelemetry.OutcomeTag, "rejected"), status);
            activity?.SetTag(UploadKitTelemetry.StatusCodeTag, rejected.StatusCode);
            activity?.SetStatus(ActivityStatusCode.Error, rejected.Message);
            logger.UploadRejected(rejected.StatusCode, rejected.Message);
        }
        else
        {
            UploadKitTelemetry.UploadsFailed.Add(1);
            UploadKitTelemetry.UploadDuration.Record(seconds, new KeyValuePair<string, object?>(UploadKitTelemetry.OutcomeTag, "failed"));
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            logger.UploadFailed(exception);
        }
    }

    private async Task<UploadForm> RunAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _handlers.Count; i++)
        {
            var taken = await _handlers[i].HandleRawInputAsync(_context, cancellationToken).ConfigureAwait(false);
            if (taken is not null)
            {
                return taken;
            }
        }

        try
        {
            await ReadBodyAsync(cancellationToken).ConfigureAwait(false);
            if (_context.PendingFormToken is { } antiforgery)
            {
                throw antiforgery.Missing();
            }
        }
        catch (StopUploadException)
        {
            // Django's StopUpload: keep what is complete, drop the file in progress, read no further.
            await AbandonFileAsync(_active, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var (name, values) in _partFields)
        {
            _fields[name] = values.Count == 1 ? new StringValues(values[0]) : new StringValues([.. values]);
        }

        return new UploadForm(_fields, _files);
    }

    private async Task ReadBodyAsync(CancellationToken cancellationToken)
    {
        var contentType = _context.ContentType;
        if (_context.ContentLength > _options.MaxRequestBodySize)
        {
            throw UploadLimits.RequestBodyTooLarge(_options.MaxRequestBodySize);
        }

        if (contentType is null)
        {
            if (_context.ContentLength is 0 || (_context.ContentLength is null && !_context.Headers.ContainsKey(HeaderNames.TransferEncoding)))
            {
                return;
            }

            throw UploadRejectedException.UnsupportedMediaType("The request has a body but no Content-Type.");
        }

        if (contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            var boundary = MultipartParser.GetBoundary(contentType)
                ?? throw UploadRejectedException.BadRequest("A multipart/form-data request needs a boundary parameter of 1 to 70 characters.");
            var parser = new MultipartParser(_context.Body, boundary, _options);
            try
            {
                await parser.ParseAsync(this, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                parser.ReleaseAfterFailure();
                throw;
            }
        }
        else if (contentType.MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            throw UploadRejectedException.UnsupportedMediaType($"'{contentType.MediaType}' is not supported; send multipart/form-data.");
        }
        else if (contentType.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            await ReadUrlEncodedAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ReadRawAsync(contentType, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A raw body (DRF's <c>FileUploadParser</c>): one file named by the route or <c>Content-Disposition</c>.</summary>
    private async Task ReadRawAsync(MediaTypeHeaderValue contentType, CancellationToken cancellationToken)
    {
        var fieldName = "file";
        string? rawName = _context.RouteValues.TryGetValue("filename", out var routeName) ? routeName as string : null;
        if (_context.Headers.TryGetValue(HeaderNames.ContentDisposition, out var dispositionValue)
            && ContentDispositionHeaderValue.TryParse(dispositionValue.ToString(), out var disposition))
        {
            rawName ??= HeaderParameters.Get(disposition.Parameters, "filename");
            fieldName = HeaderParameters.Get(disposition.Parameters, "name") ?? fieldName;
        }

        var fileName = FileNameSanitizer.Sanitize(rawName)
            ?? throw UploadRejectedException.BadRequest("Missing filename. Request should include a " +
                "Content-Disposition header with a filename parameter.");

        // The file's own headers only: never the request's cookies or credentials.
        var headers = new HeaderDictionary();
        foreach (var name in RawBodyFileHeaders)
        {
            if (_context.Headers.TryGetValue(name, out var value))
            {
                headers[name] = value;
            }
        }

        if (_options.MaxFileCount < 1)
        {
            throw UploadLimits.TooManyFiles(_options.MaxFileCount);
        }

        var fileHeader = MultipartParser.CreateFileHeader(fieldName, fileName, headers);
        await ReadFileBodyAsync(
            fileHeader,
            _context.Body,
            _options.MaxRequestBodySize,
            () => UploadLimits.RequestBodyTooLarge(_options.MaxRequestBodySize),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands a body that is one file to the chain, refusing it with <paramref name="tooLarge"/> once it passes <paramref name="limit"/>
    /// bytes (<see langword="null"/>: no limit).</summary>
    private async Task ReadFileBodyAsync(
        UploadFileHeader fileHeader, PipeReader body, long? limit, Func<Exception> tooLarge, CancellationToken cancellationToken)
    {
        var accepted = await OnFileStartAsync(fileHeader, cancellationToken).ConfigureAwait(false);
        long length = 0;
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            try
            {
                length += buffer.Length;
                if (length > limit)
                {
                    throw tooLarge();
                }

                if (accepted)
                {
                    foreach (var segment in buffer)
                    {
                        if (!segment.IsEmpty)
                        {
                            await OnFileChunkAsync(segment, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }
            catch
            {
                // End the read so the server can still drain or close the body.
                body.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }

            body.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        if (accepted)
        {
            await OnFileEndAsync(length, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadUrlEncodedAsync(CancellationToken cancellationToken)
    {
        var limit = (int)Math.Min(_options.MaxFieldsSize, int.MaxValue);
        if (_context.ContentLength > _options.MaxFieldsSize)
        {
            throw UploadLimits.FieldsTooLarge(_options.MaxFieldsSize);
        }

        // A chunked body has no Content-Length to check up front: the limit applies to the bytes as they arrive.
        var body = new LengthLimitedPipeReader(_context.Body, _options.MaxFieldsSize, () => UploadLimits.FieldsTooLarge(_options.MaxFieldsSize));
        var reader = new FormPipeReader(body, Encoding.UTF8)
        {
            ValueCountLimit = _options.MaxFieldCount,
            KeyLengthLimit = limit,
            ValueLengthLimit = limit,
        };
        Dictionary<string, StringValues> form;
        try
        {
            form = await reader.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            // FormPipeReader's own limits: the field count ("Form value count limit ... exceeded"), else a key's or
            // value's length, which is at most MaxFieldsSize.
            throw ex.Message.Contains("count", StringComparison.OrdinalIgnoreCase)
                ? UploadLimits.TooManyFields(_options.MaxFieldCount)
                : UploadLimits.FieldsTooLarge(_options.MaxFieldsSize);
        }

        long size = 0;
        foreach (var (key, values) in form)
        {
            size += Encoding.UTF8.GetByteCount(key);
            foreach (var value in values)
            {
                size += Encoding.UTF8.GetByteCount(value ?? string.Empty);
            }

            _fields[key] = values;
        }

        if (_context.PendingFormToken is { } antiforgery)
        {
            // No file can precede it in a urlencoded form: the whole form is fields, bounded by MaxFieldsSize.
            await antiforgery.ValidateAsync(_fields.TryGetValue(antiforgery.FieldName, out var token)
                ? token.ToString()
                : string.Empty).ConfigureAwait(false);
            _context.PendingFormToken = null;
        }

        if (size > _options.MaxFieldsSize)
        {
            throw UploadLimits.FieldsTooLarge(_options.MaxFieldsSize);
        }
    }

    public async ValueTask OnFieldAsync(string name, string value, CancellationToken cancellationToken)
    {
        if (_context.PendingFormToken is { } antiforgery)
        {
            if (!string.Equals(name, antiforgery.FieldName, StringComparison.Ordinal))
            {
                throw antiforgery.Missing();
            }

            await antiforgery.ValidateAsync(value).ConfigureAwait(false);
            _context.PendingFormToken = null;
        }

        if (!_partFields.TryGetValue(name, out var values))
        {
            _partFields[name] = values = [];
        }

        values.Add(value);
    }

    public async ValueTask<bool> OnFileStartAsync(UploadFileHeader header, CancellationToken cancellationToken)
    {
        if (_context.PendingFormToken is { } antiforgery)
        {
            throw antiforgery.Missing();
        }

        // Every name a storage derives from the client's (Django's get_valid_name) is valid; one from which nothing can
        // be derived, such as "()", is refused here, before any handler or endpoint sees the file.
        if (FileStorageNames.TryGetValidName(header.FileName) is null)
        {
            throw FileValidation.Reject(header, [$"The file name '{header.FileName}' has no letter, digit, '-', '_' or '.' to store it under."]);
        }

        _context.CurrentFile = header;
        _context.CurrentFileChecksums.Clear();
        _offset = 0;
        _skipping = false;
        _inFile = true;
        _active = _handlers.Count;
        for (var i = 0; i < _handlers.Count; i++)
        {
            try
            {
                await _handlers[i].NewFileAsync(header, cancellationToken).ConfigureAwait(false);
            }
            catch (StopFutureHandlersException)
            {
                _active = i + 1;
                break;
            }
            catch (SkipFileException)
            {
                await AbandonFileAsync(i + 1, cancellationToken).ConfigureAwait(false);
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Hands a chunk down the chain. Handlers usually finish at once, so the loop runs synchronously and only falls
    /// back to an async continuation at the first handler that has to wait (a temp-file write, a storage upload).
    /// </summary>
    public ValueTask OnFileChunkAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        if (_skipping)
        {
            return ValueTask.CompletedTask;
        }

        var end = _offset + chunk.Length;
        _offset = end;
        var data = chunk;
        for (var i = 0; i < _active; i++)
        {
            ValueTask<ReadOnlyMemory<byte>?> pending;
            try
            {
                pending = _handlers[i].ReceiveChunkAsync(data, end - data.Length, cancellationToken);
                if (pending.IsCompletedSuccessfully)
                {
                    if (pending.Result is not { } next)
                    {
                        return ValueTask.CompletedTask;
                    }

                    if (_handlers[i] is MemoryUploadHandler memory && memory.TakeSpill() is { } spilled)
                    {
                        return PassSpillAsync(spilled, next, i + 1, end, cancellationToken);
                    }

                    data = next;
                    continue;
                }
            }
            catch (SkipFileException)
            {
                return SkipCurrentFileAsync(cancellationToken);
            }

            return PassFromAsync(data, i, end, cancellationToken, pending);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// A memory handler spilled: the bytes it held go to the handlers after it block by block, then the chunk that
    /// crossed its limit, as if each had been a chunk of its own. Nothing is copied into one large block.
    /// </summary>
    private async ValueTask PassSpillAsync(
        MemoryBlockBuffer spilled, ReadOnlyMemory<byte> chunk, int from, long end, CancellationToken cancellationToken)
    {
        try
        {
            var position = end - chunk.Length - spilled.Length;
            for (var i = 0; i < spilled.BlockCount; i++)
            {
                var block = spilled.Block(i);
                position += block.Length;
                await PassFromAsync(block, from, position, cancellationToken).ConfigureAwait(false);
                if (_skipping)
                {
                    return;
                }
            }
        }
        finally
        {
            spilled.Release();
        }

        await PassFromAsync(chunk, from, end, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands <paramref name="data"/> to the handlers from <paramref name="from"/> on, asynchronously; where handler
    /// <paramref name="from"/> already has the chunk, its call is <paramref name="pending"/>.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask PassFromAsync(
        ReadOnlyMemory<byte> data, int from, long end, CancellationToken cancellationToken, ValueTask<ReadOnlyMemory<byte>?>? pending = null)
    {
        for (var i = from; i < _active; i++)
        {
            ReadOnlyMemory<byte>? passed;
            try
            {
                passed = await (i == from && pending is { } first
                    ? first
                    : _handlers[i].ReceiveChunkAsync(data, end - data.Length, cancellationToken)).ConfigureAwait(false);
            }
            catch (SkipFileException)
            {
                await SkipCurrentFileAsync(cancellationToken).ConfigureAwait(false);
                return;
            }

            if (passed is not { } next)
            {
                return;
            }

            if (_handlers[i] is MemoryUploadHandler memory && memory.TakeSpill() is { } spilled)
            {
                await PassSpillAsync(spilled, next, i + 1, end, cancellationToken).ConfigureAwait(false);
                return;
            }

            data = next;
        }
    }

    private async ValueTask SkipCurrentFileAsync(CancellationToken cancellationToken)
    {
        await AbandonFileAsync(_active, cancellationToken).ConfigureAwait(false);
        _skipping = true;
    }

    public async ValueTask OnFileEndAsync(long length, CancellationToken cancellationToken)
    {
        UploadKitTelemetry.BytesReceived.Add(length);
        if (_skipping)
        {
            _skipping = false;
            return;
        }

        UploadedFile? file = null;
        var winner = _active;
        for (var i = 0; i < _active; i++)
        {
            file = await _handlers[i].FileCompleteAsync(length, cancellationToken).ConfigureAwait(false);
            if (file is not null)
            {
                winner = i;
                _files.Add(file);
                break;
            }
        }

        for (var i = winner + 1; i < _active; i++)
        {
            await _handlers[i].FileSkippedAsync(cancellationToken).ConfigureAwait(false);
        }

        if (file is not null)
        {
            file.StoreClientContentType = _options.StoreClientContentType;
            foreach (var (algorithm, digest) in _context.CurrentFileChecksums)
            {
                file.Checksums[algorithm] = digest;
            }
        }

        _inFile = false;
        _context.CurrentFile = null;
    }

    /// <summary>Tells the first <paramref name="count"/> handlers that the current file is dropped.</summary>
    private async ValueTask AbandonFileAsync(int count, CancellationToken cancellationToken)
    {
        if (!_inFile)
        {
            return;
        }

        _inFile = false;
        for (var i = 0; i < count; i++)
        {
            await _handlers[i].FileSkippedAsync(cancellationToken).ConfigureAwait(false);
        }

        _context.CurrentFile = null;
    }

    /// <summary>
    /// Tells every handler the upload was interrupted and releases the files read so far. Every step runs whatever the
    /// others do; a step that fails is logged, not thrown, so the interruption's own reason is what the client hears.
    /// </summary>
    private async ValueTask InterruptAsync(ILogger logger)
    {
        foreach (var handler in _handlers)
        {
            await CleanUpAsync(handler.GetType().Name, () => handler.UploadInterruptedAsync(CancellationToken.None), logger).ConfigureAwait(false);
        }

        foreach (var file in _files)
        {
            await CleanUpAsync(file.GetType().Name, file.DisposeAsync, logger).ConfigureAwait(false);
        }

        _files.Clear();
        _context.CurrentFile = null;
    }

    /// <summary>Runs one cleanup step; a failure is logged and the upload's own outcome stands.</summary>
    private static async ValueTask CleanUpAsync(string what, Func<ValueTask> step, ILogger logger)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every step is attempted; the client hears the upload's outcome, not the cleanup's.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger.CleanupFailed(what, ex);
        }
    }

    private static Exception Translate(Exception exception) => exception switch
    {
        UploadRejectedException => exception,
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } bad =>
            UploadRejectedException.TooLarge("The request body is larger than the server accepts.", inner: bad),
        BadHttpRequestException bad when bad.StatusCode is >= 400 and < 500 =>
            UploadRejectedException.BadRequest("The request body could not be read: " + bad.Message, bad, bad.StatusCode),
        _ => exception,
    };
}
