namespace UploadKit;

/// <summary>How uploads are scanned for malware (configuration section <c>UploadKit:Scanning</c>).</summary>
public sealed class ScanningOptions
{
    /// <summary>The default name of the storage that receives infected files.</summary>
    public const string DefaultQuarantineStorage = "quarantine";

    /// <summary>
    /// Gets or sets how long the scanner may take to give its verdict once a file's last byte was handed to it, and how
    /// long handing it one chunk may wait. Past it the scan counts as failed (503, or passed where the endpoint fails
    /// open). 30 seconds by default.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets whether a file whose scan failed (scanner unreachable, too slow, answering an error) is accepted
    /// unscanned, logged and counted, instead of refused with 503. Off by default; an endpoint opts in with
    /// <c>WithScanFailOpen()</c>.
    /// </summary>
    public bool FailOpen { get; set; }

    /// <summary>
    /// Gets or sets the storage that receives infected files, with their verdict, owner and time as metadata, for review.
    /// When no storage has this name, infected bytes are deleted. <c>quarantine</c> by default.
    /// </summary>
    public string QuarantineStorage { get; set; } = DefaultQuarantineStorage;

    /// <summary>
    /// Gets or sets how many bytes of a file may wait in memory for the scanner before reading the upload waits for it
    /// (the scan keeps pace with the upload, and memory stays bounded). 1 MiB by default.
    /// </summary>
    public int MaxBufferedBytes { get; set; } = 1 << 20;
}
