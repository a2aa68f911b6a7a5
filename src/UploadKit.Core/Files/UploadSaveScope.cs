using Microsoft.Extensions.Logging;

namespace UploadKit;

/// <summary>
/// What one request saved from its upload: every save of one of its files through <see cref="UploadedFile.SaveAsync"/>
/// (a <see cref="StoredUploadedFile"/> kept where it is counts as one). Settled once, by the request's answer: a
/// success keeps everything; an error answer (status 400 and above), or no answer at all (an unhandled exception, an
/// aborted request), deletes what was saved, except files the endpoint kept with <see cref="UploadForm.KeepSavedFiles"/>,
/// and gives their quota back.
/// </summary>
internal sealed class UploadSaveScope(ILogger? logger)
{
    private readonly Lock _gate = new();
    // Created when first needed: most requests save one file or none, and keep nothing and refund nothing.
    private List<(UploadedFile File, IFileStorage Storage, string Name)>? _saves;
    private HashSet<UploadedFile>? _kept;
    private List<Func<long, Task>>? _refunds;
    private bool _settled;

    /// <summary>Records that <paramref name="file"/> was saved as <paramref name="name"/> in <paramref name="storage"/>.</summary>
    public void Saved(UploadedFile file, IFileStorage storage, string name)
    {
        lock (_gate)
        {
            if (!_settled && _kept?.Contains(file) != true)
            {
                (_saves ??= []).Add((file, storage, name));
            }
        }
    }

    /// <summary>Keeps every save of <paramref name="file"/>, now and later, whatever the request's answer.</summary>
    public void Keep(UploadedFile file)
    {
        lock (_gate)
        {
            (_kept ??= new(ReferenceEqualityComparer.Instance)).Add(file);
            _saves?.RemoveAll(s => ReferenceEquals(s.File, file));
        }
    }

    /// <summary>
    /// Registers what to give back when the request fails: called with the bytes of the files that stay stored
    /// (those kept with <see cref="Keep"/>). A callback that throws is logged.
    /// </summary>
    public void OnFailure(Func<long, Task> refund)
    {
        lock (_gate)
        {
            if (!_settled)
            {
                (_refunds ??= []).Add(refund);
            }
        }
    }

    /// <summary>Settles the scope once: on failure deletes what was saved and not kept, and gives the quota back.</summary>
    /// <param name="succeeded">Whether the request succeeded (answered below 400).</param>
    /// <returns>A task that completes when the scope is settled; it never fails.</returns>
    public async Task SettleAsync(bool succeeded)
    {
        List<(UploadedFile File, IFileStorage Storage, string Name)> saves;
        List<Func<long, Task>> refunds;
        long keptBytes = 0;
        lock (_gate)
        {
            if (_settled)
            {
                return;
            }

            _settled = true;
            if (succeeded)
            {
                _saves = null;
                _refunds = null;
                return;
            }

            saves = _saves is null ? [] : [.. _saves];
            refunds = _refunds is null ? [] : [.. _refunds];
            foreach (var file in _kept ?? [])
            {
                keptBytes += file.Length;
            }
        }

        foreach (var (_, storage, name) in saves)
        {
            await StorageHelpers.TryDeleteAsync(storage, name, logger).ConfigureAwait(false);
        }

        foreach (var refund in refunds)
        {
            // The answer is on its way: a refund that fails is logged, and neither stops the others nor changes the answer.
            try
            {
                await refund(keptBytes).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed cleanup is logged; the request's answer stands.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                logger?.CleanupFailed(nameof(OnFailure), ex);
            }
        }
    }
}
