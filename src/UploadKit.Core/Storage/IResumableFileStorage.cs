namespace UploadKit;

/// <summary>
/// A storage that takes one file in appends, across requests and app servers: what resumable uploads write to.
/// Nothing of the file is visible under any name until <see cref="CompleteWriteAsync"/> commits it.
/// </summary>
/// <remarks>
/// <para>
/// A write is described by a <see cref="ResumableWrite"/>: the file's target name, the bytes kept so far and the
/// storage's own state (an upload id, a part list). The caller keeps it with the upload, so any server can continue it.
/// </para>
/// <para>
/// <b>Appends are two-phase.</b> <see cref="AppendAsync"/> writes after the bytes the given write holds and returns the
/// next write; that next write takes effect only when the caller records it. A write that is never recorded (a checksum
/// mismatch, a lost lock) is discarded: the next append from the recorded write replaces what it left, and
/// <see cref="AbortWriteAsync"/> removes it.
/// </para>
/// </remarks>
public interface IResumableFileStorage
{
    /// <summary>Starts a file. Its name is sanitised and checked as <see cref="IFileStorage.SaveAsync"/> would; it is taken at completion.</summary>
    /// <param name="name">The name the file should have.</param>
    /// <param name="options">The file's media type, disposition and metadata; <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>An empty write.</returns>
    /// <exception cref="SuspiciousFileNameException">The name is unsafe.</exception>
    Task<ResumableWrite> BeginWriteAsync(string name, FileSaveOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="content"/>, read to its end, after the <see cref="ResumableWrite.Length"/> bytes
    /// <paramref name="write"/> holds, and returns the write that holds them too. Bytes written by an append that was
    /// not recorded are replaced.
    /// </summary>
    /// <param name="write">The write as last recorded.</param>
    /// <param name="content">The bytes to append; may be empty.</param>
    /// <param name="cancellationToken">Cancels the call; what it wrote is then discarded as if never recorded.</param>
    /// <returns>The next write, holding the appended bytes.</returns>
    Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits the file: its bytes appear at once under its name, or under the next free name when that one is taken
    /// and the storage does not overwrite. The write's resources (temporary files, parts, blocks) are released.
    /// </summary>
    /// <param name="write">The write as last recorded.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The stored file.</returns>
    Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default);

    /// <summary>Removes everything the write holds, including bytes of appends that were not recorded. Calling it twice is harmless.</summary>
    /// <param name="write">The write as last recorded.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the write's resources are gone.</returns>
    Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default);
}

/// <summary>A file being written in appends: its target name, the bytes kept so far and the storage's state for it.</summary>
public sealed class ResumableWrite
{
    /// <summary>Creates a write description.</summary>
    /// <param name="name">The sanitised name the file is to have.</param>
    /// <param name="length">The bytes the write holds.</param>
    /// <param name="state">The storage's own state for the write: plain text it parses back (JSON, an id).</param>
    public ResumableWrite(string name, long length, string state)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentNullException.ThrowIfNull(state);
        Name = name;
        Length = length;
        State = state;
    }

    /// <summary>Gets the sanitised name the file is to have.</summary>
    public string Name { get; }

    /// <summary>Gets the number of bytes the write holds.</summary>
    public long Length { get; }

    /// <summary>Gets the storage's own state for the write.</summary>
    public string State { get; }
}
