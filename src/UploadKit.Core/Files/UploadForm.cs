using Microsoft.Extensions.Primitives;

namespace UploadKit;

/// <summary>
/// The result of reading an upload: Django's <c>request.POST</c> and <c>request.FILES</c> together.
/// Disposing the form releases its files; the request does that when it ends.
/// </summary>
public sealed class UploadForm : IAsyncDisposable
{
    /// <summary>An empty form.</summary>
    public static UploadForm Empty => new(new Dictionary<string, StringValues>(), []);

    /// <summary>Creates a form.</summary>
    /// <param name="fields">The non-file fields, several values per name.</param>
    /// <param name="files">The files, in the order they arrived.</param>
    public UploadForm(IReadOnlyDictionary<string, StringValues> fields, IEnumerable<UploadedFile> files)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(files);
        Fields = fields;
        Files = new UploadFileCollection(files);
    }

    /// <summary>Gets the non-file fields (Django's <c>request.POST</c>); a name may carry several values.</summary>
    public IReadOnlyDictionary<string, StringValues> Fields { get; }

    /// <summary>Gets the files (Django's <c>request.FILES</c>); a field may carry several files.</summary>
    public UploadFileCollection Files { get; }

    /// <summary>Gets the values of field <paramref name="name"/>, or an empty value if it was not sent.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The values, in the order they arrived.</returns>
    public StringValues GetField(string name) => Fields.TryGetValue(name, out var values) ? values : StringValues.Empty;

    /// <summary>Releases every file of the form.</summary>
    /// <returns>A task that completes when the files are released.</returns>
    public async ValueTask DisposeAsync()
    {
        foreach (var file in Files)
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }
    }
}
