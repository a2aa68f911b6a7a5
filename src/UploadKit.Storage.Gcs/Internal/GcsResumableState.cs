using System.Text.Json;
using System.Text.Json.Serialization;

namespace UploadKit.Storage.Gcs.Internal;

/// <summary>
/// What a resumable write on GCS keeps with the upload: the save options the file is committed with, and the piece objects
/// (name, generation, length, component count) that hold its bytes, in order.
/// </summary>
internal sealed class GcsResumableState
{
    public required string Id { get; init; }

    public string? ContentType { get; init; }

    public string? ContentDisposition { get; init; }

    public bool? Overwrite { get; init; }

    public Dictionary<string, string>? Metadata { get; init; }

    public List<GcsPiece> Pieces { get; init; } = [];

    [JsonIgnore]
    public long Length => Pieces.Sum(p => p.Length);

    [JsonIgnore]
    public long Components => Pieces.Sum(p => p.Components);

    public static GcsResumableState Create(FileSaveOptions? options) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        ContentType = options?.ContentType,
        ContentDisposition = options?.ContentDisposition,
        Overwrite = options?.Overwrite,
        Metadata = options is { Metadata.Count: > 0 } ? new(options.Metadata, StringComparer.Ordinal) : null,
    };

    /// <summary>Reads the state of <paramref name="write"/> back and checks it describes the write's bytes.</summary>
    /// <exception cref="ArgumentException">The state was not made by a GCS storage, or does not hold the write's length.</exception>
    public static GcsResumableState Parse(ResumableWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        GcsResumableState? state;
        try
        {
            state = JsonSerializer.Deserialize(write.State, GcsResumableStateJsonContext.Default.GcsResumableState);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("The write's state was not made by a GCS storage.", nameof(write), ex);
        }

        if (state is null || state.Id.Length != 32 || !state.Id.All(char.IsAsciiHexDigitLower)
            || state.Pieces.Any(p => !GcsPiece.IsValidName(p.Name) || p.Length <= 0 || p.Components <= 0))
        {
            throw new ArgumentException("The write's state was not made by a GCS storage.", nameof(write));
        }

        if (state.Length != write.Length)
        {
            throw new ArgumentException(
                $"The write's state holds {state.Length} bytes but the write says {write.Length}.", nameof(write));
        }

        return state;
    }

    public GcsResumableState With(List<GcsPiece> pieces) => new()
    {
        Id = Id,
        ContentType = ContentType,
        ContentDisposition = ContentDisposition,
        Overwrite = Overwrite,
        Metadata = Metadata,
        Pieces = pieces,
    };

    public string Serialize() => JsonSerializer.Serialize(this, GcsResumableStateJsonContext.Default.GcsResumableState);

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
}

/// <summary>One object holding a run of a write's bytes: an appended piece, or a fold of earlier ones.</summary>
/// <param name="Name">The object's name inside the write's folder.</param>
/// <param name="Generation">The object's generation, so that a replaced object is never taken for it.</param>
/// <param name="Length">Its bytes.</param>
/// <param name="Components">Its GCS component count: 1 for an uploaded object.</param>
internal sealed record GcsPiece(string Name, long Generation, long Length, long Components)
{
    public static bool IsValidName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');
}

[JsonSerializable(typeof(GcsResumableState))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class GcsResumableStateJsonContext : JsonSerializerContext;
