namespace UploadKit.Benchmarks;

/// <summary>One way of receiving an upload, served by the endpoint of the same name.</summary>
/// <param name="Name">The endpoint path, without the slash.</param>
/// <param name="Multipart">Whether the client sends multipart/form-data (else the raw file).</param>
/// <param name="StoresFile">Whether the endpoint keeps the file, whose SHA-256 is then checked.</param>
/// <param name="Description">What the endpoint does.</param>
/// <param name="Experiment">Whether the variant runs only when named with --variants.</param>
/// <param name="InStorage">Whether the file is stored in the server's FileSystemStorage (removed through it, with its metadata).</param>
internal sealed record Variant(string Name, bool Multipart, bool StoresFile, string Description, bool Experiment = false, bool InStorage = false)
{
    public const string RawFile = "raw-file";
    public const string RawDiscard = "raw-discard";
    public const string FormFile = "iformfile";
    public const string UploadKitFile = "uploadkit-file";
    public const string UploadKitDiscard = "uploadkit-discard";
    public const string UploadKitSave = "uploadkit-save";
    public const string UploadKitStreaming = "uploadkit-streaming";

    public static readonly IReadOnlyList<Variant> All =
    [
        new(
            RawFile,
            false,
            true,
            "`Request.BodyReader` → pooled 1 MiB buffers → async `FileStream` writes (`Asynchronous | SequentialScan`, one write in flight while " +
            "the next buffer fills); raw body"),
        new(RawDiscard, false, false, "`Request.BodyReader` read to the end, bytes dropped; raw body"),
        new(
            FormFile,
            true,
            true,
            "`Request.ReadFormAsync()` (buffers the file to a temp file) then `Form.Files[0].CopyToAsync` to an async `FileStream`"),
        new("multipartreader-4k", true, true, "`MultipartReader` with its default 4 KiB buffer, `section.Body` → the raw copy's 1 MiB async writer"),
        new("multipartreader-1m", true, true, "`MultipartReader` with a 1 MiB buffer, `section.Body` → the raw copy's 1 MiB async writer"),
        new(
            UploadKitFile,
            true,
            true,
            "UploadKit's default chain (memory → temporary file) through an `UploadForm` minimal-API parameter; the temp file is moved (renamed) " +
            "out"),
        new(
            UploadKitSave,
            true,
            true,
            "What a user writes: the default chain (memory → temporary file) through an `UploadForm` minimal-API parameter, then " +
            "`UploadedFile.SaveAsync` into a `FileSystemStorage` (the registry's `default`, under the data folder)",
            InStorage: true),
        new(
            UploadKitStreaming,
            true,
            true,
            "`StorageStreamingHandler` (`.WithUploadHandlers(...)`) writing the part straight into the same `FileSystemStorage` as it arrives; " +
            "the endpoint keeps the stored file",
            InStorage: true),
        new(
            "uploadkit-tempfile-only",
            true,
            true,
            "Diagnostic: UploadKit with `TemporaryFileUploadHandler` alone (no memory handler in front), to tell the handlers' costs apart"),
        new(
            UploadKitDiscard,
            true,
            false,
            "UploadKit's parser and chain with one handler that drops every chunk (`.WithUploadHandlers(_ => new DiscardHandler())`)"),
        new(
            "experiment-raw-randomaccess",
            false,
            true,
            "Experiment: `raw-file` writing with `RandomAccess.WriteAsync` on the file's handle, as `TemporaryFileUploadHandler` does, instead of " +
            "`FileStream.WriteAsync`",
            Experiment: true),
        new(
            "experiment-dedicated-pool",
            true,
            true,
            "Experiment: `uploadkit-file` with the memory handler's growing buffers rented from a dedicated `ArrayPool<byte>.Create(...)` pool " +
            "instead of `ArrayPool<byte>.Shared`",
            Experiment: true),
    ];
}
