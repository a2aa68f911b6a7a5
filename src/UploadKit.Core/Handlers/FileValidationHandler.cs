using System.Buffers;

namespace UploadKit;

/// <summary>
/// Runs file validators while files stream: placed before the chain, it refuses a file at its header (name, declared
/// type and length), at its first bytes (content sniffing) or the moment its size crosses a limit, so the rest of the
/// body is not read. Chunks pass through unchanged; what later handlers wrote is removed by the chain's interruption.
/// </summary>
internal sealed class FileValidationHandler : UploadHandler
{
    private readonly string? _fieldName;
    private readonly IReadOnlyList<IFileValidator> _validators;
    private readonly int _headLength;
    private UploadFileHeader? _file;
    private readonly bool[] _headChecked;
    private byte[]? _head;
    private int _headFilled;
    private int _headsPending;

    /// <summary>Creates the handler.</summary>
    /// <param name="fieldName">The form field whose files are checked; <see langword="null"/> for every field.</param>
    /// <param name="validators">The validators, run in order; every failure is reported.</param>
    public FileValidationHandler(string? fieldName, IReadOnlyList<IFileValidator> validators)
    {
        _fieldName = fieldName;
        _validators = validators;
        _headLength = FileValidation.GetHeadLength(validators);
        _headChecked = new bool[validators.Count];
    }

    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = null;
        if (_fieldName is not null && !string.Equals(file.FieldName, _fieldName, StringComparison.Ordinal))
        {
            return ValueTask.CompletedTask;
        }

        List<string>? errors = null;
        for (var i = 0; i < _validators.Count; i++)
        {
            Add(ref errors, _validators[i].ValidateFile(file));
        }

        ThrowIfAny(file, errors);
        _file = file;
        _headFilled = 0;
        _headsPending = 0;
        for (var i = 0; i < _validators.Count; i++)
        {
            _headChecked[i] = _validators[i].HeadLength <= 0;
            _headsPending += _headChecked[i] ? 0 : 1;
        }

        if (_headsPending > 0)
        {
            // Pooled: an image header check holds up to 256 KiB, which would otherwise be a large-object allocation per request.
            _head ??= ArrayPool<byte>.Shared.Rent(_headLength);
        }

        return ValueTask.CompletedTask;
    }

    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        var file = _file;
        if (file is null)
        {
            return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
        }

        // Runs for every chunk of every file: no allocation unless a validator fails.
        List<string>? errors = null;
        if (_headsPending > 0)
        {
            var count = Math.Min(chunk.Length, _headLength - _headFilled);
            chunk.Span[..count].CopyTo(_head.AsSpan(_headFilled));
            _headFilled += count;
            CheckHeads(file, ref errors, isComplete: false);
            ThrowIfAny(file, errors);
        }

        var length = offset + chunk.Length;
        for (var i = 0; i < _validators.Count; i++)
        {
            Add(ref errors, _validators[i].ValidateLength(file, length, isComplete: false));
        }

        ThrowIfAny(file, errors);
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }

    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        var file = _file;
        _file = null;
        if (file is not null)
        {
            List<string>? errors = null;
            CheckHeads(file, ref errors, isComplete: true);
            for (var i = 0; i < _validators.Count; i++)
            {
                Add(ref errors, _validators[i].ValidateLength(file, size, isComplete: true));
            }

            ThrowIfAny(file, errors);
        }

        return ValueTask.FromResult<UploadedFile?>(null);
    }

    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        _file = null;
        return ValueTask.CompletedTask;
    }

    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => ReleaseAsync();

    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => ReleaseAsync();

    private ValueTask ReleaseAsync()
    {
        _file = null;
        var head = _head;
        _head = null;
        if (head is not null)
        {
            ArrayPool<byte>.Shared.Return(head);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Runs each head check as soon as its own head is complete: magic bytes need far fewer bytes than a JPEG's frame header.</summary>
    private void CheckHeads(UploadFileHeader file, ref List<string>? errors, bool isComplete)
    {
        for (var i = 0; i < _validators.Count && _headsPending > 0; i++)
        {
            var validator = _validators[i];
            if (_headChecked[i] || (!isComplete && _headFilled < validator.HeadLength))
            {
                continue;
            }

            _headChecked[i] = true;
            _headsPending--;
            Add(ref errors, validator.ValidateHead(file, _head.AsSpan(0, Math.Min(_headFilled, validator.HeadLength))));
        }
    }

    private static void Add(ref List<string>? errors, string? error)
    {
        if (error is not null)
        {
            (errors ??= []).Add(error);
        }
    }

    private void ThrowIfAny(UploadFileHeader file, List<string>? errors)
    {
        if (errors is not null)
        {
            _file = null;
            throw FileValidation.Reject(file, errors);
        }
    }
}
