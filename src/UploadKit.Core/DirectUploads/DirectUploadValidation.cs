using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// Runs the file validators of a direct upload's field on its stored object: the app-wide ones (<c>AddValidator</c>)
/// and those the caller passes for the field (the completing endpoint's <c>WithFileValidators</c>). Magic bytes are read from the object.
/// </summary>
internal static class DirectUploadValidation
{
    public static Task<IReadOnlyList<string>> ValidateAsync(
        AppFileValidators app,
        Func<string, IReadOnlyList<IFileValidator>> extra,
        UploadSession session,
        IFileStorage storage,
        StoredFileInfo info,
        CancellationToken cancellationToken)
    {
        var field = string.IsNullOrEmpty(session.FieldName) ? FileValidation.DefaultField : session.FieldName;
        var validators = new List<IFileValidator>();
        foreach (var (name, validator) in app.Validators)
        {
            if (name is null || string.Equals(name, field, StringComparison.Ordinal))
            {
                validators.Add(validator);
            }
        }

        validators.AddRange(extra(field));
        return validators.Count == 0
            ? Task.FromResult<IReadOnlyList<string>>([])
            : FileValidation.ValidateStoredAsync(storage, info, field, validators, session.FileName, cancellationToken);
    }
}
