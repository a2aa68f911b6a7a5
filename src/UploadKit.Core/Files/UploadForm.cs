using Microsoft.Extensions.Primitives;

namespace UploadKit;

/// <summary>
/// The result of reading an upload: Django's <c>request.POST</c> and <c>request.FILES</c> together.
/// Disposing the form releases its files; the request does that when it ends. Endpoints take it as a parameter:
/// minimal APIs bind it with <c>BindAsync</c> (declared with the ASP.NET Core edge), MVC with the model binder
/// <c>AddUploadKit</c> registers.
/// </summary>
public sealed partial class UploadForm : IAsyncDisposable
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

    /// <summary>
    /// Keeps every file of the form saved so far (with <see cref="UploadedFile.SaveAsync"/> or
    /// <see cref="StoredUploadedFile.Keep"/>), and any saved later, whatever the request's answer. Without it, saved files
    /// are deleted again, and their quota given back, when the request fails (an answer of 400 and above, or an
    /// unhandled exception). Call it once the app has recorded the saved names, such as after the database
    /// transaction that points at them has committed, so a later failure cannot delete files the app refers to.
    /// </summary>
    public void KeepSavedFiles()
    {
        foreach (var file in Files)
        {
            file.SaveScope?.Keep(file);
        }
    }

    /// <summary>Releases every file of the form; a file that fails to release does not keep the others.</summary>
    /// <returns>A task that completes when the files are released.</returns>
    /// <exception cref="AggregateException">One or more files failed to release; every other file was released.</exception>
    public async ValueTask DisposeAsync()
    {
        List<Exception>? failures = null;
        foreach (var file in Files)
        {
            try
            {
                await file.DisposeAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Collected and thrown below, once every file has had its turn.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                (failures ??= []).Add(ex);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("Uploaded files failed to release.", failures);
        }
    }
}
