using System.IO.Pipelines;
using System.Security.Cryptography;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// The bytes of one append, as the storage reads them: each read comes from the request body and passes the route's
/// checks on its way (size limits, the content checks on the first bytes, the quota, the append's checksum, progress).
/// A body that breaks part-way ends the stream, so that what arrived is kept; a check that fails throws.
/// </summary>
internal sealed class ResumableAppendSource : Stream
{
    private readonly ResumableUploadService _service;
    private readonly ResumableEndpoint _endpoint;
    private readonly ResumableUpload _upload;
    private readonly UploadRequestContext _request;
    private readonly Stream _body;
    private readonly CancellationToken _stopping;
    private readonly long _limit;
    private readonly int _headLength;
    private readonly IncrementalHash? _checksum;
    private readonly UploadFileHeader _header;
    private byte[]? _head;
    private bool _headChecked;
    private readonly long _recordedReserve;
    private long _reserved;
    private long _position;
    private long _lastProgress;
    private DateTimeOffset _lastProgressTime;

    public ResumableAppendSource(
        ResumableUploadService service, ResumableEndpoint endpoint, ResumableUpload upload, ResumableAppend append, UploadRequestContext request,
        CancellationToken stopping)
    {
        _service = service;
        _endpoint = endpoint;
        _upload = upload;
        _request = request;
        _body = request.Body.AsStream(leaveOpen: true);
        _stopping = stopping;
        _position = upload.Offset;
        _limit = upload.Length ?? endpoint.Options.MaxSize;
        _headLength = FileValidation.GetHeadLength(endpoint.Validators);
        _headChecked = upload.HeadChecked;
        _head = upload.Head;
        _reserved = upload.QuotaReserved;
        _recordedReserve = upload.QuotaReserved;
        _header = ResumableUploadService.Header(endpoint, upload.FileName!, upload.ContentType!, upload.Length);
        if (append.ChecksumAlgorithm is { } algorithm)
        {
            _checksum = IncrementalHash.CreateHash(ResumableUploadService.ToHashName(algorithm));
        }

        _lastProgress = _position;
        _lastProgressTime = service.Time.GetUtcNow();
    }

    /// <summary>Gets the failure that ended the body early (the client went away), or <see langword="null"/>.</summary>
    public Exception? BodyFailure { get; private set; }

    /// <summary>Gets whether the exception the storage rethrew refuses the whole upload (a content check), not only this append.</summary>
    public bool RejectsUpload { get; private set; }

    /// <summary>
    /// Gets or sets whether the record accounts for this append's quota reservation: the append was recorded, or the upload
    /// ended and gave its reservation back. Until then a failure sets the reservation back to the recorded one.
    /// </summary>
    public bool Settled { get; set; }

    /// <summary>Gets how many bytes the body gave.</summary>
    public long BytesRead { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public byte[]? GetChecksum() => _checksum?.GetHashAndReset();

    /// <summary>Copies what the append changed onto the record to be written.</summary>
    public void ApplyTo(ResumableUpload upload)
    {
        upload.HeadChecked = _headChecked;
        upload.Head = _headChecked ? null : _head;
        upload.QuotaReserved = _reserved;
    }

    /// <summary>Publishes progress after the body ended.</summary>
    public Task FinishAsync() => _service.PublishProgressAsync(Snapshot(), UploadProgressState.Receiving);

    /// <summary>Sets the quota reservation back to what the record holds, after an append that was not recorded.</summary>
    public async Task RevertAsync()
    {
        if (_reserved != _recordedReserve && _endpoint.Options.Quota is not null && _upload.QuotaKey is { } key)
        {
            await _service.Quotas.TrySetReservationAsync(
                key, _upload.Id, _recordedReserve, long.MaxValue, Lease(), CancellationToken.None).ConfigureAwait(false);
            _reserved = _recordedReserve;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (BodyFailure is not null || buffer.Length == 0)
        {
            return 0;
        }

        int read;
        try
        {
            // Never more than the upload may still take, plus one byte to see that a client sends too much.
            var room = _limit - _position;
            read = await _body.ReadAsync(buffer[..(int)Math.Min(buffer.Length, Math.Max(room, 0) + 1)], cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException || (ex is OperationCanceledException && !_stopping.IsCancellationRequested))
        {
            // The client went away: what arrived is kept, and it resumes from there.
            BodyFailure = ex;
            return 0;
        }

        if (read == 0)
        {
            return 0;
        }

        if (_position + read > _limit)
        {
            throw _upload.Length is { } length
                ? UploadRejectedException.TooLarge($"The append goes past the upload's declared length, {length} bytes.")
                : UploadRejectedException.TooLarge(
                    $"The upload is larger than the largest allowed, {_endpoint.Options.MaxSize} bytes.", nameof(ResumableUploadOptions.MaxSize));
        }

        var chunk = buffer[..read];
        Check(chunk.Span);
        await ReserveAsync(_position + read).ConfigureAwait(false);
        _checksum?.AppendData(chunk.Span);
        _position += read;
        BytesRead += read;
        await ReportAsync().ConfigureAwait(false);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _checksum?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Runs the route's checks on the bytes at <see cref="_position"/>: the length checks, and the content checks once the head is in.
    /// </summary>
    private void Check(ReadOnlySpan<byte> chunk)
    {
        List<string>? errors = null;
        if (!_headChecked && _position < _headLength)
        {
            var count = (int)Math.Min(chunk.Length, _headLength - _position);
            var head = new byte[_position + count];
            _head?.AsSpan(0, (int)_position).CopyTo(head);
            chunk[..count].CopyTo(head.AsSpan((int)_position));
            _head = head;
            if (head.Length >= _headLength)
            {
                _headChecked = true;
                foreach (var validator in _endpoint.Validators)
                {
                    if (validator.HeadLength > 0 && validator.ValidateHead(_header, head.AsSpan(0, validator.HeadLength)) is { } error)
                    {
                        (errors ??= []).Add(error);
                    }
                }
            }
        }

        foreach (var validator in _endpoint.Validators)
        {
            if (validator.ValidateLength(_header, _position + chunk.Length, isComplete: false) is { } error)
            {
                (errors ??= []).Add(error);
            }
        }

        if (errors is not null)
        {
            RejectsUpload = true;
            throw FileValidation.Reject(_header, errors);
        }
    }

    private async ValueTask ReserveAsync(long needed)
    {
        if (_endpoint.Options.Quota is not { } quota || _upload.QuotaKey is not { } key || needed <= _reserved)
        {
            return;
        }

        var next = Math.Min(Math.Max(needed, _reserved + quota.ReservationSliceBytes), _limit);
        if (!await _service.Quotas.TrySetReservationAsync(key, _upload.Id, next, quota.LimitBytes, Lease(), _stopping).ConfigureAwait(false))
        {
            throw UploadRejectedException.TooLarge(
                $"The upload would go over the {quota.Name} quota of {quota.LimitBytes} bytes.", nameof(QuotaOptions.LimitBytes));
        }

        _reserved = next;
    }

    /// <summary>A reservation lasts as long as the upload may: a server that died mid-upload holds no quota past the upload's expiry.</summary>
    private TimeSpan Lease()
    {
        var left = _upload.ExpiresOn - _service.Time.GetUtcNow();
        return left > TimeSpan.FromMinutes(1) ? left : TimeSpan.FromMinutes(1);
    }

    private async ValueTask ReportAsync()
    {
        var now = _service.Time.GetUtcNow();
        if (_position - _lastProgress < 1024 * 1024 || now - _lastProgressTime < TimeSpan.FromMilliseconds(250))
        {
            return;
        }

        _lastProgress = _position;
        _lastProgressTime = now;
        await _service.PublishProgressAsync(Snapshot(), UploadProgressState.Receiving).ConfigureAwait(false);
    }

    private ResumableUpload Snapshot()
    {
        var snapshot = _upload.Clone();
        snapshot.Offset = _position;
        return snapshot;
    }
}
