namespace UploadKit;

/// <summary>
/// Django's <c>StopUpload</c>: thrown by a handler to stop reading the request body. Files completed so
/// far stay in the form; the rest of the body is not read. To fail the request instead, throw
/// <see cref="UploadRejectedException"/>.
/// </summary>
public sealed class StopUploadException : Exception
{
    /// <summary>Creates the signal.</summary>
    public StopUploadException()
        : base("A handler stopped the upload.")
    {
    }

    /// <summary>Creates the signal with a reason.</summary>
    /// <param name="message">Why the upload stopped.</param>
    public StopUploadException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Django's <c>SkipFile</c>: thrown by a handler from <see cref="UploadHandler.NewFileAsync"/> or
/// <see cref="UploadHandler.ReceiveChunkAsync"/> to ignore the current file. Its remaining bytes are
/// read past and no handler completes it; what handlers hold for it is released through
/// <see cref="UploadHandler.FileSkippedAsync"/>.
/// </summary>
public sealed class SkipFileException : Exception
{
    /// <summary>Creates the signal.</summary>
    public SkipFileException()
        : base("A handler skipped the file.")
    {
    }

    /// <summary>Creates the signal with a reason.</summary>
    /// <param name="message">Why the file is skipped.</param>
    public SkipFileException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Django's <c>StopFutureHandlers</c>: thrown by a handler from <see cref="UploadHandler.NewFileAsync"/>
/// to take the file for itself. Handlers after it in the chain are not told about this file and
/// receive none of its chunks.
/// </summary>
public sealed class StopFutureHandlersException : Exception
{
    /// <summary>Creates the signal.</summary>
    public StopFutureHandlersException()
        : base("A handler took the file; later handlers do not see it.")
    {
    }

    /// <summary>Creates the signal with a reason.</summary>
    /// <param name="message">Why later handlers are bypassed.</param>
    public StopFutureHandlersException(string message)
        : base(message)
    {
    }
}
