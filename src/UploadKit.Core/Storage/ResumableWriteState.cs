using System.Text.Json;
using System.Text.Json.Serialization;

namespace UploadKit;

/// <summary>
/// The state Core's own storages keep for a resumable write: where its bytes wait, and the save options the file is
/// committed with.
/// </summary>
internal sealed class ResumableWriteState
{
    public required string Id { get; init; }

    public string? ContentType { get; init; }

    public string? ContentDisposition { get; init; }

    public bool? Overwrite { get; init; }

    public Dictionary<string, string>? Metadata { get; init; }

    public static ResumableWriteState Create(FileSaveOptions? options) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        ContentType = options?.ContentType,
        ContentDisposition = options?.ContentDisposition,
        Overwrite = options?.Overwrite,
        Metadata = options is { Metadata.Count: > 0 } ? new(options.Metadata, StringComparer.OrdinalIgnoreCase) : null,
    };

    public static ResumableWriteState Parse(ResumableWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var state = JsonSerializer.Deserialize(write.State, ResumableWriteStateJsonContext.Default.ResumableWriteState);
        if (state is null || state.Id.Length != 32 || !state.Id.All(char.IsAsciiHexDigitLower))
        {
            throw new ArgumentException("The write's state was not made by this storage.", nameof(write));
        }

        return state;
    }

    public string Serialize() => JsonSerializer.Serialize(this, ResumableWriteStateJsonContext.Default.ResumableWriteState);

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

[JsonSerializable(typeof(ResumableWriteState))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class ResumableWriteStateJsonContext : JsonSerializerContext;
