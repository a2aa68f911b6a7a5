namespace UploadKit;

/// <summary>Runs validators and turns their messages into a DRF-shaped 400 rejection.</summary>
internal static class FileValidation
{
    /// <summary>The field name errors are reported under when a file came without one (a raw body).</summary>
    public const string DefaultField = "file";

    public static UploadRejectedException Reject(UploadFileHeader file, IReadOnlyList<string> messages) =>
        UploadRejectedException.Invalid(file.FieldName.Length > 0 ? file.FieldName : DefaultField, messages, file.FileName);

    public static int GetHeadLength(IReadOnlyList<IFileValidator> validators)
    {
        var length = 0;
        foreach (var validator in validators)
        {
            length = Math.Max(length, validator.HeadLength);
        }

        return length;
    }

    /// <summary>
    /// Runs <paramref name="validators"/> on a stored object: name and type from its properties, the head read from
    /// the storage, the stored length. Used to confirm a direct upload.
    /// </summary>
    /// <param name="storage">The storage holding the object.</param>
    /// <param name="info">The object's properties, from <see cref="IFileStorage.GetMetadataAsync"/>.</param>
    /// <param name="fieldName">The field errors are reported under.</param>
    /// <param name="validators">The validators to run.</param>
    /// <param name="fileName">The client's file name, if it differs from the object's; <see langword="null"/> for the object's last segment.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The error messages; empty when the object passes.</returns>
    public static async Task<IReadOnlyList<string>> ValidateStoredAsync(
        IFileStorage storage,
        StoredFileInfo info,
        string fieldName,
        IReadOnlyList<IFileValidator> validators,
        string? fileName,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(info);
        fileName ??= info.Name[(info.Name.LastIndexOf('/') + 1)..];
        var header = new UploadFileHeader(fieldName, fileName, info.ContentType ?? string.Empty) { DeclaredLength = info.Length };
        var errors = new List<string>();
        Collect(errors, validators, v => v.ValidateFile(header));
        if (errors.Count > 0)
        {
            return errors;
        }

        var headLength = (int)Math.Min(GetHeadLength(validators), info.Length);
        var head = new byte[headLength];
        if (headLength > 0)
        {
            var stream = await storage.OpenReadAsync(info.Name, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                headLength = await stream.ReadAtLeastAsync(head, headLength, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var validator in validators)
        {
            if (validator.ValidateHead(header, head.AsSpan(0, headLength)) is { } error)
            {
                errors.Add(error);
            }
        }

        Collect(errors, validators, v => v.ValidateLength(header, info.Length, isComplete: true));
        return errors;
    }

    public static void Collect(List<string> errors, IReadOnlyList<IFileValidator> validators, Func<IFileValidator, string?> check)
    {
        foreach (var validator in validators)
        {
            if (check(validator) is { } error)
            {
                errors.Add(error);
            }
        }
    }
}
