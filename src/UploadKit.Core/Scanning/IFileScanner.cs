namespace UploadKit;

/// <summary>
/// A malware scanner: one method that reads a file's bytes and answers a <see cref="ScanVerdict"/>. ClamAV's clamd is the
/// built-in engine (package <c>UploadKit.Scanning.ClamAv</c>); other engines implement this interface and register with
/// <c>AddScanning</c>.
/// </summary>
/// <remarks>
/// The stream is read while the upload arrives: a read waits for the client's next bytes, and the stream ends where the
/// file ends. An implementation reads it once, front to back, and may stop early (a verdict reached, a size limit crossed).
/// It answers <see cref="ScanOutcome.Error"/> (or throws) when the engine cannot be reached or fails: UploadKit then refuses
/// the file unless the endpoint chose to fail open. It honours the cancellation token, which UploadKit cancels
/// when the engine is slower than <see cref="ScanningOptions.Timeout"/> or the client goes away.
/// </remarks>
public interface IFileScanner
{
    /// <summary>Scans a file.</summary>
    /// <param name="content">The file's bytes, read once from start to end.</param>
    /// <param name="cancellationToken">Cancelled when the scan takes too long or the upload is aborted.</param>
    /// <returns>The verdict.</returns>
    Task<ScanVerdict> ScanAsync(Stream content, CancellationToken cancellationToken);
}

/// <summary>What a scan found.</summary>
public enum ScanOutcome
{
    /// <summary>Nothing was found.</summary>
    Clean,

    /// <summary>Malware was found; <see cref="ScanVerdict.Signature"/> names it.</summary>
    Infected,

    /// <summary>The scan could not be done: the engine is unreachable, too slow, or answered an error.</summary>
    Error,

    /// <summary>
    /// The file is larger than the engine scans (clamd's <c>StreamMaxLength</c>). Never passed unscanned, even by an
    /// endpoint that fails open: it is refused with 413.
    /// </summary>
    TooLarge,
}

/// <summary>The verdict of a scan.</summary>
public sealed class ScanVerdict
{
    private ScanVerdict(ScanOutcome outcome, string? signature, string? error)
    {
        Outcome = outcome;
        Signature = signature;
        Error = error;
    }

    /// <summary>Gets the verdict of a file in which nothing was found.</summary>
    public static ScanVerdict Clean { get; } = new(ScanOutcome.Clean, null, null);

    /// <summary>Gets what the scan found.</summary>
    public ScanOutcome Outcome { get; }

    /// <summary>Gets the name of the malware found (such as <c>Eicar-Signature</c>), for <see cref="ScanOutcome.Infected"/>.</summary>
    public string? Signature { get; }

    /// <summary>Gets why the scan could not be done, for <see cref="ScanOutcome.Error"/> and <see cref="ScanOutcome.TooLarge"/>.</summary>
    public string? Error { get; }

    /// <summary>Creates the verdict of an infected file.</summary>
    /// <param name="signature">The name of the malware found.</param>
    /// <returns>The verdict.</returns>
    public static ScanVerdict Infected(string signature)
    {
        ArgumentException.ThrowIfNullOrEmpty(signature);
        return new(ScanOutcome.Infected, signature, null);
    }

    /// <summary>Creates the verdict of a scan that could not be done.</summary>
    /// <param name="reason">Why, for logs (never shown to the client).</param>
    /// <returns>The verdict.</returns>
    public static ScanVerdict Failed(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(ScanOutcome.Error, null, reason);
    }

    /// <summary>Creates the verdict of a file larger than the engine scans.</summary>
    /// <param name="reason">The limit, for logs.</param>
    /// <returns>The verdict.</returns>
    public static ScanVerdict TooLarge(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(ScanOutcome.TooLarge, null, reason);
    }

    /// <summary>Gets the verdict as recorded with a session or a quarantined file: <c>clean</c>, <c>infected: {signature}</c>,
    /// <c>error: {reason}</c> or <c>too-large: {reason}</c>.</summary>
    /// <returns>The verdict in words.</returns>
    public override string ToString() => Outcome switch
    {
        ScanOutcome.Clean => "clean",
        ScanOutcome.Infected => "infected: " + Signature,
        ScanOutcome.TooLarge => "too-large: " + Error,
        _ => "error: " + Error,
    };
}
