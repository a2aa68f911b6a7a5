using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace UploadKit;

/// <summary>
/// Keeps files in a folder on the local disk: Django's <c>FileSystemStorage</c>. Saves are atomic: bytes go to a
/// temporary file in the target folder, which then takes its name in one step (a hard link on Unix, which fails rather
/// than replaces when a concurrent save took the name), so a reader never sees half a file, no save replaces another
/// unless <see cref="FileSystemStorageOptions.Overwrite"/> asks for it, and a failed or cancelled save leaves nothing. Content types, checksums and metadata given at save time are kept
/// beside the files, in the storage's reserved <c>.uploadkit</c> folder, which no file name may enter. Metadata names
/// the content it was saved with and is ignored beside any other, so a reader never sees one file's bytes with another's
/// content type or checksums.
/// </summary>
public sealed class FileSystemStorage : IFileStorage, ILocalFileStorage
{
    private const string Reserved = ".uploadkit";
    private const int MaxAttempts = 100;

    private readonly string _root;
    private readonly string _metadataRoot;
    private readonly string? _baseUrl;
    private readonly bool _overwrite;
    private readonly UnixFileMode _fileMode;
    private readonly UnixFileMode _directoryMode;

    /// <summary>Creates a storage over <see cref="FileSystemStorageOptions.Location"/>.</summary>
    /// <param name="options">The storage's settings; a relative location is resolved against the current directory.</param>
    /// <exception cref="OptionsValidationException">A setting is missing or invalid.</exception>
    public FileSystemStorage(FileSystemStorageOptions options)
        : this(options, contentRoot: null, storageName: Options.DefaultName)
    {
    }

    internal FileSystemStorage(FileSystemStorageOptions options, string? contentRoot, string storageName)
    {
        ArgumentNullException.ThrowIfNull(options);
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
        _metadataRoot = Path.Combine(_root, Reserved, "meta") + Path.DirectorySeparatorChar;
        _baseUrl = options.BaseUrl;
        _overwrite = options.Overwrite;
    }

    /// <summary>Gets the full path of the storage's folder.</summary>
    public string Location => _root;

    /// <inheritdoc />
    public async Task<string> SaveAsync(string name, Stream content, FileSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        name = ValidateName(name);
        var temp = CreateTemporaryPath(name);
        try
        {
            var stream = new FileStream(temp, CreateOptions());
            await using (stream.ConfigureAwait(false))
            {
                await content.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            return await CommitAsync(name, temp, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
    }

    async Task<string> ILocalFileStorage.SaveByMovingAsync(string name, TemporaryUploadedFile file, FileSaveOptions options, CancellationToken cancellationToken)
    {
        name = ValidateName(name);
        var temp = CreateTemporaryPath(name);
        try
        {
            // A rename on one disk; a copy only when the temporary folder is on another one.
            file.MoveTo(temp);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, _fileMode);
            }

            return await CommitAsync(name, temp, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
    }

    /// <inheritdoc />
    public Task<Stream> OpenReadAsync(string name, CancellationToken cancellationToken = default)
    {
        var path = GetFullPath(ValidateName(name));
        try
        {
            Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult(stream);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException || (ex is UnauthorizedAccessException && Directory.Exists(path)))
        {
            throw new FileNotFoundException($"No file is named '{name}'.", name, ex);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        name = ValidateName(name);
        var path = GetFullPath(name);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        TemporaryFiles.TryDelete(GetMetadataPath(name));
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<bool> ExistsAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(File.Exists(GetFullPath(ValidateName(name))));

    /// <inheritdoc />
    public Task<StoredFileInfo?> GetMetadataAsync(string name, CancellationToken cancellationToken = default)
    {
        name = ValidateName(name);
        var info = new FileInfo(GetFullPath(name));
        return Task.FromResult(info.Exists ? Describe(name, info) : null);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredFileInfo> ListAsync(string? prefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        prefix ??= string.Empty;
        var folder = StorageHelpers.ValidatePrefix(prefix);
        var start = folder.Length > 0 ? GetFullPath(ValidateName(folder)) : _root;

        if (!Directory.Exists(start))
        {
            yield break;
        }

        var enumeration = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 };
        var names = new List<string>();
        foreach (var path in Directory.EnumerateFiles(start, "*", enumeration))
        {
            var name = Path.GetRelativePath(_root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (name.StartsWith(prefix, StringComparison.Ordinal) && !IsReserved(name))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var info = new FileInfo(GetFullPath(name));
            if (info.Exists)
            {
                yield return Describe(name, info);
            }
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<string?> GetUrlAsync(string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(StorageHelpers.BuildUrl(_baseUrl, ValidateName(name)));

    private static string ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        name = FileStorageNames.Validate(name);
        if (IsReserved(name))
        {
            throw new SuspiciousFileNameException($"Names starting with '{Reserved}' are reserved by the storage.");
        }

        return name;
    }

    private static bool IsReserved(string name)
    {
        foreach (var segment in name.Split('/'))
        {
            if (segment.StartsWith(Reserved, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private string GetFullPath(string name)
    {
        var path = Path.GetFullPath(Path.Combine(_root, name));
        if (!path.StartsWith(_root, StringComparison.Ordinal))
        {
            throw new SuspiciousFileNameException("The file name escapes the storage's location.");
        }

        return path;
    }

    private string GetMetadataPath(string name) => Path.GetFullPath(Path.Combine(_metadataRoot, name));

    private string CreateTemporaryPath(string name)
    {
        var directory = Path.GetDirectoryName(GetFullPath(name))!;
        CreateDirectory(directory);
        return Path.Combine(directory, Reserved + "-" + Guid.NewGuid().ToString("N") + ".tmp");
    }

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

    private async Task<string> CommitAsync(string name, string temp, FileSaveOptions? options, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var overwrite = options?.Overwrite ?? _overwrite;

        // The metadata names the content it describes (its ETag, which renames and links keep), and is ignored beside
        // other content: two files cannot be swapped together, so a reader between the two steps, or after a replace
        // by a concurrent save, sees the file without its metadata, never with another file's.
        var contentTag = GetContentTag(new FileInfo(temp));
        if (overwrite)
        {
            // Known name: the metadata goes first, so it is in place the moment the new content is.
            var path = GetFullPath(name);
            await WriteMetadataAsync(name, contentTag, options, cancellationToken).ConfigureAwait(false);
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

        var candidate = name;
        var linksUnsupported = false;
        for (var attempt = 0; ; attempt++)
        {
            var path = GetFullPath(candidate);
            if (!Directory.Exists(path) && TryCommitNew(temp, path, ref linksUnsupported))
            {
                break;
            }

            if (attempt >= MaxAttempts)
            {
                throw new IOException($"No free name was found for '{name}'.");
            }

            candidate = FileStorageNames.GetAlternateName(name);
        }

        // A new name is known only once taken; until the metadata follows, a reader sees the file's own properties.
        try
        {
            await WriteMetadataAsync(candidate, contentTag, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            TemporaryFiles.TryDelete(GetFullPath(candidate));
            throw;
        }

        return candidate;
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
                    // The file now has both names; the temporary one goes (should that fail, it stays under the reserved prefix, which no listing shows).
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

    private async Task WriteMetadataAsync(string name, string contentTag, FileSaveOptions? options, CancellationToken cancellationToken)
    {
        var path = GetMetadataPath(name);
        if (options is null || (options.ContentType is null && options.ContentDisposition is null && options.Checksums.Count == 0 && options.Metadata.Count == 0))
        {
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            return;
        }

        var directory = Path.GetDirectoryName(path)!;
        CreateDirectory(directory);
        var temp = Path.Combine(directory, Reserved + "-" + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var stream = new FileStream(temp, CreateOptions());
            await using (stream.ConfigureAwait(false))
            {
                var writer = new Utf8JsonWriter(stream);
                await using (writer.ConfigureAwait(false))
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
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TemporaryFiles.TryDelete(temp);
            throw;
        }
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
}
