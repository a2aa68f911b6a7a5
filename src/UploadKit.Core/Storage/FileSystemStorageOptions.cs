namespace UploadKit;

/// <summary>
/// Settings of a <see cref="FileSystemStorage"/>: Django's <c>FileSystemStorage</c> arguments, bound from a storage's
/// <c>Options</c> section (<c>"Backend": "FileSystem"</c>).
/// </summary>
public sealed class FileSystemStorageOptions
{
    /// <summary>The default of <see cref="FilePermissions"/>: <c>"644"</c>, as Django's <c>FILE_UPLOAD_PERMISSIONS</c>.</summary>
    public const string DefaultFilePermissions = "644";

    /// <summary>The default of <see cref="DirectoryPermissions"/>: <c>"755"</c>.</summary>
    public const string DefaultDirectoryPermissions = "755";

    /// <summary>
    /// Gets or sets the folder files are kept in (Django's <c>MEDIA_ROOT</c>). A relative path is resolved against the
    /// app's content root (<c>IHostEnvironment.ContentRootPath</c>: the project folder under <c>dotnet run</c>, so
    /// <c>"media"</c> is the <c>media</c> folder beside <c>Program.cs</c>), not the build output folder; a storage made
    /// with <c>new FileSystemStorage(options)</c>, outside an app, resolves it against the current directory. Required.
    /// </summary>
    public string? Location { get; set; }

    /// <summary>
    /// Gets or sets the URL prefix files are served under (Django's <c>MEDIA_URL</c>), such as <c>/media/</c>;
    /// <see langword="null"/> if files have no URL.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? BaseUrl { get; set; }

    /// <summary>Gets or sets the Unix permissions of saved files, as an octal string. Ignored on Windows.</summary>
    /// <value>Defaults to <see cref="DefaultFilePermissions"/>.</value>
    public string FilePermissions { get; set; } = DefaultFilePermissions;

    /// <summary>Gets or sets the Unix permissions of folders the storage creates, as an octal string. Ignored on Windows.</summary>
    /// <value>Defaults to <see cref="DefaultDirectoryPermissions"/>.</value>
    public string DirectoryPermissions { get; set; } = DefaultDirectoryPermissions;

    /// <summary>
    /// Gets or sets whether saving under a taken name replaces the file, instead of choosing a fresh name
    /// (Django's <c>allow_overwrite</c>).
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Overwrite { get; set; }
}

/// <summary>Settings of an <see cref="InMemoryStorage"/>, bound from a storage's <c>Options</c> section (<c>"Backend": "InMemory"</c>).</summary>
public sealed class InMemoryStorageOptions
{
    /// <summary>Gets or sets the URL prefix files are served under; <see langword="null"/> if files have no URL.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? BaseUrl { get; set; }

    /// <summary>Gets or sets whether saving under a taken name replaces the file, instead of choosing a fresh name.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Overwrite { get; set; }
}
