using UploadKit.Stores;

namespace UploadKit;

/// <summary>A begun direct upload: its session id, where its object goes, and the signed request the client makes.</summary>
public sealed class DirectUpload
{
    internal DirectUpload(UploadSession session, PresignedUrl signedRequest)
    {
        Id = session.Id;
        StorageName = session.StorageName;
        ObjectName = session.ObjectName;
        SignedRequest = signedRequest;
    }

    /// <summary>Gets the session id: keep it on the app's record, and complete the upload with it.</summary>
    public string Id { get; }

    /// <summary>Gets the registry name of the storage the object goes to.</summary>
    public string StorageName { get; }

    /// <summary>Gets the object name reserved for the upload.</summary>
    public string ObjectName { get; }

    /// <summary>
    /// Gets the signed request the client makes: its method (<c>PUT</c>, or <c>POST</c> for a browser form), URL,
    /// the headers to send exactly, a form's fields, and when it stops being accepted. Its URL carries credentials:
    /// never log it.
    /// </summary>
    public PresignedUrl SignedRequest { get; }
}
