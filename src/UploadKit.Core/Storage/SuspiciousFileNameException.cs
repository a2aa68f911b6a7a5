namespace UploadKit;

/// <summary>
/// Thrown for a file name that would escape its storage or is not a valid name: Django's
/// <c>SuspiciousFileOperation</c>. Nothing is read or written when it is thrown.
/// </summary>
public sealed class SuspiciousFileNameException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong with the name.</param>
    public SuspiciousFileNameException(string message)
        : base(message)
    {
    }
}
