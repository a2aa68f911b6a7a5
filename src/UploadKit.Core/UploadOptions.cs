namespace UploadKit;

/// <summary>
/// Limits and places for reading uploads, bound from the <c>UploadKit</c> configuration section.
/// The Django setting each one mirrors is named in its documentation.
/// </summary>
public sealed class UploadOptions
{
    /// <summary>The default of <see cref="MaxRequestBodySize"/>: 256 MiB.</summary>
    public const long DefaultMaxRequestBodySize = 256L * 1024 * 1024;

    /// <summary>The default of <see cref="MemoryBufferThreshold"/>: 2,621,440 bytes (2.5 MB), as Django's.</summary>
    public const int DefaultMemoryBufferThreshold = 2_621_440;

    /// <summary>The default of <see cref="LargeRequestMemoryBufferThreshold"/>: 64 KiB, as ASP.NET Core's form reading.</summary>
    public const int DefaultLargeRequestMemoryBufferThreshold = 64 * 1024;

    /// <summary>The default of <see cref="MaxRequestMemoryBufferSize"/>: 10 MiB.</summary>
    public const long DefaultMaxRequestMemoryBufferSize = 10L * 1024 * 1024;

    /// <summary>The default of <see cref="MaxProcessMemoryBufferSize"/>: 256 MiB.</summary>
    public const long DefaultMaxProcessMemoryBufferSize = 256L * 1024 * 1024;

    /// <summary>The default of <see cref="MaxFieldCount"/>: 1,000, as Django's.</summary>
    public const int DefaultMaxFieldCount = 1000;

    /// <summary>The default of <see cref="MaxFieldsSize"/>: 2,621,440 bytes, as Django's.</summary>
    public const long DefaultMaxFieldsSize = 2_621_440;

    /// <summary>The default of <see cref="MaxFileCount"/>: 100, as Django's.</summary>
    public const int DefaultMaxFileCount = 100;

    /// <summary>The default of <see cref="MaxPartHeadersSize"/>: 16 KiB, as ASP.NET Core's multipart reader.</summary>
    public const int DefaultMaxPartHeadersSize = 16 * 1024;

    /// <summary>The default of <see cref="MaxPartHeaderCount"/>: 16, as ASP.NET Core's multipart reader.</summary>
    public const int DefaultMaxPartHeaderCount = 16;

    /// <summary>
    /// Gets or sets the largest request body accepted, in bytes; <see langword="null"/> for no limit.
    /// It replaces the server's own limit (Kestrel's 30 MB) on upload endpoints.
    /// </summary>
    /// <value>Defaults to <see cref="DefaultMaxRequestBodySize"/>.</value>
    public long? MaxRequestBodySize { get; set; } = DefaultMaxRequestBodySize;

    /// <summary>
    /// Gets or sets how many bytes of one file may be held in memory before it spills to a temporary file
    /// (Django's <c>FILE_UPLOAD_MAX_MEMORY_SIZE</c>). Applies whatever length the client declares.
    /// </summary>
    /// <value>Defaults to <see cref="DefaultMemoryBufferThreshold"/>.</value>
    public int MemoryBufferThreshold { get; set; } = DefaultMemoryBufferThreshold;

    /// <summary>
    /// Gets or sets how many bytes of one file may be held in memory when the request declares a <c>Content-Length</c>
    /// over <see cref="MemoryBufferThreshold"/>. Django keeps nothing of such a request in memory; this keeps its small
    /// files there and sends the rest to temporary files early, so many large uploads at once do not each hold
    /// <see cref="MemoryBufferThreshold"/> before they spill. The smaller of the two applies; set it to
    /// <see cref="MemoryBufferThreshold"/> to ignore the request's length.
    /// </summary>
    /// <value>Defaults to <see cref="DefaultLargeRequestMemoryBufferThreshold"/>.</value>
    public int LargeRequestMemoryBufferThreshold { get; set; } = DefaultLargeRequestMemoryBufferThreshold;

    /// <summary>
    /// Gets or sets how many bytes of files one request may hold in memory at once, all its files together. A file
    /// that would cross it spills to a temporary file, as one over <see cref="MemoryBufferThreshold"/> does.
    /// </summary>
    /// <value>Defaults to <see cref="DefaultMaxRequestMemoryBufferSize"/>.</value>
    public long MaxRequestMemoryBufferSize { get; set; } = DefaultMaxRequestMemoryBufferSize;

    /// <summary>
    /// Gets or sets how many bytes of files the application may hold in memory at once, all requests together. A file
    /// that would cross it spills to a temporary file. Read once, from the application's options, when the first upload
    /// is read; an endpoint's own options do not change it.
    /// </summary>
    /// <value>Defaults to <see cref="DefaultMaxProcessMemoryBufferSize"/>.</value>
    public long MaxProcessMemoryBufferSize { get; set; } = DefaultMaxProcessMemoryBufferSize;

    /// <summary>Gets or sets the largest number of non-file fields (Django's <c>DATA_UPLOAD_MAX_NUMBER_FIELDS</c>).</summary>
    /// <value>Defaults to <see cref="DefaultMaxFieldCount"/>.</value>
    public int MaxFieldCount { get; set; } = DefaultMaxFieldCount;

    /// <summary>
    /// Gets or sets the largest total size of non-file fields, names and values, in bytes
    /// (Django's <c>DATA_UPLOAD_MAX_MEMORY_SIZE</c>).
    /// </summary>
    /// <value>Defaults to <see cref="DefaultMaxFieldsSize"/>.</value>
    public long MaxFieldsSize { get; set; } = DefaultMaxFieldsSize;

    /// <summary>Gets or sets the largest number of files in one request (Django's <c>DATA_UPLOAD_MAX_NUMBER_FILES</c>).</summary>
    /// <value>Defaults to <see cref="DefaultMaxFileCount"/>.</value>
    public int MaxFileCount { get; set; } = DefaultMaxFileCount;

    /// <summary>Gets or sets the largest size of one part's headers, in bytes.</summary>
    /// <value>Defaults to <see cref="DefaultMaxPartHeadersSize"/>.</value>
    public int MaxPartHeadersSize { get; set; } = DefaultMaxPartHeadersSize;

    /// <summary>Gets or sets the largest number of header lines in one part; more are refused with 413.</summary>
    /// <value>Defaults to <see cref="DefaultMaxPartHeaderCount"/>.</value>
    public int MaxPartHeaderCount { get; set; } = DefaultMaxPartHeaderCount;

    /// <summary>
    /// Gets or sets the folder for temporary upload files (Django's <c>FILE_UPLOAD_TEMP_DIR</c>);
    /// <see langword="null"/> for the system's temporary folder. A relative path is resolved against the app's content
    /// root (<c>IHostEnvironment.ContentRootPath</c>: the project folder under <c>dotnet run</c>), not the build output
    /// folder nor wherever the process was started from.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? TempFileDirectory { get; set; }

    /// <summary>
    /// Gets or sets the Unix permissions of temporary upload files, as an octal string such as <c>"600"</c>
    /// (Django's <c>FILE_UPLOAD_PERMISSIONS</c>). Ignored on Windows.
    /// </summary>
    /// <value>Defaults to <c>"600"</c>: readable and writable by the app's user only.</value>
    public string TempFilePermissions { get; set; } = "600";

    /// <summary>
    /// Gets or sets whether a file saved through <see cref="UploadedFile.SaveAsync"/> or
    /// <see cref="StorageStreamingHandler"/> is stored with the media type its client declared. Off, the storage stores
    /// the type of the stored name's extension, or of the content's signature when the extension is unknown, so a part
    /// declared <c>text/html</c> but named <c>x.mp3</c> is stored as <c>audio/mpeg</c>. Turn it on for an endpoint with
    /// <c>WithUploadLimits(o =&gt; o.StoreClientContentType = true)</c> only when clients are trusted.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool StoreClientContentType { get; set; }

    internal UploadOptions Clone() => (UploadOptions)MemberwiseClone();
}
