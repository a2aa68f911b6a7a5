namespace UploadKit;

/// <summary>
/// A stream whose own <see cref="Stream.CopyToAsync(Stream, int, CancellationToken)"/> writes whole blocks of 1 MiB or
/// less without copying them (the blocks of a file streamed into storage): a copy into a file leaves it to the stream.
/// </summary>
internal interface IWholeBlockSource;
