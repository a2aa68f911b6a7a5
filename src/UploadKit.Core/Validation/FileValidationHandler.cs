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
    private byte[]? _head;
    private int _headFilled;
    private bool _headChecked;

    /// <summary>Creates the handler.</summary>
    /// <param name="fieldName">The form field whose files are checked; <see langword="null"/> for every field.</param>
    /// <param name="validators">The validators, run in order; every failure is reported.</param>
    public FileValidationHandler(string? fieldName, IReadOnlyList<IFileValidator> validators)
    {
        _fieldName = fieldName;
        _validators = validators;
        _headLength = FileValidation.GetHeadLength(validators);
    }

    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = null;
        if (_fieldName is not null && !string.Equals(file.FieldName, _fieldName, StringComparison.Ordinal))
        {
            return ValueTask.CompletedTask;
        }

        var errors = new List<string>();
        FileValidation.Collect(errors, _validators, v => v.ValidateFile(file));
        ThrowIfAny(file, errors);
        _file = file;
        _headFilled = 0;
        _headChecked = _headLength == 0;
        if (!_headChecked)
        {
            _head ??= new byte[_headLength];
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

        if (!_headChecked)
        {
            var count = Math.Min(chunk.Length, _headLength - _headFilled);
            chunk.Span[..count].CopyTo(_head.AsSpan(_headFilled));
            _headFilled += count;
            if (_headFilled == _headLength)
            {
                CheckHead(file);
            }
        }

        var errors = new List<string>();
        var length = offset + chunk.Length;
        FileValidation.Collect(errors, _validators, v => v.ValidateLength(file, length, isComplete: false));
        ThrowIfAny(file, errors);
        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }

    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        var file = _file;
        _file = null;
        if (file is not null)
        {
            var errors = new List<string>();
            if (!_headChecked)
            {
                _headChecked = true;
                var head = _head.AsSpan(0, _headFilled);
                foreach (var validator in _validators)
                {
                    if (validator.ValidateHead(file, head) is { } error)
                    {
                        errors.Add(error);
                    }
                }
            }

            FileValidation.Collect(errors, _validators, v => v.ValidateLength(file, size, isComplete: true));
            ThrowIfAny(file, errors);
        }

        return ValueTask.FromResult<UploadedFile?>(null);
    }

    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        _file = null;
        return ValueTask.CompletedTask;
    }

    private void CheckHead(UploadFileHeader file)
    {
        _headChecked = true;
        var errors = new List<string>();
        var head = _head.AsSpan(0, _headFilled);
        foreach (var validator in _validators)
        {
            if (validator.ValidateHead(file, head) is { } error)
            {
                errors.Add(error);
            }
        }

        ThrowIfAny(file, errors);
    }

    private void ThrowIfAny(UploadFileHeader file, List<string> errors)
    {
        if (errors.Count > 0)
        {
            _file = null;
            throw FileValidation.Reject(file.FieldName, errors);
        }
    }
}
