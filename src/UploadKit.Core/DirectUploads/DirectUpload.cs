using UploadKit.Stores;

namespace UploadKit;

/// <summary>A begun direct upload: its session id, and the signed request the client makes.</summary>
public sealed class DirectUpload
{
    internal DirectUpload(UploadSession session, PresignedUrl request)
    {
        Id = session.Id;
        StorageName = session.StorageName;
        ObjectName = session.ObjectName;
        Method = request.Method;
        Url = request.Url;
        Headers = request.Headers;
        FormFields = request.FormFields;
        FileFieldName = request.FileFieldName;
        ExpiresOn = request.ExpiresOn;
    }

    /// <summary>Gets the session id: keep it on the app's record, and complete the upload with it.</summary>
    public string Id { get; }

    /// <summary>Gets the registry name of the storage the object goes to.</summary>
    public string StorageName { get; }

    /// <summary>Gets the object name reserved for the upload.</summary>
    public string ObjectName { get; }

    /// <summary>Gets the HTTP method the client uses: <c>PUT</c>, or <c>POST</c> for a browser form.</summary>
    public string Method { get; }

    /// <summary>Gets the URL the client uploads to. It carries credentials: never log it.</summary>
    public Uri Url { get; }

    /// <summary>Gets the headers the client must send, exactly as given.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Gets, for a form <c>POST</c>, the fields the client sends before the file part, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> FormFields { get; }

    /// <summary>Gets, for a form <c>POST</c>, the name of the file field.</summary>
    public string? FileFieldName { get; }

    /// <summary>Gets when the signed request stops being accepted.</summary>
    public DateTimeOffset ExpiresOn { get; }
}
