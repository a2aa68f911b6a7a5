using System.Text.Json;
using System.Text.Json.Serialization;
using UploadKit.Stores;

namespace UploadKit.Redis;

/// <summary>A progress snapshot as stored in Redis.</summary>
internal sealed record RedisProgressRecord(
    string Id, string? OwnerId, long BytesReceived, long? BytesExpected, UploadProgressState State, string? FileName, DateTimeOffset UpdatedOn);

/// <summary>A session's fixed fields as stored in Redis; its state and rejection reason are hash fields of their own.</summary>
internal sealed record RedisSessionRecord(
    string Id,
    string StorageName,
    string ObjectName,
    DateTimeOffset ExpiresOn,
    string? OwnerId,
    string? FileName,
    string? ContentType,
    long? ExpectedLength,
    long? MaxLength,
    string? ChecksumSha256,
    string? FieldName,
    DateTimeOffset CreatedOn);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RedisProgressRecord))]
[JsonSerializable(typeof(RedisSessionRecord))]
// Metadata mode: the serialization fast path writes a null byte[] (a record's Head once checked) as "", which reads back
// as an empty array (dotnet/runtime#129833).
[JsonSerializable(typeof(ResumableUpload), GenerationMode = JsonSourceGenerationMode.Metadata)]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
