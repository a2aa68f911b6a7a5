using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UploadKit.Diagnostics;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// Every <see cref="DirectUploadOptions.SweepInterval"/>: deletes the objects of direct uploads that expired unconfirmed,
/// and, once an ended session is <see cref="DirectUploadOptions.SweepGracePeriod"/> past its expiry, whatever its
/// still-valid URL put under its uploaded key after it ended (and a sealed copy a session that was not completed left),
/// then forgets the session. Each pending session is first moved to expired (compare-and-set), so a sweep never deletes
/// an object a completion confirmed at the same moment; a completed session's sealed copy is never touched.
/// </summary>
internal sealed class DirectUploadSweeper : BackgroundService
{
    private readonly IUploadSessionStore _store;
    private readonly IStorageRegistry _storages;
    private static readonly TimeSpan ResumableLease = TimeSpan.FromMinutes(1);
    private readonly TimeProvider _time;
    private readonly ResumableUploadService _resumable;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _grace;
    private readonly ILogger _logger;

    public DirectUploadSweeper(
        IUploadSessionStore store,
        IStorageRegistry storages,
        ResumableUploadService resumable,
        TimeProvider time,
        IOptions<DirectUploadOptions> options,
        ILogger<DirectUploadSweeper> logger)
    {
        _store = store;
        _storages = storages;
        _resumable = resumable;
        _time = time;
        _interval = options.Value.SweepInterval;
        _grace = options.Value.SweepGracePeriod;
        _logger = logger;
    }

    /// <summary>
    /// Sweeps once: expires every pending session past its expiry and deletes its object, then sweeps the keys of the
    /// ended sessions past their expiry plus the grace period a last time and forgets those sessions.
    /// </summary>
    /// <param name="cancellationToken">Stops the sweep.</param>
    /// <returns>The number of sessions this sweep expired.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var swept = 0;
        await foreach (var session in _store.ListExpiredAsync(now, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var storage = GetStorage(session);

                // A failed delete puts the session back to pending, so the next sweep tries again.
                var deleted = await SessionEnding.EndAndDeleteAsync(
                    _store, storage, session, UploadSessionState.Expired, null, cancellationToken).ConfigureAwait(false);
                if (deleted is null)
                {
                    continue;
                }

                if (deleted.Value)
                {
                    _logger.DirectUploadSwept(session.Id, session.StorageName, session.ObjectName);
                }
                else
                {
                    _logger.DirectUploadExpiredEmpty(session.Id, session.StorageName);
                }

                swept++;
                UploadKitTelemetry.DirectUploadsExpired.Add(1);
            }
            catch (Exception ex)
            {
                if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                _logger.DirectUploadSweepFailed(ex, session.Id, session.StorageName);
            }
        }

        await foreach (var session in _store.ListEndedAsync(now - _grace, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                var storage = GetStorage(session);

                // The session goes only once its keys are clean, so a failed delete is tried again at the next sweep.
                var removed = await storage.DeleteAsync(session.ObjectName, cancellationToken).ConfigureAwait(false);
                if (session.State != UploadSessionState.Completed)
                {
                    removed |= await storage.DeleteAsync(DirectUploadSealing.GetSealedName(session), cancellationToken).ConfigureAwait(false);
                }

                await _store.DeleteAsync(session.Id, cancellationToken).ConfigureAwait(false);
                if (removed)
                {
                    _logger.DirectUploadEndedKeySwept(session.Id, session.StorageName, session.ObjectName, session.State);
                }
            }
            catch (Exception ex)
            {
                if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                _logger.DirectUploadSweepFailed(ex, session.Id, session.StorageName);
            }
        }

        return swept;
    }

    private IFileStorage GetStorage(UploadSession session) =>
        _storages.TryGetStorage(session.StorageName, out var storage)
            ? storage
            : throw new KeyNotFoundException($"Storage '{session.StorageName}' is not configured.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
                await _resumable.SweepAsync(ResumableLease, _grace, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _logger.DirectUploadListFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
