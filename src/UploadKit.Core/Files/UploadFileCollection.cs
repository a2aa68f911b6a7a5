using System.Collections;
using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>The files of an upload, in arrival order, several per field allowed (Django's <c>MultiValueDict</c>).</summary>
public sealed class UploadFileCollection : IReadOnlyList<UploadedFile>
{
    private readonly List<UploadedFile> _files;

    internal UploadFileCollection(IEnumerable<UploadedFile> files) => _files = [.. files];

    /// <inheritdoc />
    public int Count => _files.Count;

    /// <inheritdoc />
    public UploadedFile this[int index] => _files[index];

    /// <summary>Gets the last file sent in field <paramref name="fieldName"/> (Django's <c>FILES[name]</c>), or <see langword="null"/>.</summary>
    /// <param name="fieldName">The form field.</param>
    /// <returns>The file, or <see langword="null"/> if the field carried none.</returns>
    public UploadedFile? GetFile(string fieldName)
    {
        for (var i = _files.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_files[i].FieldName, fieldName, StringComparison.Ordinal))
            {
                return _files[i];
            }
        }

        return null;
    }

    /// <summary>Gets every file sent in field <paramref name="fieldName"/> (Django's <c>getlist</c>).</summary>
    /// <param name="fieldName">The form field.</param>
    /// <returns>The files in arrival order; empty if there are none.</returns>
    public IReadOnlyList<UploadedFile> GetFiles(string fieldName) =>
        _files.FindAll(f => string.Equals(f.FieldName, fieldName, StringComparison.Ordinal));

    /// <summary>Gets the file sent in field <paramref name="fieldName"/>, or refuses the request.</summary>
    /// <param name="fieldName">The form field.</param>
    /// <returns>The file.</returns>
    /// <exception cref="UploadRejectedException">No file was sent in the field (400, with the error on the field).</exception>
    public UploadedFile GetRequired(string fieldName) =>
        GetFile(fieldName) ?? throw UploadRejectedException.Invalid(fieldName, ["No file was submitted."]);

    /// <inheritdoc />
    public IEnumerator<UploadedFile> GetEnumerator() => _files.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
