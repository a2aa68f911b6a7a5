using System.Text.Json.Serialization;

namespace UploadKit.Benchmarks;

/// <summary>What an upload endpoint answers: what it stored and what the request cost the server.</summary>
/// <param name="Bytes">File bytes received.</param>
/// <param name="Path">The stored file, for the client to hash and delete; null for discarding variants.</param>
/// <param name="AllocatedBytes">Bytes the server process allocated from the request's start to this answer.</param>
/// <param name="PeakWorkingSet">The sampled peak working set since the last /prepare.</param>
/// <param name="HighWaterMark">The kernel's peak resident set since the last /prepare, or -1.</param>
/// <param name="ServerMilliseconds">Time from the request reaching the pipeline to this answer.</param>
internal sealed record UploadResult(
    long Bytes, string? Path, long AllocatedBytes, long PeakWorkingSet, long HighWaterMark, double ServerMilliseconds);

/// <summary>The server's memory figures.</summary>
internal sealed record ServerStats(
    long IdleWorkingSet, long WorkingSet, long PeakWorkingSet, long HighWaterMark, bool HighWaterMarkResettable, string GcMode)
{
    /// <summary>Gets the bytes the server process allocated so far.</summary>
    public long AllocatedBytes { get; init; } = GC.GetTotalAllocatedBytes(precise: true);
}

/// <summary>What the many-files endpoint answers: each file's SHA-256 as the endpoint read it, in order.</summary>
/// <param name="Sha256">Lower-case hexadecimal digests.</param>
/// <param name="InMemory">Files the chain kept in memory.</param>
/// <param name="Temporary">Files the chain spilled to temporary files.</param>
internal sealed record FormHashes(string[] Sha256, int InMemory, int Temporary);

// The peers answer {"bytes": N, "path": "..."}: names are matched whatever their case.
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(FormHashes))]
[JsonSerializable(typeof(UploadResult))]
[JsonSerializable(typeof(ServerStats))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
