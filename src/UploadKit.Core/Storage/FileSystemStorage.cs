using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace UploadKit;

/// <summary>
/// Keeps files in a folder on the local disk: Django's <c>FileSystemStorage</c>. Saves are atomic: bytes go to a
/// temporary file in the target folder, which then takes its name in one step (a hard link on Unix, which fails rather
/// than replaces when a concurrent save took the name), so a reader never sees half a file, no save replaces another
/// unless <see cref="FileSystemStorageOptions.Overwrite"/> asks for it, and a failed or cancelled save leaves nothing. Content types, checksums and
/// metadata given at save time are kept beside the files, in the storage's reserved <c>.uploadkit</c> folder, which no file name may enter. Metadata
/// names the content it was saved with and is ignored beside any other, so a reader never sees one file's bytes with another's
/// content type or checksums.
/// </summary>
/// <remarks>
/// Every operation resolves the real path of a name, following every symbolic link along it, and refuses a name that
/// ends outside <see cref="Location"/> or in its reserved folder with <see cref="SuspiciousFileNameException"/>: a link
/// in the folder can neither serve, overwrite nor delete a file elsewhere. <see cref="FileStorage.ListAsync"/> follows links only
/// where they stay inside, visits each folder once, and stops when cancelled. Names are used exactly as given, so
/// whether <c>Song.mp3</c> and <c>song.mp3</c> (or the NFC and NFD forms of <c>café.txt</c>) are one file or two is the
/// file system's answer; a save never replaces an existing file of either name unless asked to.
/// </remarks>
public sealed class FileSystemStorage : FileStorage, ILocalFileStorage, IResumableFileStorage
{
    private const string Reserved = FileStorageNames.ReservedPrefix;

    private readonly string _root;
    private readonly string? _baseUrl;
    private readonly UnixFileMode _fileMode;
    private readonly UnixFileMode _directoryMode;
    private string? _realRoot;
    private bool _namelessUnsupported;
    private SpareFile? _spare;
    private int _spareOpening;
    private string? _lastNamelessFolder;
    private int _sparesUsed;

    /// <summary>Creates a storage over <see cref="FileSystemStorageOptions.Location"/>.</summary>
    /// <param name="options">The storage's settings; a relative location is resolved against the current directory.</param>
    /// <exception cref="OptionsValidationException">A setting is missing or invalid.</exception>
    public FileSystemStorage(FileSystemStorageOptions options)
        : this(options, contentRoot: null, storageName: Options.DefaultName)
    {
    }

    internal FileSystemStorage(FileSystemStorageOptions options, string? contentRoot, string storageName)
        : base(storageName, (options ?? throw new ArgumentNullException(nameof(options))).Overwrite)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Location))
        {
            failures.Add("The option 'Location' is required: the folder files are kept in.");
        }

        if (!StorageHelpers.TryParseMode(options.FilePermissions, out _fileMode))
        {
            failures.Add($"The option 'FilePermissions' must be an octal mode such as \"644\", not '{options.FilePermissions}'.");
        }

        if (!StorageHelpers.TryParseMode(options.DirectoryPermissions, out _directoryMode))
        {
            failures.Add($"The option 'DirectoryPermissions' must be an octal mode such as \"755\", not '{options.DirectoryPermissions}'.");
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(storageName, typeof(FileSystemStorageOptions), failures);
        }

        var location = Path.GetFullPath(options.Location!, contentRoot ?? Directory.GetCurrentDirectory());
        _root = Path.TrimEndingDirectorySeparator(location) + Path.DirectorySeparatorChar;
        _baseUrl = options.BaseUrl;
    }

    /// <summary>Gets the full path of the storage's folder.</summary>
    public string Location => _root;

    /// <summary>
    /// Gets or sets whether saves of bytes held in memory still try nameless files (<c>O_TMPFILE</c>): turned off for good
    /// the first time the folder's file system refuses one, and by tests to take the named temporary file instead.
    /// </summary>
    internal bool UsesNamelessFiles
    {
        get => !_namelessUnsupported;
        set => _namelessUnsupported = !value;
    }

    /// <summary>Gets the folder of the nameless file opened ahead of the next save from memory, if one is open.</summary>
    internal string? SpareFileDirectory => Volatile.Read(ref _spare)?.Directory;

    /// <summary>Gets how many saves took a nameless file opened ahead.</summary>
    internal int SpareFilesUsed => Volatile.Read(ref _sparesUsed);

    /// <inheritdoc />
    /// <remarks>The content is written to a temporary file first, which then takes a free name atomically.</remarks>
    protected override bool ChecksNameBeforeWrite => false;

    /// <inheritdoc />
    protected override async Task<string> SaveCoreAsync(Stream content, StorageSave save, CancellationToken cancellationToken)
    {
        if (content is IBufferedContent buffered && !save.Overwrite && OperatingSystem.IsLinux())
        {
            // Bytes already in memory: one gathered write, no stream, no thread pool.
            cancellationToken.ThrowIfCancellationRequested();
            var path = SaveBuffered(buffered.Unread, save, cancellationToken);
            buffered.MarkRead();
            WriteNewMetadata(save, path, cancellationToken);
            return save.Name;
        }

        var temp = CreateTemporaryPath(save.Name);
        try
        {
            var stream = new FileStream(temp, CreateOptions());
            await using (stream.ConfigureAwait(false))
            {
                await StreamCopy.CopyAsync(content, stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return await CommitAsync(save, temp, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
    }

    async Task<string> ILocalFileStorage.SaveByMovingAsync(
        string name, Action<string> moveTo, FileSaveOptions options, CancellationToken cancellationToken)
    {
        name = ValidateName(name);
        var temp = CreateTemporaryPath(name);
        try
        {
            // A rename on one disk; a copy only when the temporary folder is on another one.
            moveTo(temp);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, _fileMode);
            }

            return await CommitAsync(CreateSave(name, options), temp, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>The bytes wait in a file of the storage's reserved folder, on the same disk, so completing is a link, not a copy.</remarks>
    public Task<ResumableWrite> BeginWriteAsync(string name, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        name = ValidateName(name);
        Resolve(name);
        return Task.FromResult(new ResumableWrite(name, 0, ResumableWriteState.Create(options).Serialize()));
    }

    /// <inheritdoc />
    public async Task<ResumableWrite> AppendAsync(ResumableWrite write, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = GetResumablePath(ResumableWriteState.Parse(write));
        CreateDirectory(Path.GetDirectoryName(path)!);
        var options = CreateOptions();
        options.Mode = FileMode.OpenOrCreate;
        var stream = new FileStream(path, options);
        await using (stream.ConfigureAwait(false))
        {
            if (stream.Length < write.Length)
            {
                throw new InvalidOperationException("The write holds fewer bytes than its recorded length.");
            }

            // Bytes past the recorded length belong to an append that was never recorded: replaced.
            stream.SetLength(write.Length);
            stream.Position = write.Length;
            await content.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new ResumableWrite(write.Name, stream.Length, write.State);
        }
    }

    /// <inheritdoc />
    public async Task<StoredFileInfo> CompleteWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        var state = ResumableWriteState.Parse(write);
        var path = GetResumablePath(state);
        var name = ValidateName(write.Name);
        if (write.Length == 0 && !File.Exists(path))
        {
            CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, [], cancellationToken).ConfigureAwait(false);
        }

        var file = new FileInfo(path);
        if (!file.Exists || file.Length < write.Length)
        {
            throw new InvalidOperationException("The write holds fewer bytes than its recorded length.");
        }

        if (file.Length > write.Length)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            RandomAccess.SetLength(handle, write.Length);
        }

        // The waiting file becomes the stored one: the same commit a save makes, under the save policy's names.
        var save = CreateSave(name, state.ToSaveOptions(write.Length));
        if (!save.Overwrite)
        {
            await save.SkipTakenNamesAsync(cancellationToken).ConfigureAwait(false);
        }

        var temp = CreateTemporaryPath(save.Name);
        File.Move(path, temp);
        try
        {
            var stored = await CommitAsync(save, temp, cancellationToken).ConfigureAwait(false);
            return Describe(stored, new FileInfo(Resolve(stored)));
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
    }

    /// <inheritdoc />
    public Task AbortWriteAsync(ResumableWrite write, CancellationToken cancellationToken = default)
    {
        TemporaryFiles.TryDelete(GetResumablePath(ResumableWriteState.Parse(write)));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override Task<Stream> OpenReadCoreAsync(string name, CancellationToken cancellationToken)
    {
        var path = Resolve(name);
        try
        {
            Stream stream = new FileStream(
                path,
                FileMode.Open,
                FileAccess.Read,
                FileShare.Read | FileShare.Delete,
                bufferSize: 0,
                FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult(stream);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException ||
            (ex is UnauthorizedAccessException && Directory.Exists(path)))
        {
            throw new FileNotFoundException($"No file is named '{name}'.", name, ex);
        }
    }

    /// <inheritdoc />
    protected override Task<bool> DeleteCoreAsync(string name, CancellationToken cancellationToken)
    {
        // The name itself goes (a link, not what it points at), once its real path is known to be inside.
        Resolve(name);
        var slash = name.LastIndexOf('/');
        var path = Path.Join(slash > 0 ? Resolve(name[..slash]) : RealRoot(), name[(slash + 1)..]);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        TemporaryFiles.TryDelete(GetMetadataPath(name));
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    protected override Task<bool> ExistsCoreAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(Resolve(name)));

    /// <inheritdoc />
    protected override Task<StoredFileInfo?> GetMetadataCoreAsync(string name, CancellationToken cancellationToken)
    {
        var info = new FileInfo(Resolve(name));
        return Task.FromResult(info.Exists ? Describe(name, info) : null);
    }

    /// <inheritdoc />
    protected override async IAsyncEnumerable<StoredFileInfo> ListCoreAsync(
        string prefix, string folder, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var realRoot = RealRoot();
        var start = folder.Length > 0 ? Resolve(ValidateName(folder)) : realRoot;
        if (!Directory.Exists(start))
        {
            yield break;
        }

        // A walk of our own rather than a recursive enumeration: a link is followed only when it resolves inside the
        // location, each real folder is visited once (two links pointing at each other cannot loop), and every step
        // checks the cancellation. Folders reached through links wait until the plain tree has been walked, so a file
        // is listed under its own path rather than under a link to its folder.
        var files = new List<(string Name, string Path)>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(string Path, string Name)>();
        var linked = new Queue<(string Path, string Name)>();
        pending.Push((start, folder));
        var enumeration = new EnumerationOptions { IgnoreInaccessible = true, AttributesToSkip = 0 };
        while (pending.TryPop(out var directory) || linked.TryDequeue(out directory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!visited.Add(Path.TrimEndingDirectorySeparator(directory.Path)))
            {
                continue;
            }

            FileSystemInfo[] entries;
            try
            {
                entries = new DirectoryInfo(directory.Path).GetFileSystemInfos("*", enumeration);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = directory.Name.Length == 0 ? entry.Name : directory.Name + "/" + entry.Name;
                if (entry.Name.StartsWith(Reserved, StringComparison.OrdinalIgnoreCase) || !CouldMatch(name, prefix))
                {
                    continue;
                }

                var path = entry.FullName;

                // The enumeration read each entry's attributes already: only links cost a further call.
                var isLink = entry.Attributes.HasFlag(FileAttributes.ReparsePoint) && entry.LinkTarget is not null;
                if (isLink && !TryResolveInside(path, realRoot, out path))
                {
                    continue;
                }

                if (Directory.Exists(path))
                {
                    if (isLink)
                    {
                        linked.Enqueue((path, name));
                    }
                    else
                    {
                        pending.Push((path, name));
                    }
                }
                else if (name.StartsWith(prefix, StringComparison.Ordinal) && FileStorageNames.IsWellFormedUtf16(name))
                {
                    files.Add((name, path));
                }
            }
        }

        files.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        foreach (var (name, path) in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(path);
            if (info.Exists)
            {
                yield return Describe(name, info);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="name"/>, or a name below it, can start with <paramref name="prefix"/>.</summary>
    private static bool CouldMatch(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) || prefix.StartsWith(name + "/", StringComparison.Ordinal);

    /// <summary>Resolves a link met while listing; <see langword="false"/> if it leads outside, into the reserved folder, or round in a
    /// loop.</summary>
    private static bool TryResolveInside(string link, string realRoot, out string path)
    {
        try
        {
            path = RealPaths.Resolve(link);
        }
        catch (IOException)
        {
            path = link;
            return false;
        }

        return path.StartsWith(realRoot, StringComparison.Ordinal) && !IsReserved(path[realRoot.Length..].Replace(Path.DirectorySeparatorChar, '/'));
    }

    /// <inheritdoc />
    /// <remarks>The bytes are copied on the disk into a temporary file beside the destination, which then takes its name.</remarks>
    protected override Task<StoredFileInfo> CopyCoreAsync(
        string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken) =>
        CopyOrLinkAsync(sourceName, destinationName, sourceETag, link: false, cancellationToken);

    Task<StoredFileInfo> ILocalFileStorage.LinkAsync(
        string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken) =>
        CopyOrLinkAsync(sourceName, destinationName, sourceETag, link: true, cancellationToken);

    /// <inheritdoc />
    protected override Task<string?> GetUrlCoreAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(StorageHelpers.BuildUrl(_baseUrl, name));

    private async Task<StoredFileInfo> CopyOrLinkAsync(
        string sourceName, string destinationName, string? sourceETag, bool link, CancellationToken cancellationToken)
    {
        sourceName = ValidateName(sourceName);
        destinationName = ValidateName(destinationName);
        var source = Resolve(sourceName);
        var info = new FileInfo(source);
        var described = info.Exists ? Describe(sourceName, info) : null;
        if (described is null || (sourceETag is not null && !string.Equals(described.ETag, sourceETag, StringComparison.Ordinal)))
        {
            throw new FileNotFoundException($"No file named '{sourceName}' with the expected content exists.", sourceName);
        }

        var options = StorageHelpers.SaveOptionsOf(described);
        var temp = CreateTemporaryPath(destinationName);
        try
        {
            // A link gives the same bytes a second name (the storage never writes a file in place, so the names stay
            // independent); where the file system has no links, or a copy was asked for, the bytes are copied.
            if (!link || OperatingSystem.IsWindows() || UnixFileLinks.TryLink(source, temp) != LinkResult.Linked)
            {
                TemporaryFiles.TryDelete(temp);
                File.Copy(source, temp);
            }

            cancellationToken.ThrowIfCancellationRequested();
            await CommitAsync(CreateSave(destinationName, options), temp, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }

        var copied = new FileInfo(Resolve(destinationName));
        return copied.Exists
            ? Describe(destinationName, copied)
            : throw new IOException($"The copy '{destinationName}' disappeared as soon as it was made.");
    }

    /// <inheritdoc />
    /// <exception cref="SuspiciousFileNameException">The name escapes the storage, or enters its reserved <c>.uploadkit</c> folder.</exception>
    protected override string ValidateName(string name)
    {
        name = base.ValidateName(name);
        if (IsReserved(name))
        {
            throw new SuspiciousFileNameException($"Names starting with '{Reserved}' are reserved by the storage.");
        }

        return name;
    }

    /// <summary>
    /// Whether a segment of <paramref name="name"/> (separated by <c>/</c> or the system's separator) starts with
    /// <see cref="Reserved"/>.
    /// </summary>
    private static bool IsReserved(ReadOnlySpan<char> name)
    {
        foreach (var range in name.SplitAny('/', Path.DirectorySeparatorChar))
        {
            if (name[range].StartsWith(Reserved, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The real path of the storage's folder (its own links resolved), ending in a separator: resolved once the folder
    /// exists, and again on every call until then.
    /// </summary>
    private string RealRoot()
    {
        if (_realRoot is { } known)
        {
            return known;
        }

        var exists = Directory.Exists(_root);
        var real = Path.TrimEndingDirectorySeparator(RealPaths.Resolve(_root)) + Path.DirectorySeparatorChar;
        if (exists)
        {
            _realRoot = real;
        }

        return real;
    }

    /// <summary>
    /// The real path of a valid name: every link along it followed. A name that ends outside the location, or inside its
    /// reserved folder, is refused.
    /// </summary>
    private string Resolve(string name)
    {
        var realRoot = RealRoot();
        string path;
        try
        {
            path = RealPaths.Resolve(realRoot, name);
        }
        catch (IOException)
        {
            // Links pointing at each other; the message leaves the server's paths out, as it may reach the client.
            throw new SuspiciousFileNameException("The file name runs through too many links to resolve.");
        }

        if (!path.StartsWith(realRoot, StringComparison.Ordinal) || path.Length == realRoot.Length)
        {
            throw new SuspiciousFileNameException("The file name leads outside the storage's location.");
        }

        if (IsReserved(path.AsSpan(realRoot.Length)))
        {
            throw new SuspiciousFileNameException($"The file name leads into the storage's reserved '{Reserved}' folder.");
        }

        return path;
    }

    private string GetMetadataPath(string name)
    {
        var realRoot = RealRoot();
        var metadataRoot = Path.Join(realRoot, Reserved, "meta") + Path.DirectorySeparatorChar;
        var path = RealPaths.Resolve(realRoot, Path.Join(Reserved, "meta", name));
        if (!path.StartsWith(metadataRoot, StringComparison.Ordinal))
        {
            throw new SuspiciousFileNameException("The file's metadata would lie outside the storage's location.");
        }

        return path;
    }

    private string GetResumablePath(ResumableWriteState state) => Path.Join(RealRoot(), Reserved, "resumable", state.Id + ".part");

    private string CreateTemporaryPath(string name)
    {
        var directory = Path.GetDirectoryName(Resolve(name))!;
        CreateDirectory(directory);
        return TemporaryPathIn(directory);
    }

    /// <summary>A new temporary file's path in <paramref name="directory"/>, under the reserved prefix no name can take.</summary>
    private static string TemporaryPathIn(string directory) =>
        Path.Combine(directory, Reserved + "-" + Guid.NewGuid().ToString("N") + ".tmp");

    private void CreateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, _directoryMode);
        }
    }

    private FileStreamOptions CreateOptions()
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = _fileMode;
        }

        return options;
    }

    private async Task<string> CommitAsync(StorageSave save, string temp, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var name = save.Name;
        var options = save.Options;

        // The metadata names the content it describes (its ETag, which renames and links keep), and is ignored beside
        // other content: two files cannot be swapped together, so a reader between the two steps, or after a replace
        // by a concurrent save, sees the file without its metadata, never with another file's.
        if (save.Overwrite)
        {
            // Known name: the metadata goes first, so it is in place the moment the new content is.
            var path = Resolve(name);
            var contentTag = NeedsMetadata(name, options) ? GetContentTag(new FileInfo(temp)) : null;
            WriteMetadata(name, contentTag, options, atomically: true);
            try
            {
                File.Move(temp, path, overwrite: true);
            }
            catch
            {
                TemporaryFiles.TryDelete(GetMetadataPath(name));
                throw;
            }

            return name;
        }

        // A directory of the name fails the link (or the exclusive create) as a file would: no separate check.
        var linksUnsupported = false;
        while (Resolve(save.Name) is var path && !TryCommitNew(temp, path, ref linksUnsupported))
        {
            save.NextName();
        }

        WriteNewMetadata(save, Resolve(save.Name), cancellationToken);
        return save.Name;
    }

    /// <summary>
    /// Writes the metadata of a file that just took the new name <see cref="StorageSave.Name"/> (at <paramref name="path"/>),
    /// if it has any the file does not tell by itself; should that fail, the file goes again.
    /// </summary>
    private void WriteNewMetadata(StorageSave save, string path, CancellationToken cancellationToken)
    {
        // A new name is known only once taken; until the metadata follows, a reader sees the file's own properties. A
        // file with nothing to add gets no metadata at all: a leftover of an earlier file of the name (deleted around the
        // storage) names that file's content, so it is ignored beside this one.
        if (!NeedsMetadata(save.Name, save.Options))
        {
            return;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            WriteMetadata(save.Name, GetContentTag(new FileInfo(path)), save.Options, atomically: false);
        }
        catch
        {
            TemporaryFiles.TryDelete(path);
            throw;
        }
    }

    /// <summary>
    /// Whether a save's options say anything a reader would not know from the file itself: a content type other than the
    /// name's, a disposition, checksums or metadata.
    /// </summary>
    private static bool NeedsMetadata(string name, FileSaveOptions? options) =>
        options is not null &&
        ((options.ContentType is { } type && !string.Equals(type, StoredContentTypes.FromName(name), StringComparison.Ordinal)) ||
            options.ContentDisposition is not null || options.HasChecksums || options.HasMetadata);

    /// <summary>
    /// Stores bytes held in memory under a new name: written into a nameless file of the name's folder that the name is
    /// then linked to (Linux's <c>O_TMPFILE</c>: one create, no temporary name to remove, nothing left if the process
    /// dies), else through a named temporary file as a stream's save.
    /// </summary>
    /// <returns>The path the file now has, under <see cref="StorageSave.Name"/>.</returns>
    private string SaveBuffered(ReadOnlySequence<byte> bytes, StorageSave save, CancellationToken cancellationToken)
    {
        var path = Resolve(save.Name);
        var directory = Path.GetDirectoryName(path)!;
        using (var nameless = OpenNameless(directory, out var openedAhead))
        {
            if (nameless is not null)
            {
                Write(nameless, bytes);
                cancellationToken.ThrowIfCancellationRequested();
                while (true)
                {
                    var result = UnixFileLinks.TryLinkNameless(nameless, path);
                    if (result == LinkResult.Linked)
                    {
                        return path;
                    }

                    if (result == LinkResult.NotSupported)
                    {
                        // No /proc, or the name's folder on another file system: named temporary files from now on. A folder
                        // removed meanwhile is no reason for that, nor a file opened ahead, which the folder may have changed
                        // since (a mount, its permissions); the named file below reports a real error either way.
                        _namelessUnsupported = !openedAhead && Directory.Exists(Path.GetDirectoryName(path));
                        break;
                    }

                    save.NextName();
                    path = Resolve(save.Name);
                }
            }
        }

        var temp = TemporaryPathIn(Path.GetDirectoryName(path)!);
        try
        {
            using (var handle = CreateFile(temp, exclusive: true))
            {
                Write(handle, bytes);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var linksUnsupported = false;
            while (!TryCommitNew(temp, path, ref linksUnsupported))
            {
                save.NextName();
                path = Resolve(save.Name);
            }

            return path;
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// A nameless file for a save of bytes held in memory into <paramref name="directory"/>: the one opened ahead for that
    /// folder when there is one, else a new one. Creating a file is the dearest step of storing a small one, so when saves
    /// follow each other into one folder the next file is opened ahead, on the thread pool, and the next save into it
    /// does not wait for its creation. The file has no name until a save links it, so it leaves nothing in the folder,
    /// even if the process dies; a storage keeps at most one, and a save takes it only within <see cref="SpareLifetime"/>.
    /// </summary>
    /// <param name="directory">The real path of the name's folder.</param>
    /// <param name="openedAhead">Whether the file was opened ahead, rather than now.</param>
    private SafeFileHandle? OpenNameless(string directory, out bool openedAhead)
    {
        openedAhead = false;
        if (_namelessUnsupported)
        {
            Interlocked.Exchange(ref _spare, null)?.Handle.Dispose();
            return null;
        }

        var sameFolder = string.Equals(Interlocked.Exchange(ref _lastNamelessFolder, directory), directory, StringComparison.Ordinal);
        if (Interlocked.Exchange(ref _spare, null) is { } spare)
        {
            if (string.Equals(spare.Directory, directory, StringComparison.Ordinal) &&
                Environment.TickCount64 - spare.OpenedAt < (long)SpareLifetime.TotalMilliseconds)
            {
                openedAhead = true;
                Interlocked.Increment(ref _sparesUsed);
                OpenAhead(directory);
                return spare.Handle;
            }

            // Opened for another folder, or so long ago that its folder's owner, permissions or mounts may have changed.
            spare.Handle.Dispose();
        }

        var handle = UnixFileLinks.TryOpenNameless(directory, _fileMode, out var failure);
        if (failure == NamelessFailure.DirectoryMissing)
        {
            CreateDirectory(directory);
            handle = UnixFileLinks.TryOpenNameless(directory, _fileMode, out failure);
        }

        if (failure == NamelessFailure.Unsupported)
        {
            // A file system without nameless files: named temporary files from now on.
            _namelessUnsupported = true;
        }

        // A storage that saves once, or into a new folder each time, opens nothing ahead.
        if (handle is not null && sameFolder)
        {
            OpenAhead(directory);
        }

        return handle;
    }

    /// <summary>How long a nameless file opened ahead may wait for a save; after that the next save closes it unused.</summary>
    private static TimeSpan SpareLifetime => TimeSpan.FromMinutes(1);

    /// <summary>Opens a nameless file of <paramref name="directory"/> for the next save on the thread pool, unless one is being opened.</summary>
    private void OpenAhead(string directory)
    {
        if (Interlocked.CompareExchange(ref _spareOpening, 1, 0) != 0)
        {
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                var (storage, directory) = state;
                SafeFileHandle? handle;
                try
                {
                    // Any failure leaves no file opened ahead: the save opens its own and reports a real error.
                    handle = UnixFileLinks.TryOpenNameless(directory, storage._fileMode, out _);
                }
                finally
                {
                    Volatile.Write(ref storage._spareOpening, 0);
                }

                // A file opened meanwhile (for an older folder) stays until a save takes or closes it.
                var spare = handle is null ? null : new SpareFile(directory, handle, Environment.TickCount64);
                if (spare is not null && Interlocked.CompareExchange(ref storage._spare, spare, null) is not null)
                {
                    handle!.Dispose();
                }
            },
            (this, directory),
            preferLocal: false);
    }

    /// <summary>Creates a file for writing (Linux), and its folder when that is missing.</summary>
    private SafeFileHandle CreateFile(string path, bool exclusive)
    {
        try
        {
            return UnixFileLinks.Create(path, _fileMode, exclusive);
        }
        catch (DirectoryNotFoundException)
        {
            CreateDirectory(Path.GetDirectoryName(path)!);
            return UnixFileLinks.Create(path, _fileMode, exclusive);
        }
    }

    private static void Write(SafeFileHandle handle, ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            RandomAccess.Write(handle, bytes.FirstSpan, 0);
            return;
        }

        // One pwritev() for every block of the file.
        var segments = new List<ReadOnlyMemory<byte>>();
        foreach (var segment in bytes)
        {
            segments.Add(segment);
        }

        RandomAccess.Write(handle, segments, 0);
    }

    private static string GetContentTag(FileInfo info) => StorageHelpers.MakeETag(info.LastWriteTimeUtc.Ticks, info.Length);

    /// <summary>Gives the temporary file the name <paramref name="path"/> only if that name is free, atomically.</summary>
    /// <returns><see langword="false"/> if the name is taken.</returns>
    private static bool TryCommitNew(string temp, string path, ref bool linksUnsupported)
    {
        if (OperatingSystem.IsWindows())
        {
            // MoveFileEx without MOVEFILE_REPLACE_EXISTING fails, atomically, when the name exists.
            try
            {
                File.Move(temp, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path) || Directory.Exists(path))
            {
                return false;
            }
        }

        if (!linksUnsupported)
        {
            // On Unix rename() always replaces, and File.Move without overwrite only checks the name before renaming,
            // so two saves could both take it. link() fails with EEXIST instead.
            switch (UnixFileLinks.TryLink(temp, path))
            {
                case LinkResult.Linked:
                    // The file now has both names; the temporary one goes (should that fail, it stays under the reserved prefix, which no listing
                    // shows).
                    TemporaryFiles.TryDelete(temp);
                    return true;
                case LinkResult.NameTaken:
                    return false;
                default:
                    linksUnsupported = true;
                    break;
            }
        }

        // A file system without hard links: reserve the name by creating it exclusively, then replace the empty
        // placeholder. A reader may briefly see an empty file under the name in between.
        try
        {
            new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete).Dispose();
        }
        catch (IOException) when (File.Exists(path) || Directory.Exists(path))
        {
            return false;
        }

        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TemporaryFiles.TryDelete(path);
            throw;
        }

        return true;
    }

    /// <summary>
    /// Writes the metadata of <paramref name="name"/>, or deletes what there is when <paramref name="contentTag"/> is
    /// <see langword="null"/> (the file has nothing to add). It is a few hundred bytes: one synchronous write.
    /// </summary>
    /// <param name="name">The file's name.</param>
    /// <param name="contentTag">The tag of the content the metadata describes.</param>
    /// <param name="options">The save's options.</param>
    /// <param name="atomically">Whether the metadata replaces any in one step (a temporary file renamed over it), for a file
    /// whose name is already visible; a file that has just taken a free name has no metadata yet (any there is names
    /// other content and is ignored), so its metadata is written in place.</param>
    private void WriteMetadata(string name, string? contentTag, FileSaveOptions? options, bool atomically)
    {
        var path = GetMetadataPath(name);
        if (contentTag is null || options is null)
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            return;
        }

        var json = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("content", contentTag);
            if (options.ContentType is not null)
            {
                writer.WriteString("contentType", options.ContentType);
            }

            if (options.ContentDisposition is not null)
            {
                writer.WriteString("contentDisposition", options.ContentDisposition);
            }

            WriteDictionary(writer, "checksums", options.Checksums);
            WriteDictionary(writer, "metadata", options.Metadata);
            writer.WriteEndObject();
        }

        var target = atomically ? TemporaryPathIn(Path.GetDirectoryName(path)!) : path;
        try
        {
            WriteMetadataFile(target, json.WrittenSpan, createNew: atomically);
            if (atomically)
            {
                File.Move(target, path, overwrite: true);
            }
        }
        catch
        {
            TemporaryFiles.TryDelete(target);
            throw;
        }
    }

    /// <summary>Writes a metadata file, new or emptied, creating its folder when it is missing.</summary>
    private void WriteMetadataFile(string path, ReadOnlySpan<byte> bytes, bool createNew)
    {
        if (OperatingSystem.IsLinux())
        {
            using var handle = CreateFile(path, exclusive: createNew);
            RandomAccess.Write(handle, bytes, 0);
            return;
        }

        CreateDirectory(Path.GetDirectoryName(path)!);
        var options = CreateOptions();
        options.Mode = createNew ? FileMode.CreateNew : FileMode.Create;
        options.Options = FileOptions.None;
        using var stream = new FileStream(path, options);
        stream.Write(bytes);
    }

    private static void WriteDictionary(Utf8JsonWriter writer, string property, IDictionary<string, string> values)
    {
        writer.WriteStartObject(property);
        foreach (var (key, value) in values)
        {
            writer.WriteString(key, value);
        }

        writer.WriteEndObject();
    }

    private StoredFileInfo Describe(string name, FileInfo info)
    {
        string? contentType = null;
        string? contentDisposition = null;
        var checksums = UploadFileHeader.EmptyParameters;
        var metadata = UploadFileHeader.EmptyParameters;
        var metadataPath = GetMetadataPath(name);
        if (File.Exists(metadataPath))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(metadataPath));
                var root = document.RootElement;
                if (root.TryGetProperty("content", out var content) && content.ValueEquals(GetContentTag(info)))
                {
                    if (root.TryGetProperty("contentType", out var type))
                    {
                        contentType = type.GetString();
                    }

                    if (root.TryGetProperty("contentDisposition", out var disposition))
                    {
                        contentDisposition = disposition.GetString();
                    }

                    checksums = ReadDictionary(root, "checksums");
                    metadata = ReadDictionary(root, "metadata");
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException or InvalidOperationException)
            {
                // Unreadable metadata (deleted meanwhile, or damaged) or metadata of other content leaves the file's own properties.
            }
        }

        contentType ??= StoredContentTypes.FromName(name);
        var modified = info.LastWriteTimeUtc;
        return new StoredFileInfo(name, info.Length)
        {
            ContentType = contentType,
            ContentDisposition = contentDisposition ?? StoredContentTypes.GetContentDisposition(contentType, null),
            LastModified = new DateTimeOffset(modified, TimeSpan.Zero),
            ETag = StorageHelpers.MakeETag(modified.Ticks, info.Length),
            Checksums = checksums,
            Metadata = metadata,
        };
    }

    private static IReadOnlyDictionary<string, string> ReadDictionary(JsonElement root, string property)
    {
        if (!root.TryGetProperty(property, out var element) || element.ValueKind != JsonValueKind.Object)
        {
            return UploadFileHeader.EmptyParameters;
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in element.EnumerateObject())
        {
            values[item.Name] = item.Value.GetString() ?? string.Empty;
        }

        return values;
    }

    /// <summary>A nameless file opened ahead of a save into <see cref="Directory"/>, at <see cref="OpenedAt"/> (a
    /// <see cref="Environment.TickCount64"/>).</summary>
    private sealed record SpareFile(string Directory, SafeFileHandle Handle, long OpenedAt);
}
