using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UploadKit.Diagnostics;

namespace UploadKit;

/// <summary>
/// Deletes the objects of direct uploads that expired unconfirmed, every <see cref="DirectUploadOptions.SweepInterval"/>.
/// Each session is first moved from pending to expired (compare-and-set), so a sweep never deletes an object a
/// completion confirmed at the same moment.
/// </summary>
internal sealed class DirectUploadSweeper : BackgroundService
{
    private readonly IUploadSessionStore _store;
    private readonly IStorageRegistry _storages;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;

    public DirectUploadSweeper(IUploadSessionStore store, IStorageRegistry storages, TimeProvider time, IOptions<DirectUploadOptions> options, ILogger<DirectUploadSweeper> logger)
    {
        _store = store;
        _storages = storages;
        _time = time;
        _interval = options.Value.SweepInterval;
        _logger = logger;
    }

    /// <summary>Sweeps once: expires every pending session past its expiry and deletes its object.</summary>
    /// <param name="cancellationToken">Stops the sweep.</param>
    /// <returns>The number of sessions this sweep expired.</returns>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var swept = 0;
        await foreach (var session in _store.ListExpiredAsync(_time.GetUtcNow(), cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (!_storages.TryGetStorage(session.StorageName, out var storage))
                {
                    throw new KeyNotFoundException($"Storage '{session.StorageName}' is not configured.");
                }

                // A failed delete puts the session back to pending, so the next sweep tries again.
                var deleted = await SessionEnding.EndAndDeleteAsync(_store, storage, session, UploadSessionState.Expired, null, cancellationToken).ConfigureAwait(false);
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

        return swept;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        do
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _logger.DirectUploadListFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
