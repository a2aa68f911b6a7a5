using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using UploadKit.Diagnostics;

namespace UploadKit;

/// <summary>
/// The app's malware scanning: the scanner, its options, and what every upload path does with a verdict: telemetry, the
/// refusal a client hears, quarantine. The streaming handler uses it while a body is read; direct uploads (and any path
/// that completes a stored object, such as a resumable upload) call <see cref="ScanStoredAsync"/> before they bind.
/// </summary>
internal sealed class UploadScanning
{
    /// <summary>The metadata names written with a quarantined file.</summary>
    internal const string VerdictKey = "scan-verdict";
    internal const string SignatureKey = "scan-signature";
    internal const string OwnerKey = "owner";
    internal const string ScannedOnKey = "scanned-on";
    internal const string FieldKey = "field";
    internal const string FileNameKey = "file-name";
    internal const string SourceKey = "source";

    private readonly IStorageRegistry _storages;
    private readonly TimeProvider _time;

    public UploadScanning(
        IFileScanner scanner, IStorageRegistry storages, IOptions<ScanningOptions> options, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(scanner);
        ArgumentNullException.ThrowIfNull(options);
        Scanner = scanner;
        _storages = storages;
        Options = options.Value;
        _time = time ?? TimeProvider.System;
        Logger = loggers?.CreateLogger(ScanLog.Category) ?? NullLogger.Instance;
    }

    public IFileScanner Scanner { get; }

    public ScanningOptions Options { get; }

    public ILogger Logger { get; }

    /// <summary>Starts scanning one file whose bytes are then written to the feed as they arrive.</summary>
    public ScanFeed Start(CancellationToken aborted) => new(Scanner, Options, aborted);

    /// <summary>
    /// Scans a stored object, streamed from its storage to the scanner in bounded memory, and records the verdict's
    /// telemetry. The caller decides what the verdict means for its upload (<see cref="GetRefusal"/>).
    /// </summary>
    /// <param name="storage">The storage holding the object.</param>
    /// <param name="name">The object's name.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The verdict; an object that cannot be read gives an error verdict.</returns>
    /// <exception cref="FileNotFoundException">The object does not exist.</exception>
    public async Task<ScanVerdict> ScanStoredAsync(IFileStorage storage, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var content = await storage.OpenReadAsync(name, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            var feed = Start(cancellationToken);
            await using (feed.ConfigureAwait(false))
            {
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(UploadedFile.DefaultChunkSize);
                try
                {
                    int read;
                    while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        if (!await feed.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }

                var verdict = await feed.GetVerdictAsync().ConfigureAwait(false);
                Record(verdict, feed.Elapsed);
                return verdict;
            }
        }
    }

    /// <summary>
    /// The entry point for every path that completes a stored object before binding it (direct uploads, resumable uploads):
    /// scans the object, logs and counts the verdict, and copies an infected object into quarantine. It never deletes the
    /// object or changes a session: the caller, which owns both, deletes the object and records the verdict (or the
    /// refusal's reason) with its session, then throws the refusal.
    /// </summary>
    /// <param name="storage">The storage holding the object.</param>
    /// <param name="storageName">The storage's registry name, recorded as the quarantined file's source.</param>
    /// <param name="name">The object's name.</param>
    /// <param name="ownerId">Who uploaded it.</param>
    /// <param name="fieldName">The form field the file stands for, named in a refusal.</param>
    /// <param name="fileName">The client's name of the file.</param>
    /// <param name="failOpen">Whether a failed scan lets the object through.</param>
    /// <param name="cancellationToken">Cancels the scan.</param>
    /// <returns>The verdict, and the refusal to throw when the object must not be bound.</returns>
    public async Task<StoredScan> ScanStoredFileAsync(
        IFileStorage storage, string storageName, string name, string? ownerId, string fieldName, string fileName, bool failOpen,
        CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        ScanVerdict verdict;
        try
        {
            verdict = await ScanStoredAsync(storage, name, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            verdict = ScanVerdict.Failed("The object disappeared before it was scanned.");
        }

        var refusal = GetRefusal(verdict, fieldName, fileName, ownerId, failOpen, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        if (refusal is not null && verdict.Outcome == ScanOutcome.Infected)
        {
            await QuarantineAsync(
                ct => storage.OpenReadAsync(name, ct), verdict, fieldName, fileName, ownerId, source: $"{storageName}/{name}").ConfigureAwait(false);
        }

        return new StoredScan(verdict, refusal);
    }

    /// <summary>Records a verdict's metrics.</summary>
    public static void Record(ScanVerdict verdict, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>(UploadKitTelemetry.VerdictTag, verdict.Outcome switch
        {
            ScanOutcome.Clean => "clean",
            ScanOutcome.Infected => "infected",
            ScanOutcome.TooLarge => "too_large",
            _ => "error",
        });
        UploadKitTelemetry.Scans.Add(1, tag);
        UploadKitTelemetry.ScanDuration.Record(duration.TotalSeconds, tag);
    }

    /// <summary>
    /// Turns a verdict into the upload's answer: nothing for a clean file (or a failed scan where the upload fails open,
    /// logged and counted); otherwise the refusal, after logging it. Quarantine is the caller's, before it throws.
    /// </summary>
    /// <param name="verdict">The verdict.</param>
    /// <param name="fieldName">The form field of the file, named in the problem.</param>
    /// <param name="fileName">The client's name of the file.</param>
    /// <param name="ownerId">Who uploaded it, for the log.</param>
    /// <param name="failOpen">Whether a failed scan lets the file through.</param>
    /// <param name="duration">How long the scan took, for the log.</param>
    /// <returns>The refusal to throw, or <see langword="null"/> when the file goes on.</returns>
    public UploadRejectedException? GetRefusal(
        ScanVerdict verdict, string fieldName, string fileName, string? ownerId, bool failOpen, TimeSpan duration)
    {
        switch (verdict.Outcome)
        {
            case ScanOutcome.Clean:
                Logger.ScanClean(fileName, duration.TotalSeconds);
                return null;
            case ScanOutcome.Infected:
                Logger.ScanInfected(fileName, fieldName, ownerId, verdict.Signature!);
                return Infected(fieldName, fileName, verdict.Signature!);
            case ScanOutcome.TooLarge:
                Logger.ScanTooLarge(fileName, verdict.Error!);
                return new UploadRejectedException(
                    StatusCodes.Status413PayloadTooLarge, $"{fileName} is larger than the malware scanner can scan, so it cannot be accepted.")
                {
                    Title = "Upload limit exceeded",
                    Errors = new Dictionary<string, string[]> { [fieldName] = ["The file is larger than the malware scanner can scan."] },
                    FileName = fileName,
                    Limit = "StreamMaxLength",
                };
            default:
                if (failOpen)
                {
                    Logger.ScanFailedOpen(fileName, verdict.Error!);
                    UploadKitTelemetry.ScansFailedOpen.Add(1);
                    return null;
                }

                Logger.ScanFailed(fileName, verdict.Error!);
                return Unavailable();
        }
    }

    /// <summary>
    /// An infected file (400, in the validators' shape): the detail and the field's error name the signature, and
    /// <c>fileName</c> names the file, so a page shows the refusal next to it.
    /// </summary>
    public static UploadRejectedException Infected(string fieldName, string fileName, string signature) =>
        new(StatusCodes.Status400BadRequest, $"{fileName} contains malware ({signature}) and was refused.")
        {
            Title = UploadRejectedException.ValidationTitle,
            Errors = new Dictionary<string, string[]> { [fieldName] = [$"The file contains malware ({signature})."] },
            FileName = fileName,
        };

    /// <summary>The scanner could not give a verdict and the upload fails closed (503).</summary>
    public static UploadRejectedException Unavailable() =>
        new(StatusCodes.Status503ServiceUnavailable, "The file could not be scanned for malware right now, so it was not accepted. Try again later.")
        {
            Title = "Malware scanner unavailable",
        };

    /// <summary>
    /// Copies an infected file into the quarantine storage, when the app has one, with its verdict, owner, field, name and
    /// time as metadata. A failure is logged, never thrown: the refusal stands and the infected bytes are deleted anyway.
    /// </summary>
    /// <returns>The name in the quarantine storage, or <see langword="null"/> when nothing was quarantined.</returns>
    public async Task<string?> QuarantineAsync(
        Func<CancellationToken, Task<Stream>> open, ScanVerdict verdict, string fieldName, string fileName, string? ownerId, string? source)
    {
        ArgumentNullException.ThrowIfNull(open);
        if (string.IsNullOrEmpty(Options.QuarantineStorage) || !_storages.TryGetStorage(Options.QuarantineStorage, out var quarantine))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var options = new FileSaveOptions { ContentType = "application/octet-stream", ContentDisposition = "attachment" };
        options.Metadata[VerdictKey] = verdict.ToString();
        options.Metadata[SignatureKey] = verdict.Signature ?? string.Empty;
        options.Metadata[OwnerKey] = ownerId ?? string.Empty;
        options.Metadata[ScannedOnKey] = now.ToString("O", CultureInfo.InvariantCulture);
        options.Metadata[FieldKey] = fieldName;
        options.Metadata[FileNameKey] = Uri.EscapeDataString(fileName);
        if (source is not null)
        {
            options.Metadata[SourceKey] = source;
        }

        // Under a fresh folder, with the client's name made safe and a suffix no storage runs: a reviewer opens it on purpose.
        var name = string.Create(
            CultureInfo.InvariantCulture, $"{now:yyyy/MM/dd}/{UnguessableIds.Create()}/{FileStorageNames.GetValidName(fileName)}.quarantined");
        try
        {
            using var timeout = new CancellationTokenSource(Options.Timeout * 4);
            var content = await open(timeout.Token).ConfigureAwait(false);
            await using (content.ConfigureAwait(false))
            {
                var saved = await quarantine.SaveAsync(name, content, options, timeout.Token).ConfigureAwait(false);
                Logger.FileQuarantined(fileName, Options.QuarantineStorage, saved);
                return saved;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Logger.QuarantineFailed(fileName, ex);
            await StorageHelpers.TryDeleteAsync(quarantine, name, Logger).ConfigureAwait(false);
            return null;
        }
    }
}

/// <summary>The outcome of scanning a stored object: its verdict, and the refusal to throw when it must not be bound.</summary>
/// <param name="Verdict">The verdict.</param>
/// <param name="Refusal">The refusal (400 infected, 413 too large, 503 scan failed), or <see langword="null"/> to bind the object.</param>
internal sealed record StoredScan(ScanVerdict Verdict, UploadRejectedException? Refusal);
