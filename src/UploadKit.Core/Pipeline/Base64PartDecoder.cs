using System.Buffers;
using System.Buffers.Text;

namespace UploadKit.Pipeline;

/// <summary>
/// Decodes a <c>Content-Transfer-Encoding: base64</c> part while it streams: whitespace and line breaks are skipped,
/// whole quanta are decoded into one pooled buffer and handed on, so nothing holds more than a few KiB whatever the
/// part's size, and what the target sees (handlers, validators, checksums, limits) is the decoded bytes. Invalid
/// characters, text after the padding, or a last quantum left incomplete are a 400 naming the part.
/// </summary>
internal sealed class Base64PartDecoder : IChunkTarget, IDisposable
{
    private const int EncodedCapacity = 4096;

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    private readonly IChunkTarget _target;
    private readonly string _partName;
    private byte[] _encoded;
    private byte[] _decoded;
    private int _pending;

    // The length of the last line seen (base64 characters then CRLF), and whether a line of that length held whitespace.
    private int _lineLength;
    private bool _linesVary;

    public Base64PartDecoder(IChunkTarget target, string partName)
    {
        _target = target;
        _partName = partName;
        _encoded = ArrayPool<byte>.Shared.Rent(EncodedCapacity);
        _decoded = ArrayPool<byte>.Shared.Rent(EncodedCapacity / 4 * 3);
    }

    /// <summary>Gets the number of decoded bytes handed on so far.</summary>
    public long Length { get; private set; }

    public async ValueTask OnFileChunkAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        while (!chunk.IsEmpty)
        {
            var taken = Collect(chunk.Span);
            chunk = chunk[taken..];
            if (_pending == EncodedCapacity)
            {
                await DecodeAsync(final: false, cancellationToken).ConfigureAwait(false);
            }
        }

        if (_pending >= 4)
        {
            await DecodeAsync(final: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Decodes what is left at the end of the part; throws when it is not whole base64.</summary>
    public ValueTask CompleteAsync(CancellationToken cancellationToken) => DecodeAsync(final: true, cancellationToken);

    public void Dispose()
    {
        if (_encoded.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_encoded);
            ArrayPool<byte>.Shared.Return(_decoded);
            _encoded = _decoded = [];
        }
    }

    /// <summary>Copies base64 characters (not whitespace) into the pending buffer; returns how many input bytes it used.</summary>
    /// <remarks>
    /// Base64 almost always comes in lines of one length ending in CRLF (76 characters for MIME). Once a line has been
    /// measured, each line that has a CRLF at that length is copied whole, looked at only for its CRLF; whether such a
    /// line really held no whitespace is checked once for everything this call copied, with one vectorised search.
    /// If one did, the call's bytes are collected again run by run and whole lines are not tried again for this part,
    /// so the result is always exactly the input's base64 characters in order, and odd input costs at most one retry.
    /// Anything that is not base64 (a stray byte, text after the padding) is left to the decoder to refuse.
    /// </remarks>
    private int Collect(ReadOnlySpan<byte> input)
    {
        var wholeLines = _lineLength > 0 && !_linesVary;
        var start = _pending;
        var used = Collect(input, wholeLines);
        if (wholeLines && _encoded.AsSpan(start, _pending - start).ContainsAny(Whitespace))
        {
            _pending = start;
            _linesVary = true;
            used = Collect(input, wholeLines: false);
        }

        return used;
    }

    private int Collect(ReadOnlySpan<byte> input, bool wholeLines)
    {
        var used = 0;
        while (used < input.Length && _pending < EncodedCapacity)
        {
            if (IsWhitespace(input[used]))
            {
                // A line break is one or two bytes, skipped as such; a longer run is skipped with a vectorised search.
                used++;
                if (used < input.Length && IsWhitespace(input[used]))
                {
                    used++;
                    if (used < input.Length && IsWhitespace(input[used]))
                    {
                        var skip = input[used..].IndexOfAnyExcept(Whitespace);
                        used = skip < 0 ? input.Length : used + skip;
                    }
                }

                continue;
            }

            if (wholeLines)
            {
                var length = _lineLength;
                while (used <= input.Length - length - 2 && _pending <= EncodedCapacity - length &&
                    input[used + length] == (byte)'\r' && input[used + length + 1] == (byte)'\n')
                {
                    input.Slice(used, length).CopyTo(_encoded.AsSpan(_pending));
                    _pending += length;
                    used += length + 2;
                }

                if (used == input.Length || _pending == EncodedCapacity || IsWhitespace(input[used]))
                {
                    continue;
                }
            }

            // One vectorised search and one copy per run of base64 characters; a run that ends in CRLF measures a line.
            var rest = input[used..];
            var run = rest.IndexOfAny(Whitespace);
            var take = Math.Min(run < 0 ? rest.Length : run, EncodedCapacity - _pending);
            rest[..take].CopyTo(_encoded.AsSpan(_pending));
            _pending += take;
            used += take;
            if (take == run && run + 1 < rest.Length && rest[run] == (byte)'\r' && rest[run + 1] == (byte)'\n')
            {
                _lineLength = run;
            }
        }

        return used;
    }

    private async ValueTask DecodeAsync(bool final, CancellationToken cancellationToken)
    {
        if (final && _pending % 4 != 0)
        {
            throw Invalid();
        }

        var whole = final ? _pending : _pending - (_pending % 4);
        if (!final && whole > 0 && _encoded[whole - 1] == (byte)'=')
        {
            // A padded quantum ends the data: it is decoded with the final block, and anything after it (other than
            // whitespace) makes that block invalid. Padding before the last quantum makes this block invalid.
            whole -= 4;
        }

        if (whole == 0 && !final)
        {
            return;
        }

        var status = Base64.DecodeFromUtf8(_encoded.AsSpan(0, whole), _decoded, out var consumed, out var written, isFinalBlock: final);
        if (status != OperationStatus.Done || consumed != whole)
        {
            throw Invalid();
        }

        _encoded.AsSpan(whole, _pending - whole).CopyTo(_encoded);
        _pending -= whole;
        if (written > 0)
        {
            Length += written;
            await _target.OnFileChunkAsync(_decoded.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsWhitespace(byte value) => value is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private UploadRejectedException Invalid() =>
        UploadRejectedException.BadRequest($"Part '{_partName}' is not valid base64 (Content-Transfer-Encoding: base64).");
}
