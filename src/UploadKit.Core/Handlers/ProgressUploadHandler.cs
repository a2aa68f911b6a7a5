using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// Records an upload's progress (bytes received and expected, state) in the <see cref="IUploadProgressStore"/>
/// under the id the client sends in the <c>X-Progress-ID</c> header or the <c>progress_id</c> query value, for
/// <c>MapUploadProgress</c> to serve. A request without an id is read without recording anything; an id that is
/// not unguessable (32+ hexadecimal digits, a GUID, or 22+ base64url characters) is refused with 400.
/// Put it first in the chain; it passes every byte on.
/// </summary>
/// <remarks>
/// The store is written at most every <see cref="UploadProgressOptions.UpdateInterval"/>, once
/// <see cref="UploadProgressOptions.UpdateEveryBytes"/> more bytes arrived (or after five intervals for a slow upload), so progress costs no store
/// call per chunk at full speed; the final state (complete, failed, rejected) is always written.
/// </remarks>
public sealed class ProgressUploadHandler : UploadHandler
{
    /// <summary>The request header carrying the progress id.</summary>
    public const string HeaderName = "X-Progress-ID";

    /// <summary>The query value carrying the progress id.</summary>
    public const string QueryName = "progress_id";

    private IUploadProgressStore? _store;
    private UploadProgressOptions _options = new();
    private TimeProvider _time = TimeProvider.System;
    private ILogger _logger = NullLogger.Instance;
    private bool _hasServices;
    private UploadProgress? _progress;
    private long _writtenBytes;
    private long _writtenAt;

    /// <summary>
    /// Creates a handler that takes the app's <see cref="IUploadProgressStore"/> and <see cref="UploadProgressOptions"/>
    /// from the request's services when its request starts; for <c>WithUploadHandlers(_ =&gt; new ProgressUploadHandler())</c>.
    /// </summary>
    public ProgressUploadHandler()
    {
    }

    /// <summary>Creates a handler with its services, as dependency injection does.</summary>
    /// <param name="store">Where progress is recorded.</param>
    /// <param name="options">How often it is recorded and how long it lives.</param>
    /// <param name="time">The clock; the system's by default.</param>
    /// <param name="loggers">Creates the handler's logger; none by default.</param>
    [ActivatorUtilitiesConstructor]
    public ProgressUploadHandler(
        IUploadProgressStore store, IOptions<UploadProgressOptions> options, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _logger = loggers?.CreateLogger(UploadLog.UploadCategory) ?? NullLogger.Instance;
        _hasServices = true;
    }

    /// <inheritdoc/>
    public override async ValueTask<UploadForm?> HandleRawInputAsync(UploadRequestContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? id = context.Headers[HeaderName];
        if (string.IsNullOrEmpty(id))
        {
            id = context.Query[QueryName];
        }

        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        if (!_hasServices)
        {
            // Made with the parameterless constructor: the request's services stand in for injection.
            var services = context.Services;
            _store = services.GetRequiredService<IUploadProgressStore>();
            _options = services.GetService<IOptions<UploadProgressOptions>>()?.Value ?? _options;
            _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
            _logger = services.GetService<ILoggerFactory>()?.CreateLogger(UploadLog.UploadCategory) ?? NullLogger.Instance;
            _hasServices = true;
        }

        if (!UnguessableIds.IsUnguessable(id))
        {
            _logger.ProgressIdRefused();
            throw InvalidId($"The {HeaderName} must be an unguessable id: a GUID or at least 32 random hexadecimal digits.");
        }

        var store = _store!;
        var owner = context.OwnerId;
        var existing = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (existing is not null && !string.Equals(existing.OwnerId, owner, StringComparison.Ordinal))
        {
            throw InvalidId($"The {HeaderName} is in use; send a new random id with each upload.");
        }

        _progress = new UploadProgress(id)
        {
            OwnerId = owner,
            BytesExpected = context.ContentLength,
            State = UploadProgressState.Receiving,
        };
        await WriteAsync(cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <inheritdoc/>
    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (_progress is not null)
        {
            _progress.FileName = file.FileName;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
        ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (_progress is { } progress)
        {
            progress.BytesReceived += chunk.Length;
            // A slow upload is still reported, after five intervals, before it has sent UpdateEveryBytes.
            var due = progress.BytesReceived - _writtenBytes >= _options.UpdateEveryBytes
                ? _time.GetElapsedTime(_writtenAt) >= _options.UpdateInterval
                : _options.UpdateInterval > TimeSpan.Zero && _time.GetElapsedTime(_writtenAt) >= _options.UpdateInterval * 5;
            if (due)
            {
                await TryWriteAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return chunk;
    }

    /// <inheritdoc/>
    public override async ValueTask UploadCompleteAsync(CancellationToken cancellationToken)
    {
        if (_progress is not null)
        {
            _progress.State = UploadProgressState.Complete;
            await TryWriteAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask UploadInterruptedAsync(CancellationToken cancellationToken)
    {
        if (_progress is null)
        {
            return;
        }

        _progress.State = Context.Interruption is UploadRejectedException ? UploadProgressState.Rejected : UploadProgressState.Failed;
        await TryWriteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Shows that the current file waits for its malware scan (<see cref="UploadProgressState.Scanning"/>), or that reading goes on.
    /// </summary>
    /// <param name="scanning">Whether the scan is running.</param>
    internal async ValueTask ReportScanningAsync(bool scanning)
    {
        if (_progress is null || _progress.IsFinal)
        {
            return;
        }

        _progress.State = scanning ? UploadProgressState.Scanning : UploadProgressState.Receiving;
        await TryWriteAsync(Context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Records progress without ever failing the upload: a store that is briefly unreachable costs an update, not the
    /// user's file. A lost entry only ages out.
    /// </summary>
    private async ValueTask TryWriteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.ProgressNotRecorded(ex);
        }
    }

    private static UploadRejectedException InvalidId(string detail) =>
        new(StatusCodes.Status400BadRequest, detail) { Title = "Invalid progress id" };

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        var progress = _progress!;
        progress.UpdatedOn = _time.GetUtcNow();
        _writtenBytes = progress.BytesReceived;
        _writtenAt = _time.GetTimestamp();
        await _store!.SetAsync(progress, _options.TimeToLive, cancellationToken).ConfigureAwait(false);
    }
}
