using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UploadKit.Storage.Azure.Internal;

/// <summary>
/// What <see cref="AzureBlobStorage"/> keeps with a resumable write: the id of its staging blob, the block size its appends
/// are cut into, one entry per recorded append that staged blocks (a random tag and the bytes its blocks hold, from which
/// their ids follow), the short tail kept in a side blob until the next append fills a block, and the save options the
/// file is committed with. Another server's instance parses it back.
/// </summary>
internal sealed class AzureResumableWriteState
{
    /// <summary>The most blocks a block blob may commit.</summary>
    public const int MaxBlockCount = 50_000;

    /// <summary>The longest tail kept in a side blob rather than staged as a short block.</summary>
    public const int MaxKeptTail = 256 * 1024;

    /// <summary>The characters of an append's tag: a block id is <c>{index:D6}{tag}</c>, the same length for every block.</summary>
    private const int TagLength = 12;

    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("block")]
    public required int BlockSize { get; init; }

    [JsonPropertyName("appends")]
    public List<AzureResumableAppend> Appends { get; init; } = [];

    /// <summary>Gets the bytes after the last block, kept in the side blob named by its tag; <see langword="null"/> for none.</summary>
    [JsonPropertyName("tail")]
    public AzureResumableAppend? Tail { get; init; }

    /// <summary>Gets the tag of the side blob the previous recorded append kept, garbage once this state is recorded.</summary>
    [JsonPropertyName("previous")]
    public string? PreviousTail { get; init; }

    /// <summary>Gets the media type, disposition, overwrite choice and metadata given when the write began.</summary>
    [JsonPropertyName("options")]
    public FileSaveOptions? Options { get; init; }

    /// <summary>Gets the longest tail this write keeps in a side blob.</summary>
    [JsonIgnore]
    public int KeptTailLimit => Math.Min(BlockSize, MaxKeptTail);

    /// <summary>Gets the number of blocks the recorded appends staged.</summary>
    [JsonIgnore]
    public long BlockCount => Appends.Sum(a => BlocksOf(a.Length));

    public static AzureResumableWriteState Create(FileSaveOptions? options, int blockSize)
    {
        // What a commit stores, not what it checks: checksums and the length are the protocol's, not the options'.
        var kept = options is null ? null : new FileSaveOptions
        {
            ContentType = options.ContentType,
            ContentDisposition = options.ContentDisposition,
            Overwrite = options.Overwrite,
        };
        foreach (var (key, value) in options?.Metadata ?? new Dictionary<string, string>())
        {
            kept!.Metadata[key] = value;
        }

        return new() { Id = Guid.NewGuid().ToString("N"), BlockSize = blockSize, Options = kept };
    }

    /// <summary>Reads a write's state back, checking that it describes exactly the bytes the write holds.</summary>
    /// <exception cref="ArgumentException">The state was not made by this storage or does not match the write's length.</exception>
    public static AzureResumableWriteState Parse(ResumableWrite write)
    {
        ArgumentNullException.ThrowIfNull(write);
        AzureResumableWriteState? state;
        try
        {
            state = JsonSerializer.Deserialize(write.State, AzureResumableWriteStateJsonContext.Default.AzureResumableWriteState);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException("The write's state was not made by an Azure Blob storage.", nameof(write), ex);
        }

        if (state is null || !IsLowerHex(state.Id, 32) || state.BlockSize is < 1 or > AzureBlobStorageOptions.MaxChunkSize ||
            state.Appends is null || state.Appends.Any(a => a is null || !IsLowerHex(a.Tag, TagLength) || a.Length < 1) ||
            (state.Tail is { } tail && (!IsLowerHex(tail.Tag, TagLength) || tail.Length < 1 || tail.Length >= state.KeptTailLimit)) ||
            (state.PreviousTail is not null && !IsLowerHex(state.PreviousTail, TagLength)))
        {
            throw new ArgumentException("The write's state was not made by an Azure Blob storage.", nameof(write));
        }

        if (state.Appends.Sum(a => a.Length) + (state.Tail?.Length ?? 0) != write.Length || state.BlockCount > MaxBlockCount)
        {
            throw new ArgumentException("The write's state does not describe the bytes the write holds.", nameof(write));
        }

        return state;
    }

    /// <summary>A fresh tag for one append attempt: two attempts from the same recorded write never share a block id.</summary>
    public static string NewTag() => Guid.NewGuid().ToString("N")[..TagLength];

    /// <summary>The id of the block at <paramref name="index"/> (counted over the whole write) of the append tagged <paramref name="tag"/>.</summary>
    public static string BlockId(int index, string tag) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"{index:D6}{tag}"));

    /// <summary>The ids of every recorded block, in order: the block list the file is committed with.</summary>
    public List<string> BlockIds()
    {
        var ids = new List<string>((int)BlockCount);
        foreach (var append in Appends)
        {
            var count = BlocksOf(append.Length);
            for (long i = 0; i < count; i++)
            {
                ids.Add(BlockId(ids.Count, append.Tag));
            }
        }

        return ids;
    }

    /// <summary>The state after one more append: the blocks it staged (if any) and the tail it kept (if any).</summary>
    public AzureResumableWriteState With(AzureResumableAppend? staged, AzureResumableAppend? tail) => new()
    {
        Id = Id,
        BlockSize = BlockSize,
        Appends = staged is null ? [.. Appends] : [.. Appends, staged],
        Tail = tail,
        PreviousTail = Tail?.Tag,
        Options = Options,
    };

    public string Serialize() => JsonSerializer.Serialize(this, AzureResumableWriteStateJsonContext.Default.AzureResumableWriteState);

    /// <summary>The options the file is committed with: those given when the write began, and its length.</summary>
    public FileSaveOptions ToSaveOptions(long length)
    {
        var options = Options ?? new FileSaveOptions();
        options.Length = length;
        return options;
    }

    private long BlocksOf(long length) => (length + BlockSize - 1) / BlockSize;

    private static bool IsLowerHex(string? value, int length) =>
        value is not null && value.Length == length && value.All(char.IsAsciiHexDigitLower);
}

/// <summary>One recorded append: the tag of its block ids and the bytes it added.</summary>
internal sealed class AzureResumableAppend
{
    [JsonPropertyName("tag")]
    public required string Tag { get; init; }

    [JsonPropertyName("length")]
    public required long Length { get; init; }
}

[JsonSerializable(typeof(AzureResumableWriteState))]
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PreferredObjectCreationHandling = JsonObjectCreationHandling.Populate)]
internal sealed partial class AzureResumableWriteStateJsonContext : JsonSerializerContext;
