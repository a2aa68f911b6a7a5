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
    /// <summary>
    /// Gets the peer program serving the variant (<see cref="Peers.Busboy"/>, <see cref="Peers.Go"/>), or null for the .NET server.
    /// </summary>
    public string? Peer { get; init; }

    /// <summary>Gets the Kestrel transport settings of the .NET server serving the variant (see <see cref="TransportSettings"/>); empty for the
    /// defaults.</summary>
    public string Transport { get; init; } = "";

    /// <summary>Gets the request path.</summary>
    public string Path { get; init; } = "/" + Name;

    /// <summary>Gets the server process the variant runs against: the .NET server with its transport settings, or a peer.</summary>
    public string ServerKey => Peer ?? ServerKeyOf(Transport);

    /// <summary>Variants of the .NET server that also run on a server with non-default transport settings.</summary>
    public static readonly IReadOnlyList<string> TransportCandidates = [RawFile, "multipartreader-4k", UploadKitFile, UploadKitSave];

    /// <summary>The server process of the .NET server with <paramref name="transport"/> settings.</summary>
    public static string ServerKeyOf(string transport) => transport.Length == 0 ? "dotnet" : "dotnet/" + transport;

    /// <summary>This variant against a .NET server started with <paramref name="transport"/> settings: same endpoint, its own row.</summary>
    public Variant WithTransport(string transport) => this with
    {
        Name = Name + "/" + transport,
        Transport = transport,
        Description = $"`{Name}` on a server whose Kestrel socket transport has `{TransportSettings.Describe(transport)}`",
        Experiment = false,
    };

    /// <summary>Every variant: <see cref="All"/> without the experiments unless named, the peers unless left out, and the transport rows.</summary>
    public static IReadOnlyList<Variant> Select(BenchOptions options)
    {
        var all = new List<Variant>(All.Where(v => options.Peers || v.Peer is null));
        foreach (var transport in options.Transports)
        {
            all.AddRange(All.Where(v => options.TransportVariants.Contains(v.Name)).Select(v => v.WithTransport(transport)));
        }

        return options.Variants is null ? [.. all.Where(v => !v.Experiment)] : [.. all.Where(v => options.Variants.Contains(v.Name))];
    }

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
        new(
            "multipartreader-1m",
            true,
            true,
            "Diagnostic: `MultipartReader` with a 1 MiB buffer, `section.Body` → the raw copy's 1 MiB async writer",
            Experiment: true),
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
            "Diagnostic: UploadKit with `TemporaryFileUploadHandler` alone (no memory handler in front), to tell the handlers' costs apart",
            Experiment: true),
        new(
            UploadKitDiscard,
            true,
            false,
            "UploadKit's parser and chain with one handler that drops every chunk (`.WithUploadHandlers(_ => new DiscardHandler())`)"),
        new(
            Peers.Busboy,
            true,
            true,
            "Peer (Node): `node:http` + `busboy`, the file part piped to `fs.createWriteStream` (bench/peers/busboy), its own process")
        {
            Peer = Peers.Busboy,
            Path = "/upload",
        },
        new(Peers.Busboy + "-discard", true, false, "Peer (Node): `busboy` parsing the body, the part's bytes dropped")
        {
            Peer = Peers.Busboy,
            Path = "/discard",
        },
        new(
            "go-multipart",
            true,
            true,
            "Peer (Go): `net/http` + `r.MultipartReader()`, the file part copied to an `os.File` (bench/peers/go), its own process")
        {
            Peer = Peers.Go,
            Path = "/upload",
        },
        new("go-discard", true, false, "Peer (Go): `r.MultipartReader()` reading the part, its bytes dropped") { Peer = Peers.Go, Path = "/discard" },
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
        new(
            "experiment-memory-drop",
            true,
            false,
            "Experiment: the default chain, the file (held in memory below the threshold) dropped without being stored",
            Experiment: true),
        new(
            "experiment-raw-hold-write",
            false,
            true,
            "Experiment: the raw body read whole into one buffer, then written with one synchronous `RandomAccess.Write`",
            Experiment: true),
        new(
            "experiment-raw-hold-writeasync",
            false,
            true,
            "Experiment: the raw body read whole into one buffer, then written with one asynchronous `FileStream.WriteAsync`",
            Experiment: true),
        new(
            "experiment-raw-hold-createfirst",
            false,
            true,
            "Experiment: `experiment-raw-hold-writeasync` with the file created before the body is read, as `raw-file` and the streaming " +
            "handler create theirs, not once it has arrived",
            Experiment: true),
        new(
            "experiment-multipartreader-hold-write",
            true,
            true,
            "Experiment: `MultipartReader` reading the file part whole into one buffer, then one asynchronous `FileStream.WriteAsync` (the " +
            "held file stored with ASP.NET Core's parser and no UploadKit code)",
            Experiment: true),
    ];
}
