using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UploadKit.Diagnostics;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>The direct-upload service: begins, completes and cancels sessions kept in an <see cref="IUploadSessionStore"/>.</summary>
internal sealed class DirectUploadService : IDirectUploads
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly IStorageRegistry _storages;
    private readonly IUploadSessionStore _store;
    private readonly DirectUploadOptions _options;
    private readonly LocalUploadSigner _signer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long? _maxRequestBodySize;
    private readonly AppFileValidators _appValidators;
    private readonly UploadScanning? _scanning;

    public DirectUploadService(
        IStorageRegistry storages,
        IUploadSessionStore store,
        IOptions<DirectUploadOptions> options,
        IOptions<UploadOptions> uploadOptions,
        LocalUploadSigner signer,
        TimeProvider time,
        ILogger<DirectUploadService> logger,
        IOptions<AppFileValidators> appValidators,
        UploadScanning? scanning = null)
    {
        _appValidators = appValidators.Value;
        _scanning = scanning;
        _storages = storages;
        _store = store;
        _options = options.Value;
        _maxRequestBodySize = uploadOptions.Value.MaxRequestBodySize;
        _signer = signer;
        _time = time;
        _logger = logger;
    }

    public async Task<DirectUpload> BeginAsync(
        string storageName, DirectUploadRequest request, string? ownerId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(storageName);
        ArgumentNullException.ThrowIfNull(request);
        var expiresIn = request.ExpiresIn ?? _options.DefaultExpiry;
        if (expiresIn <= TimeSpan.Zero)
        {
            throw new ArgumentException("A direct upload's expiry must be positive.", nameof(request));
        }

        var storage = _storages[storageName];
        var now = _time.GetUtcNow();
        var urlExpiresOn = now + expiresIn;
        var prefix = _options.KeyPrefix.Trim('/');
        var objectName = FileStorageNames.Validate(
            (prefix.Length > 0 ? prefix + "/" : string.Empty) + RandomNumberGenerator.GetString(IdAlphabet, 20) + "/" +
                FileStorageNames.GetValidName(request.FileName));
        var contentType = GetStoredContentType(objectName, request);
        var session = new UploadSession(NewId(), storageName, objectName, urlExpiresOn + _options.CompletionWindow)
        {
            OwnerId = ownerId,
            FileName = request.FileName,
            ContentType = contentType,
            ExpectedLength = request.Length,
            MaxLength = request.MaxLength,
            ChecksumSha256 = request.ChecksumSha256,
            FieldName = request.FieldName,
            CreatedOn = now,
        };

        // The session is recorded before any URL exists, so whatever the client uploads is always swept or confirmed.
        await _store.CreateAsync(session, cancellationToken).ConfigureAwait(false);
        PresignedUrl url;
        try
        {
            url = storage is IPresignedUrlProvider presigner
                ? await presigner.CreateUploadUrlAsync(
                    new PresignedUploadRequest(objectName)
                    {
                        Method = request.Method,
                        ContentType = contentType,
                        ContentLength = request.Length,
                        MaxLength = request.MaxLength ?? request.Length,
                        ChecksumSha256 = request.ChecksumSha256 is { } hex ? Convert.ToBase64String(Convert.FromHexString(hex)) : null,
                        ExpiresIn = expiresIn,
                    },
                    cancellationToken).ConfigureAwait(false)
                : CreateLocalUrl(session, request.Method, urlExpiresOn);
        }
        catch
        {
            await _store.DeleteAsync(session.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        _logger.DirectUploadBegan(session.Id, storageName);
        return new DirectUpload(session, url);
    }

    public Task<StoredFileInfo> CompleteAsync(
        string id, string? ownerId = null, IEnumerable<IFileValidator>? validators = null, CancellationToken cancellationToken = default)
    {
        IFileValidator[] extra = validators is null ? [] : [.. validators];
        return CompleteAsync(id, ownerId, _ => extra, cancellationToken);
    }

    /// <summary>Completes a session of <paramref name="ownerId"/>, with the validators <paramref name="validators"/> gives for the session's
    /// field.</summary>
    internal async Task<StoredFileInfo> CompleteAsync(
        string id, string? ownerId, Func<string, IReadOnlyList<IFileValidator>> validators, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(validators);
        var session = await GetOwnedAsync(id, ownerId, cancellationToken).ConfigureAwait(false) ?? throw NotFound();
        var storage = _storages[session.StorageName];
        switch (session.State)
        {
            case UploadSessionState.Completed:
                return await GetCompletedReferenceAsync(session, storage, cancellationToken).ConfigureAwait(false);
            case UploadSessionState.Rejected:
                throw Rejected(session, [session.RejectionReason ?? "The file was refused."]);
            case UploadSessionState.Expired:
                throw Gone("The direct upload expired before it was completed; its file was deleted.");
            case UploadSessionState.Cancelled:
                throw Gone("The direct upload was cancelled.");
        }

        if (_time.GetUtcNow() > session.ExpiresOn)
        {
            if (await SessionEnding.EndAndDeleteAsync(
                _store, storage, session, UploadSessionState.Expired, null, cancellationToken).ConfigureAwait(false) is not null)
            {
                _logger.DirectUploadSwept(session.Id, session.StorageName, session.ObjectName);
                UploadKitTelemetry.DirectUploadsExpired.Add(1);
            }

            throw Gone("The direct upload expired before it was completed; its file was deleted.");
        }

        var info = await storage.GetMetadataAsync(session.ObjectName, cancellationToken).ConfigureAwait(false);
        if (info is null)
        {
            // A concurrent completion that sealed the object deleted the uploaded key: answer as it did.
            return await AnswerMissingAsync(session, storage, cancellationToken).ConfigureAwait(false);
        }

        var errors = CheckProperties(session, info);
        string? sha256 = null;
        try
        {
            if (errors.Count == 0 && session.ChecksumSha256 is { } expectedSha256)
            {
                sha256 = await GetSha256Async(storage, info, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add("The file's SHA-256 checksum does not match the one given when the upload began.");
                }
            }

            if (errors.Count == 0)
            {
                errors.AddRange(await DirectUploadValidation.ValidateAsync(
                    _appValidators, validators, session, storage, info, cancellationToken).ConfigureAwait(false));
            }
        }
        catch (FileNotFoundException)
        {
            return await AnswerMissingAsync(session, storage, cancellationToken).ConfigureAwait(false);
        }

        if (errors.Count > 0)
        {
            return await RejectAsync(session, storage, null, errors, cancellationToken).ConfigureAwait(false);
        }

        // Seal: the verified object is copied to a key no issued URL can write, and the copy is what the app binds.
        var sealedName = DirectUploadSealing.GetSealedName(session);
        StoredFileInfo copy;
        try
        {
            copy = await DirectUploadSealing.CopyAsync(storage, info, sealedName, cancellationToken).ConfigureAwait(false);
        }
        catch (FileNotFoundException)
        {
            // Replaced through the still-valid URL, or removed by a cancellation or a sweep, since it was verified.
            return await RejectAsync(
                session, storage, sealedName, ["The file changed while the upload was being completed."], cancellationToken).ConfigureAwait(false);
        }

        if (DirectUploadSealing.CheckCopy(info, copy, sha256) is { } mismatch)
        {
            return await RejectAsync(session, storage, sealedName, [mismatch], cancellationToken).ConfigureAwait(false);
        }

        // Scan the sealed copy, which no issued URL can write: the bytes scanned are the bytes bound.
        string? verdict = null;
        if (_scanning is not null)
        {
            verdict = await ScanSealedAsync(session, storage, sealedName, cancellationToken).ConfigureAwait(false);
        }

        if (!await _store.TryTransitionAsync(
            id, UploadSessionState.Pending, UploadSessionState.Completed, verdict, CancellationToken.None).ConfigureAwait(false))
        {
            // Another completion may have sealed the same copy and won: its copy stays. Any other ending leaves none.
            if ((await _store.GetAsync(id, CancellationToken.None).ConfigureAwait(false))?.State != UploadSessionState.Completed)
            {
                await StorageHelpers.TryDeleteAsync(storage, sealedName, _logger).ConfigureAwait(false);
            }

            return await AnswerRaceAsync(id, storage, cancellationToken).ConfigureAwait(false);
        }

        // Should this delete fail, the sweep after the session's expiry removes the uploaded key all the same.
        await StorageHelpers.TryDeleteAsync(storage, session.ObjectName, _logger).ConfigureAwait(false);
        _logger.DirectUploadCompleted(session.Id, session.StorageName, sealedName, copy.Length);
        UploadKitTelemetry.DirectUploadsConfirmed.Add(1);
        return CreateReference(session, copy, sha256);
    }

    public async Task<bool> CancelAsync(string id, string? ownerId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var session = await GetOwnedAsync(id, ownerId, cancellationToken).ConfigureAwait(false) ?? throw NotFound();
        if (await SessionEnding.EndAndDeleteAsync(
            _store, _storages[session.StorageName], session, UploadSessionState.Cancelled, null, cancellationToken).ConfigureAwait(false) is null)
        {
            return false;
        }

        _logger.DirectUploadCancelled(session.Id, session.StorageName);
        return true;
    }

    public async Task<DirectUploadStatus?> GetAsync(string id, string? ownerId = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (await GetOwnedAsync(id, ownerId, cancellationToken).ConfigureAwait(false) is not { } session)
        {
            return null;
        }

        StoredFileInfo? stored = null;
        if (session.State == UploadSessionState.Completed &&
            await _storages[session.StorageName].GetMetadataAsync(
                DirectUploadSealing.GetSealedName(session), cancellationToken).ConfigureAwait(false) is { } info)
        {
            stored = CreateReference(session, info, session.ChecksumSha256);
        }

        return new DirectUploadStatus(session, stored);
    }

    /// <summary>The media type without parameters, lower-cased: <c>Text/Plain; charset=utf-8</c> → <c>text/plain</c>.</summary>
    internal static string NormalizeMediaType(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return string.Empty;
        }

        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim().ToLowerInvariant();
    }

    private static string NewId() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24));

    private static List<string> CheckProperties(UploadSession session, StoredFileInfo info)
    {
        var errors = new List<string>();
        if (session.ExpectedLength is { } length && info.Length != length)
        {
            errors.Add($"The file is {ByteSize.FormatExact(info.Length)} long; {ByteSize.FormatExact(length)} were expected.");
        }

        if (session.MaxLength is { } max && info.Length > max)
        {
            errors.Add($"The file is larger than {ByteSize.Format(max)}, the most allowed.");
        }

        if (session.ContentType is { } type && NormalizeMediaType(info.ContentType) != NormalizeMediaType(type))
        {
            errors.Add($"The file's media type is '{NormalizeMediaType(info.ContentType)}'; '{NormalizeMediaType(type)}' was expected.");
        }

        return errors;
    }

    /// <summary>
    /// Hashes the stored object itself. A checksum the storage recorded is not trusted here: on a direct upload the
    /// client wrote the object and, on some backends, may set the metadata that holds it.
    /// </summary>
    private static async Task<string> GetSha256Async(IFileStorage storage, StoredFileInfo info, CancellationToken cancellationToken)
    {
        var stream = await storage.OpenReadAsync(info.Name, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>
    /// Describes the sealed file for the app's record: what the store says of it, with the storage's registry name, the
    /// media type the session signed where the store keeps none, and its SHA-256 where it was checked or recorded.
    /// </summary>
    private static StoredFileInfo CreateReference(UploadSession session, StoredFileInfo info, string? sha256)
    {
        var checksums = new Dictionary<string, string>(info.Checksums, StringComparer.OrdinalIgnoreCase);
        if ((sha256 ?? (checksums.TryGetValue("sha256", out var recorded) ? recorded : null)) is { } known)
        {
            checksums["sha256"] = known.ToLowerInvariant();
        }

        return new StoredFileInfo(info.Name, info.Length)
        {
            StorageName = session.StorageName,
            ContentType = info.ContentType ?? session.ContentType,
            ContentDisposition = info.ContentDisposition,
            LastModified = info.LastModified,
            ETag = info.ETag,
            Checksums = checksums,
            Metadata = info.Metadata,
        };
    }

    /// <summary>
    /// Gets the media type a direct upload is signed for and stored with: the stored name's, not the client's declaration
    /// (unless <see cref="DirectUploadOptions.StoreClientContentType"/>); and refuses active content, which a presigned
    /// upload cannot force to download on every storage (unless <see cref="DirectUploadOptions.AllowActiveContent"/>).
    /// </summary>
    private string GetStoredContentType(string objectName, DirectUploadRequest request)
    {
        var contentType = _options.StoreClientContentType ? request.ContentType : StoredContentTypes.FromName(objectName);
        if (!_options.AllowActiveContent && StoredContentTypes.IsActiveContent(contentType))
        {
            var error = $"Files of type '{contentType}' cannot be uploaded directly: they could be served as a web page.";
            throw new UploadRejectedException(StatusCodes.Status400BadRequest, error)
            {
                Title = "One or more validation errors occurred.",
                Errors = new Dictionary<string, string[]>
                {
                    [string.IsNullOrEmpty(request.FieldName) ? "file" : request.FieldName] = [error],
                },
            };
        }

        return contentType;
    }

    private static UploadRejectedException NotFound() =>
        new(StatusCodes.Status404NotFound, "No direct upload has this id.") { Title = "Direct upload not found" };

    private static UploadRejectedException Gone(string message) =>
        new(StatusCodes.Status410Gone, message) { Title = "Direct upload ended" };

    private static UploadRejectedException Rejected(UploadSession session, IReadOnlyList<string> errors) =>
        new(StatusCodes.Status400BadRequest, errors[0])
        {
            Title = "One or more validation errors occurred.",
            Errors = new Dictionary<string, string[]> { [string.IsNullOrEmpty(session.FieldName) ? "file" : session.FieldName] = [.. errors] },
        };

    private async Task<StoredFileInfo> GetCompletedReferenceAsync(UploadSession session, IFileStorage storage, CancellationToken cancellationToken)
    {
        var info = await storage.GetMetadataAsync(DirectUploadSealing.GetSealedName(session), cancellationToken).ConfigureAwait(false)
            ?? throw Gone("The completed upload's file no longer exists.");
        return CreateReference(session, info, session.ChecksumSha256);
    }

    /// <summary>Rejects a pending upload and deletes its object (and a sealed copy, if one was made); or answers the race it lost.</summary>
    private async Task<StoredFileInfo> RejectAsync(
        UploadSession session, IFileStorage storage, string? sealedName, IReadOnlyList<string> errors, CancellationToken cancellationToken)
    {
        var reason = string.Join(" ", errors);
        if (await SessionEnding.EndAndDeleteAsync(
            _store, storage, session, UploadSessionState.Rejected, reason, CancellationToken.None).ConfigureAwait(false) is null)
        {
            return await AnswerRaceAsync(session.Id, storage, cancellationToken).ConfigureAwait(false);
        }

        if (sealedName is not null)
        {
            await StorageHelpers.TryDeleteAsync(storage, sealedName, _logger).ConfigureAwait(false);
        }

        _logger.DirectUploadRejected(session.Id, session.StorageName, session.ObjectName, reason);
        throw Rejected(session, errors);
    }

    /// <summary>
    /// Scans a sealed copy before it is bound, and records the verdict with the session. Infected: the copy goes to quarantine
    /// (if the app has one), the session is rejected with the signature as its reason, and both keys are deleted. Too large
    /// for the scanner: rejected the same way. A failed scan (fail closed): the copy is deleted, the session stays pending
    /// so the client may complete again, and the caller hears 503.
    /// </summary>
    /// <returns>The verdict to record with the completed session.</returns>
    private async Task<string> ScanSealedAsync(UploadSession session, IFileStorage storage, string sealedName, CancellationToken cancellationToken)
    {
        var field = string.IsNullOrEmpty(session.FieldName) ? "file" : session.FieldName;
        StoredScan scan;
        try
        {
            scan = await _scanning!.ScanStoredFileAsync(
                storage, session.StorageName, sealedName, session.OwnerId, field, session.FileName ?? Path.GetFileName(session.ObjectName),
                _scanning.Options.FailOpen, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await StorageHelpers.TryDeleteAsync(storage, sealedName, _logger).ConfigureAwait(false);
            throw;
        }

        if (scan.Refusal is not { } refusal)
        {
            return scan.Verdict.ToString();
        }

        if (scan.Verdict.Outcome is ScanOutcome.Infected or ScanOutcome.TooLarge)
        {
            // Ends the session with the verdict as its reason, deletes both keys, and throws the 400.
            await RejectAsync(session, storage, sealedName, [refusal.Errors![field][0]], cancellationToken).ConfigureAwait(false);
        }

        await StorageHelpers.TryDeleteAsync(storage, sealedName, _logger).ConfigureAwait(false);
        throw refusal;
    }

    /// <summary>
    /// Answers a completion that found no object: the session's answer if another caller ended it meanwhile (a
    /// completion that sealed and deleted it, a cancellation); otherwise a 400, and the client may still upload.
    /// </summary>
    private async Task<StoredFileInfo> AnswerMissingAsync(UploadSession session, IFileStorage storage, CancellationToken cancellationToken)
    {
        if ((await _store.GetAsync(session.Id, cancellationToken).ConfigureAwait(false))?.State is not UploadSessionState.Pending)
        {
            return await AnswerRaceAsync(session.Id, storage, cancellationToken).ConfigureAwait(false);
        }

        throw Rejected(session, ["The file has not been uploaded."]);
    }

    /// <summary>Answers a completion that lost a race with another completion, a cancellation or the sweeper.</summary>
    private async Task<StoredFileInfo> AnswerRaceAsync(string id, IFileStorage storage, CancellationToken cancellationToken)
    {
        var session = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) ?? throw NotFound();
        return session.State switch
        {
            UploadSessionState.Completed => await GetCompletedReferenceAsync(session, storage, cancellationToken).ConfigureAwait(false),
            UploadSessionState.Rejected => throw Rejected(session, [session.RejectionReason ?? "The file was refused."]),
            UploadSessionState.Cancelled => throw Gone("The direct upload was cancelled."),
            _ => throw Gone("The direct upload expired before it was completed; its file was deleted."),
        };
    }

    private async Task<UploadSession?> GetOwnedAsync(string id, string? ownerId, CancellationToken cancellationToken)
    {
        var session = await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return session is not null && string.Equals(session.OwnerId, ownerId, StringComparison.Ordinal) ? session : null;
    }

    private PresignedUrl CreateLocalUrl(UploadSession session, PresignedUploadMethod method, DateTimeOffset expiresOn)
    {
        if (method != PresignedUploadMethod.Put)
        {
            throw new NotSupportedException($"Storage '{session.StorageName}' takes direct uploads through the app's " +
                "signed PUT endpoint only: request PresignedUploadMethod.Put.");
        }

        var expires = expiresOn.ToUnixTimeSeconds();
        var max = session.ExpectedLength ?? session.MaxLength ?? _maxRequestBodySize ?? long.MaxValue;
        var contentType = session.ContentType ?? string.Empty;
        var signature = _signer.Sign("PUT", session.Id, session.ObjectName, expires, max, contentType);
        var path = "/" + _options.LocalUploadPath.Trim('/') + "/" + Uri.EscapeDataString(session.Id)
            + string.Create(CultureInfo.InvariantCulture, $"?expires={expires}&max={max}&sig={signature}");
        // Without a public base URL the URL is relative to the app: the mapped endpoints resolve it against their request.
        var url = _options.PublicBaseUrl is { } baseUrl
            ? new Uri(baseUrl.GetLeftPart(UriPartial.Authority) + baseUrl.AbsolutePath.TrimEnd('/') + path)
            : new Uri(path, UriKind.Relative);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (contentType.Length > 0)
        {
            headers["Content-Type"] = contentType;
        }

        return new PresignedUrl("PUT", url, DateTimeOffset.FromUnixTimeSeconds(expires)) { Headers = headers };
    }
}
