using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// Counts an upload's file bytes against a per-user byte quota kept in the <see cref="IQuotaStore"/>. Bytes are
/// reserved atomically while they arrive, and reading stops the moment the quota would be crossed, with 413
/// problem details naming the quota. A completed upload keeps its bytes as usage; a failed or rejected one gives
/// them back, and so does a request that fails after reading (an answer of 400 and above, or an unhandled exception),
/// except for files the endpoint kept with <see cref="UploadForm.KeepSavedFiles"/>. While the upload runs its reservation is leased
/// (<see cref="QuotaOptions.ReservationLease"/>), so a server that stops mid-upload holds nothing once the lease runs out. Put it first in the chain,
/// so no later handler stores a byte over the quota.
/// </summary>
public sealed class QuotaUploadHandler : UploadHandler
{
    private QuotaOptions? _options;
    private IQuotaStore? _store;
    private ILogger _logger = NullLogger.Instance;
    private string? _key;
    private long _received;
    private bool _nearLimit;
    private long _reserved;
    private long _fileBytes;
    private string? _reservationId;
    private long _kept;
    private TimeProvider? _time;
    private DateTimeOffset _renewedOn;

    /// <summary>
    /// Creates a handler that takes the app's <see cref="IQuotaStore"/> and <see cref="QuotaOptions"/> from the
    /// request's services when its first file starts; for <c>WithUploadHandlers(_ =&gt; new QuotaUploadHandler())</c>.
    /// </summary>
    public QuotaUploadHandler()
    {
    }

    /// <summary>Creates a handler with its own options, for one endpoint; the store comes from the request's services.</summary>
    /// <param name="options">The quota's options.</param>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    public QuotaUploadHandler(QuotaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (QuotaOptionsValidation.Validate(options) is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        _options = options;
    }

    /// <summary>Creates a handler with its services, as dependency injection does.</summary>
    /// <param name="store">Where usage and reservations are kept.</param>
    /// <param name="options">The app's quota options.</param>
    /// <param name="time">The clock; the system's by default.</param>
    /// <param name="loggers">Creates the handler's logger; none by default.</param>
    [ActivatorUtilitiesConstructor]
    public QuotaUploadHandler(IQuotaStore store, IOptions<QuotaOptions> options, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _logger = loggers?.CreateLogger(UploadLog.UploadCategory) ?? NullLogger.Instance;
    }

    /// <inheritdoc/>
    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        _fileBytes = 0;
        if (_key is not null)
        {
            return ValueTask.CompletedTask;
        }

        if (_store is null || _options is null || _time is null)
        {
            // Made without injection: the request's services stand in for it.
            var services = Context.Services;
            _options ??= services.GetRequiredService<IOptions<QuotaOptions>>().Value;
            _store ??= services.GetRequiredService<IQuotaStore>();
            _time ??= services.GetService<TimeProvider>() ?? TimeProvider.System;
            _logger = services.GetService<ILoggerFactory>()?.CreateLogger(UploadLog.UploadCategory) ?? NullLogger.Instance;
        }

        if (QuotaOptionsValidation.Validate(_options) is { } error)
        {
            throw new InvalidOperationException(error);
        }

        _key = _options.KeySelector is { } select ? select(Context) : Context.OwnerId;
        if (string.IsNullOrEmpty(_key))
        {
            throw new UploadRejectedException(
                StatusCodes.Status401Unauthorized, $"Uploading files counts against the '{_options.Name}' quota, which needs a signed-in user.")
            {
                Title = "Authentication required",
            };
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
        ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        _received += chunk.Length;
        _fileBytes += chunk.Length;
        if (_received > _reserved)
        {
            // Once a slice has been refused the user is near the limit: from then on, ask for what arrived only,
            // so each chunk costs one store call, not a refused slice and then a second call.
            await ReserveAsync(
                _nearLimit ? _received : Math.Max(_received, _reserved + _options!.ReservationSliceBytes), cancellationToken).ConfigureAwait(false);
        }
        else if (_time!.GetUtcNow() - _renewedOn >= _options!.ReservationLease / 2)
        {
            // A slow upload renews its lease before it runs out, so its reservation never stops counting.
            await ReserveAsync(_reserved, cancellationToken).ConfigureAwait(false);
        }

        return chunk;
    }

    /// <inheritdoc/>
    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        // A dropped file is not kept, so its bytes do not count; its reservation is given back at the end.
        _received -= _fileBytes;
        _fileBytes = 0;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public override async ValueTask UploadCompleteAsync(CancellationToken cancellationToken)
    {
        if (_reservationId is not null && _time!.GetUtcNow() - _renewedOn >= _options!.ReservationLease)
        {
            // The upload stalled past its lease after its last chunk: its reservation may have stopped counting and
            // its bytes been taken by another upload, so they are checked against the limit again before they are kept.
            await ReserveAsync(_received, cancellationToken).ConfigureAwait(false);
        }

        // The kept files' bytes become usage; the rest of the reservation is given back. Should the request then fail,
        // what it saved is deleted and its bytes are given back as well.
        await EndReservationAsync(_received).ConfigureAwait(false);
        _kept = _received;
        Context.Saves?.OnFailure(RefundAsync);
    }

    /// <summary>Gives back the bytes of a failed request, but for <paramref name="storedBytes"/> that stay stored.</summary>
    private async Task RefundAsync(long storedBytes)
    {
        var refund = _kept - Math.Min(storedBytes, _kept);
        _kept -= refund;
        if (refund <= 0)
        {
            return;
        }

        try
        {
            await _store!.ReleaseAsync(_key!, refund, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The request's answer is on its way; the usage stays too high, which refuses uploads, never lets one cross.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _logger.QuotaNotReleased(refund, ex);
        }
    }

    /// <inheritdoc/>
    public override async ValueTask UploadInterruptedAsync(CancellationToken cancellationToken)
    {
        // A later handler can still fail the upload after this one completed: what was kept is given back then.
        var kept = _kept;
        _kept = 0;
        _received = 0;
        await EndReservationAsync(0).ConfigureAwait(false);
        if (kept > 0)
        {
            try
            {
                await _store!.ReleaseAsync(_key!, kept, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.QuotaNotReleased(kept, ex);
                throw;
            }
        }
    }

    /// <summary>
    /// Sets the upload's reservation to <paramref name="wanted"/> bytes (renewing its lease), or, if that crosses the
    /// limit, to the bytes received; refuses the upload with 413 if even those do not fit.
    /// </summary>
    private async Task ReserveAsync(long wanted, CancellationToken cancellationToken)
    {
        var options = _options!;
        _reservationId ??= Guid.NewGuid().ToString("N");
        if (await _store!.TrySetReservationAsync(
            _key!, _reservationId, wanted, options.LimitBytes, options.ReservationLease, cancellationToken).ConfigureAwait(false))
        {
            _reserved = wanted;
        }
        else if (wanted > _received &&
            await _store.TrySetReservationAsync(
                _key!, _reservationId, _received, options.LimitBytes, options.ReservationLease, cancellationToken).ConfigureAwait(false))
        {
            _nearLimit = true;
            _reserved = _received;
        }
        else
        {
            _logger.QuotaExceeded(options.Name, options.LimitBytes);
            throw new UploadRejectedException(
                StatusCodes.Status413PayloadTooLarge, $"The upload would exceed the '{options.Name}' quota of {ByteSize.Format(options.LimitBytes)}.")
            {
                Title = "Quota exceeded",
                Limit = nameof(QuotaOptions) + "." + nameof(QuotaOptions.LimitBytes),
            };
        }

        _renewedOn = _time!.GetUtcNow();
    }

    private async Task EndReservationAsync(long keptBytes)
    {
        if (_reservationId is not { } id)
        {
            return;
        }

        var reserved = _reserved;
        _reservationId = null;
        _reserved = 0;
        try
        {
            await _store!.EndReservationAsync(_key!, id, keptBytes, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The reservation stops counting when its lease runs out; only the kept bytes would be missing from usage.
            _logger.QuotaNotReleased(reserved - keptBytes, ex);
            throw;
        }
    }
}
