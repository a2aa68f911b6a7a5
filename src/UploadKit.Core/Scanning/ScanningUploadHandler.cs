namespace UploadKit;

/// <summary>
/// The scanning stage of the handler chain: it hands each file's bytes to the scanner while the body is read, and holds the
/// file's completion until the verdict, so the handlers after it (memory, temporary file, storage streaming) never give a
/// file to the endpoint before it is known clean. An infected file is refused with 400 naming the field and the signature;
/// its bytes go to the quarantine storage, if the app has one, and are otherwise deleted with everything the chain wrote.
/// A failed scan refuses the upload with 503 unless the endpoint fails open.
/// </summary>
/// <remarks>UploadKit places it in front of the first handler that keeps files, on every upload endpoint, once scanning is added.</remarks>
internal sealed class ScanningUploadHandler : UploadHandler
{
    private readonly UploadScanning _scanning;
    private readonly bool _failOpen;
    private UploadFileHeader? _file;
    private ScanFeed? _feed;

    public ScanningUploadHandler(UploadScanning scanning, bool failOpen)
    {
        _scanning = scanning;
        _failOpen = failOpen;
    }

    public override async ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        await ReleaseAsync().ConfigureAwait(false);
        _file = file;
        _feed = _scanning.Start(Context.RequestAborted);
    }

    public override async ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(
        ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        if (_feed is { } feed && !await feed.WriteAsync(chunk, cancellationToken).ConfigureAwait(false))
        {
            // The scanner stopped reading before the file ended: a limit crossed, a failure, a stall, or malware found early.
            var verdict = await feed.GetVerdictAsync().ConfigureAwait(false);
            if (verdict.Outcome == ScanOutcome.Clean)
            {
                verdict = ScanVerdict.Failed("The scanner answered before the end of the file.");
            }

            await DecideAsync(verdict, feed.Elapsed, size: null, cancellationToken).ConfigureAwait(false);
        }

        return chunk;
    }

    public override async ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        if (_feed is not { } feed)
        {
            return null;
        }

        var progress = FindProgress();
        if (progress is not null)
        {
            await progress.ReportScanningAsync(scanning: true).ConfigureAwait(false);
        }

        var verdict = await feed.GetVerdictAsync().ConfigureAwait(false);
        if (progress is not null)
        {
            await progress.ReportScanningAsync(scanning: false).ConfigureAwait(false);
        }

        await DecideAsync(verdict, feed.Elapsed, size, cancellationToken).ConfigureAwait(false);
        return null;
    }

    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken) => ReleaseAsync();

    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => ReleaseAsync();

    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => ReleaseAsync();

    /// <summary>Acts on a verdict: the file goes on, or the upload is refused (after quarantining an infected, complete file).</summary>
    private async ValueTask DecideAsync(ScanVerdict verdict, TimeSpan duration, long? size, CancellationToken cancellationToken)
    {
        var file = _file!;
        await ReleaseAsync().ConfigureAwait(false);
        UploadScanning.Record(verdict, duration);
        var refusal = _scanning.GetRefusal(verdict, file.FieldName, file.FileName, Context.OwnerId, _failOpen, duration);
        if (refusal is null)
        {
            return;
        }

        if (verdict.Outcome == ScanOutcome.Infected && size is { } length)
        {
            await QuarantineAsync(file, verdict, length, cancellationToken).ConfigureAwait(false);
        }

        throw refusal;
    }

    /// <summary>
    /// Completes the infected file with the handlers after this one, copies it into quarantine and deletes it; the refusal
    /// that follows interrupts the chain, which removes whatever else they hold.
    /// </summary>
    private async ValueTask QuarantineAsync(UploadFileHeader header, ScanVerdict verdict, long size, CancellationToken cancellationToken)
    {
        var handlers = Context.Handlers;
        UploadedFile? file = null;
        var index = -1;
        for (var i = 0; i < handlers.Count; i++)
        {
            if (ReferenceEquals(handlers[i], this))
            {
                index = i;
                break;
            }
        }

        for (var i = index + 1; index >= 0 && i < handlers.Count; i++)
        {
            if (file is null)
            {
                file = await handlers[i].FileCompleteAsync(size, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await handlers[i].FileSkippedAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (file is null)
        {
            return;
        }

        await using (file.ConfigureAwait(false))
        {
            await _scanning.QuarantineAsync(
                file.OpenReadStreamAsync, verdict, header.FieldName, header.FileName, Context.OwnerId, source: null).ConfigureAwait(false);
        }
    }

    private ProgressUploadHandler? FindProgress()
    {
        foreach (var handler in Context.Handlers)
        {
            if (handler is ProgressUploadHandler progress)
            {
                return progress;
            }
        }

        return null;
    }

    private async ValueTask ReleaseAsync()
    {
        _file = null;
        var feed = _feed;
        _feed = null;
        if (feed is not null)
        {
            await feed.DisposeAsync().ConfigureAwait(false);
        }
    }
}
