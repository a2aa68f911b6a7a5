using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace UploadKit.Diagnostics;

/// <summary>UploadKit's metrics and traces: one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <c>UploadKit</c>.</summary>
internal static class UploadKitTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "UploadKit";

    /// <summary>The name of the span started for each upload read.</summary>
    public const string UploadActivityName = "UploadKit.Upload";

    /// <summary>The tag carrying the HTTP status code of a rejected upload.</summary>
    public const string StatusCodeTag = "http.response.status_code";

    /// <summary>The tag carrying an upload's outcome: <c>completed</c>, <c>rejected</c> or <c>failed</c>.</summary>
    public const string OutcomeTag = "uploadkit.upload.outcome";

    public static readonly ActivitySource ActivitySource = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> UploadsStarted = Meter.CreateCounter<long>(
        "uploadkit.uploads.started", "{upload}", "Uploads whose body started to be read.");

    public static readonly Counter<long> UploadsCompleted = Meter.CreateCounter<long>(
        "uploadkit.uploads.completed", "{upload}", "Uploads read to the end.");

    public static readonly Counter<long> UploadsRejected = Meter.CreateCounter<long>(
        "uploadkit.uploads.rejected", "{upload}", "Uploads refused with a client error status (400, 413, 415, ...).");

    public static readonly Counter<long> UploadsFailed = Meter.CreateCounter<long>(
        "uploadkit.uploads.failed", "{upload}", "Uploads that ended by an error other than a rejection (disconnect, storage failure).");

    public static readonly Counter<long> BytesReceived = Meter.CreateCounter<long>(
        "uploadkit.upload.bytes_received", "By", "File bytes read from upload bodies.");

    public static readonly Histogram<double> UploadDuration = Meter.CreateHistogram<double>(
        "uploadkit.upload.duration", "s", "How long reading an upload took.");

    public static readonly Counter<long> DirectUploadsConfirmed = Meter.CreateCounter<long>(
        "uploadkit.direct_uploads.confirmed", "{upload}", "Direct uploads confirmed by their client.");

    /// <summary>The tag carrying a scan's verdict: <c>clean</c>, <c>infected</c>, <c>error</c> or <c>too_large</c>.</summary>
    public const string VerdictTag = "uploadkit.scan.verdict";

    public static readonly Counter<long> Scans = Meter.CreateCounter<long>(
        "uploadkit.scans", "{file}", "Files scanned for malware, by verdict.");

    public static readonly Histogram<double> ScanDuration = Meter.CreateHistogram<double>(
        "uploadkit.scan.duration", "s", "How long a scan took, from the file's first byte to the verdict.");

    public static readonly Counter<long> ScansFailedOpen = Meter.CreateCounter<long>(
        "uploadkit.scans.failed_open", "{file}", "Files accepted unscanned because the scan failed on an endpoint that fails open.");

    public static readonly Counter<long> DirectUploadsExpired = Meter.CreateCounter<long>(
        "uploadkit.direct_uploads.expired", "{upload}", "Direct uploads swept unconfirmed after they expired.");
}
