namespace UploadKit.Scanning.ClamAv;

/// <summary>How UploadKit reaches clamd (configuration section <c>UploadKit:Scanning:ClamAv</c>).</summary>
public sealed class ClamAvOptions
{
    /// <summary>
    /// Gets or sets where clamd listens: <c>tcp://host:port</c> (clamd's <c>TCPSocket</c>/<c>TCPAddr</c>) or
    /// <c>unix:///path/to/clamd.ctl</c> (its <c>LocalSocket</c>). Required.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// Gets or sets the largest file clamd scans: set it to clamd's own <c>StreamMaxLength</c> (25 MiB by default). A larger
    /// file is refused with 413 as soon as it crosses it, never passed on unscanned.
    /// </summary>
    public long StreamMaxLength { get; set; } = 25L * 1024 * 1024;

    /// <summary>Gets or sets the length of the INSTREAM chunks sent to clamd. 64 KiB by default.</summary>
    public int ChunkSize { get; set; } = 64 * 1024;

    /// <summary>Gets or sets how long connecting to clamd may take. 5 seconds by default.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets or sets how long one exchange with clamd may take: sending a chunk, or the verdict after the last one. 30 seconds
    /// by default. (UploadKit's <c>ScanningOptions.Timeout</c> bounds the whole wait as well.)
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how many idle clamd sessions (<c>IDSESSION</c> connections) are kept for the next scans; 0 opens a
    /// connection per scan. 8 by default.
    /// </summary>
    public int MaxIdleConnections { get; set; } = 8;

    /// <summary>
    /// Gets or sets how long an idle session is kept. Keep it below clamd's <c>IdleTimeout</c> (30 s by default), after which
    /// clamd closes it. 20 seconds by default.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(20);
}
