using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UploadKit.Storage.S3.Internal;

/// <summary>
/// What an S3 storage keeps for a resumable write, as the write's <see cref="ResumableWrite.State"/>: the write's id (the
/// folder of its pieces), the pieces in order, the pieces a recorded successor replaced, and the save options the file is
/// committed with. Small on purpose: it is stored with the upload after every append.
/// </summary>
/// <remarks>
/// A piece is one object of the write's folder, written once under a name no other append uses (its offset and a random
/// tag), and entered here as <c>tag:length</c>. Every piece but the trailing run of short ones is at least S3's part
/// minimum, so each becomes one part at completion.
/// </remarks>
internal sealed class S3ResumableState
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The name the multipart upload writes, chosen when the write's first part was sent; <see langword="null"/> before.</summary>
    [JsonPropertyName("k")]
    public string? Name { get; init; }

    /// <summary>The multipart upload's id, once the write's first part was sent.</summary>
    [JsonPropertyName("u")]
    public string? UploadId { get; init; }

    [JsonPropertyName("p")]
    public List<string> Pieces { get; init; } = [];

    /// <summary>
    /// The object names of pieces the write before this one held and this one merged into a longer piece: garbage once
    /// this write is recorded, so the next append (which is given this write) deletes them.
    /// </summary>
    [JsonPropertyName("g")]
    public List<string>? Replaced { get; init; }

    [JsonPropertyName("ct")]
    public string? ContentType { get; init; }

    [JsonPropertyName("cd")]
    public string? ContentDisposition { get; init; }

    [JsonPropertyName("ow")]
    public bool? Overwrite { get; init; }

    [JsonPropertyName("m")]
    public Dictionary<string, string>? Metadata { get; init; }

    public static S3ResumableState Create(FileSaveOptions? options) => new()
    {
        Id = NewTag(32),
        ContentType = options?.ContentType,
        ContentDisposition = options?.ContentDisposition,
        Overwrite = options?.Overwrite,
        Metadata = options is { Metadata.Count: > 0 } ? new(options.Metadata, StringComparer.OrdinalIgnoreCase) : null,
    };

    /// <summary>Reads a write's state back, and checks it describes exactly the write's length in pieces of this storage's making.</summary>
    /// <exception cref="ArgumentException">The state was not made by an S3 storage, or does not match the write's length.</exception>
    public static (S3ResumableState State, List<S3Piece> Pieces) Parse(ResumableWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        S3ResumableState? state;
        try
        {
            state = JsonSerializer.Deserialize(write.State, S3ResumableStateJsonContext.Default.S3ResumableState);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("The write's state was not made by an S3 storage.", nameof(write), ex);
        }

        if (state is null || !IsTag(state.Id, 32) || state.Pieces is null || (state.Name is null) != (state.UploadId is null) ||
            (state.UploadId is { } uploadId && !S3Piece.IsETag(uploadId)) || state.UploadId?.Contains('/', StringComparison.Ordinal) == true)
        {
            throw new ArgumentException("The write's state was not made by an S3 storage.", nameof(write));
        }

        var pieces = new List<S3Piece>(state.Pieces.Count);
        long offset = 0;
        foreach (var entry in state.Pieces)
        {
            var piece = S3Piece.Parse(entry, offset);
            if (piece is null || (piece.IsPart && (state.UploadId is null || (pieces.Count > 0 && !pieces[^1].IsPart))))
            {
                throw new ArgumentException("The write's state lists a piece it cannot have.", nameof(write));
            }

            pieces.Add(piece);
            offset += piece.Length;
        }

        if (offset != write.Length || (state.Replaced ?? []).Exists(name => !S3Piece.IsObjectName(name)))
        {
            throw new ArgumentException("The write's state does not describe the write's length.", nameof(write));
        }

        return (state, pieces);
    }

    public string Serialize() => JsonSerializer.Serialize(this, S3ResumableStateJsonContext.Default.S3ResumableState);

    /// <summary>
    /// The state of the write that holds <paramref name="pieces"/>, replacing <paramref name="replaced"/> of this one, in
    /// the multipart upload <paramref name="upload"/>.
    /// </summary>
    public S3ResumableState With(IEnumerable<S3Piece> pieces, IEnumerable<S3Piece> replaced, (string Name, string UploadId)? upload)
    {
        var gone = replaced.Select(p => p.ObjectName).ToList();
        return new()
        {
            Id = Id,
            Name = upload?.Name,
            UploadId = upload?.UploadId,
            Pieces = [.. pieces.Select(p => p.Entry)],
            Replaced = gone.Count > 0 ? gone : null,
            ContentType = ContentType,
            ContentDisposition = ContentDisposition,
            Overwrite = Overwrite,
            Metadata = Metadata,
        };
    }

    public FileSaveOptions ToSaveOptions(long length)
    {
        var options = new FileSaveOptions
        {
            ContentType = ContentType,
            ContentDisposition = ContentDisposition,
            Overwrite = Overwrite,
            Length = length,
        };
        foreach (var (key, value) in Metadata ?? [])
        {
            options.Metadata[key] = value;
        }

        return options;
    }

    public static string NewTag(int length) => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(length / 2));

    public static bool IsTag(string? value, int length) => value is not null && value.Length == length && value.All(char.IsAsciiHexDigitLower);
}

/// <summary>
/// One piece of a resumable write: where it starts in the file and how many bytes it holds; a part of the write's multipart
/// upload (at least the part minimum, <see cref="Tag"/> its ETag), or a short piece (an object of the write's folder,
/// <see cref="Tag"/> its random name).
/// </summary>
internal sealed record S3Piece(string Tag, long Offset, int Length)
{
    public const int TagLength = 16;

    /// <summary>Gets whether the piece is a part of the multipart upload rather than an object of its own.</summary>
    public bool IsPart => Length >= S3StorageOptions.MinimumPartSize;

    public string Entry => $"{Tag}:{Length.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The piece's object name inside the write's folder: its offset (so a listing shows the file in order) and its tag.</summary>
    public string ObjectName => $"{Offset.ToString("D15", CultureInfo.InvariantCulture)}-{Tag}";

    public static bool IsObjectName(string? name) =>
        name is { Length: 15 + 1 + TagLength } && name[15] == '-' && name.AsSpan(0, 15).ContainsAnyExceptInRange('0', '9') is false &&
        S3ResumableState.IsTag(name[16..], TagLength);

    public static S3Piece New(long offset, int length) => new(S3ResumableState.NewTag(TagLength), offset, length);

    public static S3Piece? Parse(string? entry, long offset)
    {
        var split = entry?.LastIndexOf(':') ?? -1;
        if (split <= 0 || !int.TryParse(entry.AsSpan(split + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= 0)
        {
            return null;
        }

        var piece = new S3Piece(entry![..split], offset, length);
        return piece.IsPart ? (IsETag(piece.Tag) ? piece : null) : (S3ResumableState.IsTag(piece.Tag, TagLength) ? piece : null);
    }

    /// <summary>An ETag as S3 answers a part upload (without its quotes), or an upload id: short printable ASCII.</summary>
    public static bool IsETag(string tag) => tag.Length is > 0 and <= 1024 && tag.All(c => c is > ' ' and < '\x7f' and not '"');
}

[JsonSerializable(typeof(S3ResumableState))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class S3ResumableStateJsonContext : JsonSerializerContext;
