using System.Buffers;

namespace UploadKit.Pipeline;

/// <summary>
/// Finds a multipart delimiter (<c>CRLF--boundary</c>) in a pipe's buffer, across segment edges, in one pass: a
/// vectorised <see cref="MemoryExtensions.IndexOf{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/> per segment, and a
/// partial match carried from one segment into the next only when a segment ends in one.
/// </summary>
/// <remarks>
/// A delimiter holds exactly one CR, at its start (a boundary has no control characters), so a partial match at
/// the end of the data can only start at the last CR, and a failed continuation cannot hide another start.
/// </remarks>
internal static class DelimiterSearch
{
    /// <summary>
    /// Looks for <paramref name="delimiter"/> in <paramref name="buffer"/>.
    /// </summary>
    /// <returns>
    /// The offset of the first match, or -1; when there is none, <paramref name="safeLength"/> is how many
    /// leading bytes cannot be part of a match (everything but a trailing partial match).
    /// </returns>
    public static long Find(in ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> delimiter, out long safeLength)
    {
        if (buffer.IsSingleSegment)
        {
            var span = buffer.FirstSpan;
            var index = span.IndexOf(delimiter);
            if (index >= 0)
            {
                safeLength = index;
                return index;
            }

            safeLength = span.Length - PartialMatchLength(span, delimiter);
            return -1;
        }

        long offset = 0;
        var pending = 0;
        foreach (var memory in buffer)
        {
            var segment = memory.Span;
            if (segment.IsEmpty)
            {
                continue;
            }

            if (pending > 0)
            {
                var needed = delimiter.Length - pending;
                var take = Math.Min(needed, segment.Length);
                if (segment[..take].SequenceEqual(delimiter.Slice(pending, take)))
                {
                    if (take == needed)
                    {
                        safeLength = offset - pending;
                        return safeLength;
                    }

                    pending += take;
                    offset += segment.Length;
                    continue;
                }

                pending = 0;
            }

            var index = segment.IndexOf(delimiter);
            if (index >= 0)
            {
                safeLength = offset + index;
                return safeLength;
            }

            pending = PartialMatchLength(segment, delimiter);
            offset += segment.Length;
        }

        safeLength = offset - pending;
        return -1;
    }

    /// <summary>The length of the suffix of <paramref name="data"/> that is a proper prefix of <paramref name="delimiter"/>, or 0.</summary>
    private static int PartialMatchLength(ReadOnlySpan<byte> data, ReadOnlySpan<byte> delimiter)
    {
        var tail = data.Length < delimiter.Length ? data : data[^(delimiter.Length - 1)..];
        var start = tail.LastIndexOf(delimiter[0]);
        if (start < 0)
        {
            return 0;
        }

        var candidate = tail[start..];
        return delimiter.StartsWith(candidate) ? candidate.Length : 0;
    }
}
