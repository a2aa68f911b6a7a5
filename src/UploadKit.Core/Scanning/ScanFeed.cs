using System.Diagnostics;
using System.IO.Pipelines;

namespace UploadKit;

/// <summary>
/// One file on its way to a scanner: the scanner reads a pipe while the file's bytes are written into it, so the scan runs
/// alongside the upload with no second copy of the file. The pipe holds at most <see cref="ScanningOptions.MaxBufferedBytes"/>:
/// a scanner slower than the upload slows the upload, and one that stalls past <see cref="ScanningOptions.Timeout"/> fails.
/// </summary>
internal sealed class ScanFeed : IAsyncDisposable
{
    private readonly Pipe _pipe;
    private readonly CancellationTokenSource _cancel;
    private readonly CancellationToken _aborted;
    private readonly TimeSpan _timeout;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Task<ScanVerdict> _scan;
    private bool _writerDone;
    private bool _timedOut;

    public ScanFeed(IFileScanner scanner, ScanningOptions options, CancellationToken aborted)
    {
        _aborted = aborted;
        _timeout = options.Timeout;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var buffered = Math.Max(options.MaxBufferedBytes, 4096);
        _pipe = new Pipe(new PipeOptions(
            pauseWriterThreshold: buffered, resumeWriterThreshold: buffered / 2, minimumSegmentSize: 16 * 1024, useSynchronizationContext: false));
        var reader = _pipe.Reader;
        var token = _cancel.Token;
        _scan = Task.Run(async () =>
        {
            var content = reader.AsStream();
            try
            {
                return await scanner.ScanAsync(content, token).ConfigureAwait(false);
            }
            finally
            {
                // The writer learns the scanner stopped reading (early verdict, failure) at its next write.
                await content.DisposeAsync().ConfigureAwait(false);
            }
        }, CancellationToken.None);
    }

    /// <summary>Gets how long the scan has run.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started);

    /// <summary>
    /// Hands the scanner a copy of <paramref name="data"/>. Returns <see langword="false"/> when the scanner no longer reads:
    /// it answered before the end of the file, failed, or stalled past the timeout; <see cref="GetVerdictAsync"/> then says why.
    /// </summary>
    public async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (_scan.IsCompleted || _writerDone)
        {
            return false;
        }

        var writing = _pipe.Writer.WriteAsync(data, _cancel.Token);
        FlushResult result;
        if (writing.IsCompleted)
        {
            result = await writing.ConfigureAwait(false);
        }
        else
        {
            // Only a write that waits for the scanner arms the timer: at full speed a chunk costs no timer change.
            _cancel.CancelAfter(_timeout);
            try
            {
                result = await writing.ConfigureAwait(false);
                if (!_cancel.TryReset())
                {
                    _timedOut = !_aborted.IsCancellationRequested;
                    return false;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_aborted.IsCancellationRequested)
            {
                _timedOut = true;
                return false;
            }
        }

        return !result.IsCompleted && !_scan.IsCompleted;
    }

    /// <summary>Ends the file and waits for the verdict; a scanner that fails, throws or is too slow gives an error verdict.</summary>
    /// <exception cref="OperationCanceledException">The upload was aborted.</exception>
    public async Task<ScanVerdict> GetVerdictAsync()
    {
        if (!_writerDone)
        {
            _writerDone = true;
            await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }

        if (!_timedOut)
        {
            _cancel.CancelAfter(_timeout);
        }

        try
        {
            // A scanner that ignores its token still cannot hold the file past the timeout.
            return await _scan.WaitAsync(_timeout, _aborted).ConfigureAwait(false) ?? ScanVerdict.Failed("The scanner gave no verdict.");
        }
        catch (Exception) when (_aborted.IsCancellationRequested)
        {
            throw new OperationCanceledException(_aborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
            return ScanVerdict.Failed($"The scanner did not answer within {_timeout.TotalSeconds:0.###} s.");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ScanVerdict.Failed(ex.GetType().Name + ": " + ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_writerDone)
        {
            _writerDone = true;
            await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }

        await _cancel.CancelAsync().ConfigureAwait(false);
        // The scan task ends by its cancellation; its outcome no longer matters, and it is observed so it never goes unobserved.
        _ = _scan.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        if (_scan.IsCompleted)
        {
            _cancel.Dispose();
        }
    }
}
