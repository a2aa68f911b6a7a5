using System.Buffers;

namespace UploadKit.Pipeline;

/// <summary>
/// Finds a multipart delimiter in a pipe's buffer, across segment edges, in one pass with a vectorised
/// <see cref="MemoryExtensions.IndexOf{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/> per segment.
/// </summary>
internal static class DelimiterSearch
{
    /// <summary>The longest delimiter: CRLF, "--" and a 70-character boundary (RFC 2046).</summary>
    public const int MaxDelimiterLength = 4 + 70;

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

        // The last (delimiter.Length - 1) bytes seen, to catch a match that straddles a segment edge.
        Span<byte> carry = stackalloc byte[MaxDelimiterLength];
        Span<byte> window = stackalloc byte[MaxDelimiterLength * 2];
        var keep = delimiter.Length - 1;
        var carryLength = 0;
        long offset = 0;
        foreach (var memory in buffer)
        {
            var segment = memory.Span;
            if (segment.IsEmpty)
            {
                continue;
            }

            if (carryLength > 0)
            {
                var head = Math.Min(keep, segment.Length);
                carry[..carryLength].CopyTo(window);
                segment[..head].CopyTo(window[carryLength..]);
                var straddle = window[..(carryLength + head)].IndexOf(delimiter);
                if (straddle >= 0)
                {
                    safeLength = offset - carryLength + straddle;
                    return safeLength;
                }
            }

            var index = segment.IndexOf(delimiter);
            if (index >= 0)
            {
                safeLength = offset + index;
                return safeLength;
            }

            // Keep the last `keep` bytes of carry + segment.
            if (segment.Length >= keep)
            {
                segment[^keep..].CopyTo(carry);
                carryLength = keep;
            }
            else
            {
                var total = carryLength + segment.Length;
                var drop = Math.Max(0, total - keep);
                carry[drop..carryLength].CopyTo(carry);
                carryLength -= drop;
                segment.CopyTo(carry[carryLength..]);
                carryLength += segment.Length;
            }

            offset += segment.Length;
        }

        safeLength = offset - PartialMatchLength(carry[..carryLength], delimiter);
        return -1;
    }

    /// <summary>The length of the longest suffix of <paramref name="data"/> that is a proper prefix of <paramref name="delimiter"/>.</summary>
    private static int PartialMatchLength(ReadOnlySpan<byte> data, ReadOnlySpan<byte> delimiter)
    {
        var max = Math.Min(data.Length, delimiter.Length - 1);
        var first = delimiter[0];
        for (var length = max; length > 0; length--)
        {
            if (data[^length] == first && data[^length..].SequenceEqual(delimiter[..length]))
            {
                return length;
            }
        }

        return 0;
    }
}
