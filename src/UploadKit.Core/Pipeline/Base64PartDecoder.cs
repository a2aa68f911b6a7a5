using System.Buffers;
using System.Buffers.Text;
using System.Numerics;
using System.Runtime.InteropServices;

namespace UploadKit.Pipeline;

/// <summary>
/// Decodes a <c>Content-Transfer-Encoding: base64</c> part while it streams: whitespace and line breaks are skipped,
/// the base64 characters are gathered into one pooled buffer of 16 KiB and decoded, in one call, each time it fills, so
/// nothing holds more than that whatever the part's size, and what the target sees (handlers, validators, checksums,
/// limits) is the decoded bytes. Invalid characters, text after the padding, or a last quantum left incomplete are a
/// 400 naming the part.
/// </summary>
internal sealed class Base64PartDecoder : IChunkTarget, IDisposable
{
    // Decoding and handing on a block costs the same whatever its size, and a segment from the server is 4 KiB: a block
    // of several segments makes a file that arrives as base64 cost the target no more calls than one sent as it is.
    private const int EncodedCapacity = 16384;

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    private readonly IChunkTarget _target;
    private readonly string _partName;
    private byte[] _encoded;
    private byte[] _decoded;
    private int _pending;

    // The length of the last line measured (base64 characters then CRLF).
    private int _lineLength;

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
    /// measured, the lines that follow are taken by <see cref="CopyWholeLines"/>; anything else (a shorter or longer
    /// line, whitespace inside one, a line cut by the end of the segment) is collected run by run, one vectorised search
    /// and one copy per run of base64 characters. Either way the result is exactly the input's base64 characters in
    /// order. Anything that is not base64 (a stray byte, text after the padding) is left to the decoder to refuse.
    /// </remarks>
    private int Collect(ReadOnlySpan<byte> input)
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

            if (_lineLength >= Vector<byte>.Count && Vector.IsHardwareAccelerated)
            {
                used += CopyWholeLines(input[used..]);
                if (used == input.Length || _pending == EncodedCapacity || IsWhitespace(input[used]))
                {
                    continue;
                }
            }

            // A run that ends in CRLF measures a line.
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

    /// <summary>
    /// Copies the lines at the start of <paramref name="input"/> that are <see cref="_lineLength"/> bytes, none of them
    /// whitespace, then CRLF; returns how many input bytes it used (the CRLFs skipped). A line is moved with a few vector
    /// loads and stores, which also show whether it holds a byte below <c>!</c> (whitespace, or a control character for
    /// the decoder to refuse): such a line is left to the run-by-run path. The stores of a line left behind fall in the
    /// free part of the buffer, past what is pending.
    /// </summary>
    private int CopyWholeLines(ReadOnlySpan<byte> input)
    {
        var length = _lineLength;
        var width = Vector<byte>.Count;
        var belowBang = new Vector<byte>((byte)'!');
        ref var source = ref MemoryMarshal.GetReference(input);
        ref var target = ref MemoryMarshal.GetArrayDataReference(_encoded);
        var used = 0;
        while (used <= input.Length - length - 2 && _pending <= EncodedCapacity - length &&
            input[used + length] == (byte)'\r' && input[used + length + 1] == (byte)'\n')
        {
            var low = Vector<byte>.Zero;
            var at = 0;
            for (; at < length - width; at += width)
            {
                var block = Vector.LoadUnsafe(ref source, (nuint)(used + at));
                low |= Vector.LessThan(block, belowBang);
                block.StoreUnsafe(ref target, (nuint)(_pending + at));
            }

            // The last block ends with the line, overlapping the one before.
            var last = Vector.LoadUnsafe(ref source, (nuint)(used + length - width));
            low |= Vector.LessThan(last, belowBang);
            last.StoreUnsafe(ref target, (nuint)(_pending + length - width));
            if (low != Vector<byte>.Zero)
            {
                break;
            }

            _pending += length;
            used += length + 2;
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
