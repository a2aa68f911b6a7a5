using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace UploadKit.Pipeline;

/// <summary>Where a part's bytes go.</summary>
internal interface IChunkTarget
{
    /// <summary>Bytes of the part, valid only until the returned task completes.</summary>
    ValueTask OnFileChunkAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken);
}

/// <summary>What the multipart parser hands on: fields whole, files as a stream of chunks.</summary>
internal interface IMultipartSink : IChunkTarget
{
    /// <summary>A non-file field, already within the field limits.</summary>
    ValueTask OnFieldAsync(string name, string value, CancellationToken cancellationToken);

    /// <summary>A file part starts; return <see langword="false"/> to read past its body.</summary>
    ValueTask<bool> OnFileStartAsync(UploadFileHeader header, CancellationToken cancellationToken);

    /// <summary>The file part ended after <paramref name="length"/> bytes.</summary>
    ValueTask OnFileEndAsync(long length, CancellationToken cancellationToken);
}

/// <summary>
/// A streaming <c>multipart/form-data</c> parser on a <see cref="PipeReader"/>. File bytes go to the sink
/// straight from the pipe's segments; nothing is copied or allocated per chunk. Header values are parsed with
/// ASP.NET Core's own <see cref="ContentDispositionHeaderValue"/> and <see cref="MediaTypeHeaderValue"/>, their
/// parameters decoded by <see cref="HeaderParameters"/>. Every part counts against a limit (a file whose name is
/// unusable still counts as a file), and <c>base64</c> parts are decoded as they stream.
/// Malformed input throws <see cref="UploadRejectedException"/> (400); exceeded limits throw it with 413.
/// </summary>
internal sealed class MultipartParser
{
    private const int MaxTransportPadding = 256;

    private static readonly byte[] CrLf = "\r\n"u8.ToArray();
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    private readonly PipeReader _reader;
    private readonly UploadOptions _options;
    private readonly byte[] _delimiter;
    private long _fieldBytes;
    private int _fieldCount;
    private int _fileCount;
    private ReadOnlySequence<byte>? _pending;

    public MultipartParser(PipeReader reader, string boundary, UploadOptions options)
    {
        _reader = reader;
        _options = options;
        _delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
    }

    /// <summary>Gets the number of body bytes consumed so far.</summary>
    public long BytesConsumed { get; private set; }

    /// <summary>Validates a boundary parameter (RFC 2046: 1 to 70 characters).</summary>
    public static string? GetBoundary(MediaTypeHeaderValue contentType)
    {
        var boundary = HeaderParameters.Unquote(contentType.Boundary);
        if (boundary.Length is 0 or > 70)
        {
            return null;
        }

        foreach (var c in boundary.AsSpan())
        {
            if (c > 127 || char.IsControl(c))
            {
                return null;
            }
        }

        return boundary.ToString();
    }

    public async Task ParseAsync(IMultipartSink sink, CancellationToken cancellationToken)
    {
        if (!await SkipPreambleAsync(cancellationToken).ConfigureAwait(false))
        {
            // An empty body is an empty form, as Django and ASP.NET Core's form reader have it.
            return;
        }

        while (await ReadAfterDelimiterAsync(cancellationToken).ConfigureAwait(false))
        {
            var headers = await ReadHeadersAsync(cancellationToken).ConfigureAwait(false);
            await ReadPartAsync(headers, sink, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask ReadPartAsync(IHeaderDictionary headers, IMultipartSink sink, CancellationToken cancellationToken)
    {
        if (!HeaderParameters.TryParseFormData(headers.ContentDisposition.ToString(), out var disposition))
        {
            throw UploadRejectedException.BadRequest("Every part of a multipart/form-data body needs a 'Content-Disposition: form-data' header.");
        }

        var name = disposition.Name;
        var base64 = IsBase64(headers, name);
        if (!disposition.IsFile)
        {
            await ReadFieldAsync(name, headers, base64, sink, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Every file part counts, read or not: a part whose name cannot be used is read past, not taken as a field.
        if (++_fileCount > _options.MaxFileCount)
        {
            throw UploadLimits.TooManyFiles(_options.MaxFileCount);
        }

        var fileName = FileNameSanitizer.Sanitize(disposition.FileName);
        var accepted = false;
        if (fileName is not null)
        {
            var header = CreateFileHeader(name, fileName, headers);
            accepted = await sink.OnFileStartAsync(header, cancellationToken).ConfigureAwait(false);
        }

        long length;
        if (base64 && accepted)
        {
            using var decoder = new Base64PartDecoder(sink, name);
            await ReadBodyAsync(decoder, cancellationToken).ConfigureAwait(false);
            await decoder.CompleteAsync(cancellationToken).ConfigureAwait(false);
            length = decoder.Length;
        }
        else
        {
            length = await ReadBodyAsync(accepted ? sink : null, cancellationToken).ConfigureAwait(false);
        }

        if (accepted)
        {
            await sink.OnFileEndAsync(length, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether the part is <c>Content-Transfer-Encoding: base64</c>. <c>7bit</c>, <c>8bit</c> and <c>binary</c> mean the
    /// bytes as they are; any other encoding (<c>quoted-printable</c>, an unknown one) is refused rather than stored encoded.
    /// </summary>
    private static bool IsBase64(IHeaderDictionary headers, string name)
    {
        if (!headers.TryGetValue("Content-Transfer-Encoding", out var values))
        {
            return false;
        }

        var encoding = values.ToString().AsSpan().Trim(" \t");
        if (encoding.Equals("base64", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (encoding.Equals("binary", StringComparison.OrdinalIgnoreCase) || encoding.Equals("8bit", StringComparison.OrdinalIgnoreCase) ||
            encoding.Equals("7bit", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        throw UploadRejectedException.BadRequest($"Part '{name}' uses Content-Transfer-Encoding '{encoding}', " +
            "which is not supported; send it as binary or base64.");
    }

    internal static UploadFileHeader CreateFileHeader(string fieldName, string fileName, IHeaderDictionary headers)
    {
        var contentType = "application/octet-stream";
        string? charset = null;
        IReadOnlyDictionary<string, string> parameters = UploadFileHeader.EmptyParameters;
        if (MediaTypeHeaderValue.TryParse(headers.ContentType.ToString(), out var mediaType))
        {
            contentType = mediaType.MediaType.ToString().ToLowerInvariant();
            charset = mediaType.Charset.HasValue ? HeaderParameters.Unquote(mediaType.Charset) : null;
            if (mediaType.Parameters.Count > 0)
            {
                // Every parameter, charset included: Django's content_type_extra.
                var all = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var parameter in mediaType.Parameters)
                {
                    all[parameter.Name.ToString()] = HeaderParameters.Unquote(parameter.Value);
                }

                parameters = all;
            }
        }

        return new UploadFileHeader(fieldName, fileName, contentType)
        {
            Charset = charset,
            ContentTypeParameters = parameters,
            DeclaredLength = headers.ContentLength,
            Headers = headers,
        };
    }

    private async ValueTask ReadFieldAsync(
        string name, IHeaderDictionary headers, bool base64, IMultipartSink sink, CancellationToken cancellationToken)
    {
        if (++_fieldCount > _options.MaxFieldCount)
        {
            throw UploadLimits.TooManyFields(_options.MaxFieldCount);
        }

        // A part without a Content-Type (most fields) is text in UTF-8: nothing to parse.
        var contentType = headers.ContentType.ToString();
        MediaTypeHeaderValue? type = null;
        if (contentType.Length > 0 && MediaTypeHeaderValue.TryParse(contentType, out type) &&
            type.MediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 2388's multipart/mixed for several files, deprecated by RFC 7578 §4.3: its files would arrive as text.
            throw UploadRejectedException.BadRequest($"Part '{name}' is itself a multipart body ({type.MediaType}), " +
                "which is not supported; send each file as its own part.");
        }

        CountFieldBytes(Encoding.UTF8.GetByteCount(name));
        var collector = new FieldCollector(this);
        try
        {
            if (base64)
            {
                using var decoder = new Base64PartDecoder(collector, name);
                await ReadBodyAsync(decoder, cancellationToken).ConfigureAwait(false);
                await decoder.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await ReadBodyAsync(collector, cancellationToken).ConfigureAwait(false);
            }

            var encoding = GetEncoding(type);
            var value = encoding.GetString(collector.WrittenSpan);
            await sink.OnFieldAsync(name, value, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            collector.Dispose();
        }
    }

    /// <summary>The charset a field's Content-Type (<see langword="null"/> when absent or malformed) names; UTF-8 by default.</summary>
    private static Encoding GetEncoding(MediaTypeHeaderValue? mediaType)
    {
        if (mediaType is not null && mediaType.Charset.HasValue)
        {
            try
            {
                return Encoding.GetEncoding(HeaderParameters.Unquote(mediaType.Charset));
            }
            catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
            {
                // An unknown or unsupported charset (UTF-7 is refused by .NET) falls back to UTF-8, as browsers send.
            }
        }

        return Encoding.UTF8;
    }

    private void CountFieldBytes(int count)
    {
        _fieldBytes += count;
        if (_fieldBytes > _options.MaxFieldsSize)
        {
            throw UploadLimits.FieldsTooLarge(_options.MaxFieldsSize);
        }
    }

    /// <summary>
    /// Skips anything before the first delimiter, which may open the body without a leading CRLF; returns
    /// <see langword="false"/> for a body with no bytes at all.
    /// </summary>
    private async Task<bool> SkipPreambleAsync(CancellationToken cancellationToken)
    {
        var first = _delimiter.AsMemory(2);
        while (true)
        {
            var result = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= first.Length || result.IsCompleted)
            {
                if (buffer.Length >= first.Length && StartsWith(buffer, first.Span))
                {
                    Consume(buffer, first.Length);
                    return true;
                }

                if (buffer.IsEmpty && BytesConsumed == 0)
                {
                    _pending = null;
                    _reader.AdvanceTo(buffer.End);
                    return false;
                }

                // Nothing consumed: the preamble search below reads the same bytes again.
                _pending = null;
                _reader.AdvanceTo(buffer.Start);
                break;
            }

            _pending = null;
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }

        // A preamble: the first delimiter is the first CRLF "--" boundary.
        await ReadBodyAsync(null, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>After a delimiter: "--" closes the body (false); otherwise optional padding and CRLF open a part (true).</summary>
    private async ValueTask<bool> ReadAfterDelimiterAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.IsNext("--"u8, advancePast: true))
            {
                // The close delimiter: the epilogue is not read.
                Consume(buffer, reader.Consumed);
                return false;
            }

            reader.AdvancePastAny((byte)' ', (byte)'\t');
            if (reader.IsNext(CrLf, advancePast: true))
            {
                Consume(buffer, reader.Consumed);
                return true;
            }

            if (reader.Remaining > 1 || reader.Consumed > MaxTransportPadding)
            {
                throw UploadRejectedException.BadRequest("A multipart boundary is followed by unexpected characters.");
            }

            if (result.IsCompleted)
            {
                throw UploadRejectedException.BadRequest("The multipart body ends without its closing boundary.");
            }

            _pending = null;
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async ValueTask<IHeaderDictionary> ReadHeadersAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= 2 && StartsWith(buffer, CrLf))
            {
                Consume(buffer, 2);
                return new HeaderDictionary();
            }

            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> block, HeaderEnd, advancePastDelimiter: true))
            {
                if (block.Length > _options.MaxPartHeadersSize)
                {
                    throw UploadLimits.PartHeadersTooLarge(_options.MaxPartHeadersSize);
                }

                var headers = ParseHeaders(block, _options.MaxPartHeaderCount);
                Consume(buffer, reader.Consumed);
                return headers;
            }

            if (buffer.Length > _options.MaxPartHeadersSize + HeaderEnd.Length)
            {
                throw UploadLimits.PartHeadersTooLarge(_options.MaxPartHeadersSize);
            }

            if (result.IsCompleted)
            {
                throw UploadRejectedException.BadRequest("The multipart body ends inside a part's headers.");
            }

            _pending = null;
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static IHeaderDictionary ParseHeaders(in ReadOnlySequence<byte> block, int maxCount)
    {
        var headers = new HeaderDictionary();
        var count = 0;
        var bytes = block.IsSingleSegment ? block.FirstSpan : block.ToArray();
        while (true)
        {
            if (++count > maxCount)
            {
                throw UploadLimits.TooManyPartHeaders(maxCount);
            }

            var end = bytes.IndexOf("\r\n"u8);
            var line = end < 0 ? bytes : bytes[..end];

            // Everything looked for here is ASCII, which UTF-8 and ISO-8859-1 keep as the same single byte, so the
            // line's bytes answer for its text: the first ':' byte is the first ':' character, and so on.
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].ContainsAny((byte)' ', (byte)'\t') || line.ContainsAny((byte)'\r', (byte)'\n', (byte)0))
            {
                throw UploadRejectedException.BadRequest("A part has a malformed header line.");
            }

            // A line that is not valid UTF-8 (a file name sent as raw ISO-8859-1 bytes, as older clients do) is read as
            // ISO-8859-1, name and value alike, so such a name is read rather than failing the request.
            var encoding = Utf8.IsValid(line) ? Encoding.UTF8 : Encoding.Latin1;
            var name = HeaderName(line[..colon], encoding);
            var value = encoding.GetString(line[(colon + 1)..].Trim(" \t"u8));
            headers[name] = StringValues.Concat(headers[name], value);
            if (end < 0)
            {
                return headers;
            }

            bytes = bytes[(end + 2)..];
        }
    }

    /// <summary>A header's name as text; the names every part carries are not allocated again for each part.</summary>
    private static string HeaderName(ReadOnlySpan<byte> name, Encoding encoding) =>
        name.SequenceEqual("Content-Disposition"u8) ? HeaderNames.ContentDisposition :
        name.SequenceEqual("Content-Type"u8) ? HeaderNames.ContentType :
        encoding.GetString(name);

    /// <summary>
    /// Reads a part's body up to the next delimiter, handing its bytes to <paramref name="target"/> (or
    /// dropping them), then consumes the delimiter.
    /// </summary>
    private async ValueTask<long> ReadBodyAsync(IChunkTarget? target, CancellationToken cancellationToken)
    {
        long length = 0;
        while (true)
        {
            var result = await ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var found = DelimiterSearch.Find(buffer, _delimiter, out var safe);
            if (safe > 0 && target is not null)
            {
                if (buffer.IsSingleSegment)
                {
                    // The common case on Kestrel, which reads into 4 KiB blocks: no slicing or enumerating.
                    await target.OnFileChunkAsync(buffer.First[..(int)safe], cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    foreach (var segment in buffer.Slice(0, safe))
                    {
                        if (!segment.IsEmpty)
                        {
                            await target.OnFileChunkAsync(segment, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }

            length += safe;
            if (found >= 0)
            {
                Consume(buffer, found + _delimiter.Length);
                return length;
            }

            if (result.IsCompleted)
            {
                throw UploadRejectedException.BadRequest("The multipart body ends before its closing boundary.");
            }

            var consumed = buffer.GetPosition(safe);
            BytesConsumed += safe;
            _pending = null;
            _reader.AdvanceTo(consumed, buffer.End);
        }
    }

    /// <summary>
    /// Ends a read left open by a failure (a malformed body, a limit, a handler's exception), so the server can
    /// still drain or close the request body.
    /// </summary>
    public void ReleaseAfterFailure()
    {
        if (_pending is { } buffer)
        {
            _pending = null;
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads from the pipe, checking the body limit; a read that is already complete costs no state machine.</summary>
    private ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken)
    {
        var read = _reader.ReadAsync(cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Accept(read.Result)) : ReadSlowAsync(read);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> ReadSlowAsync(ValueTask<ReadResult> read) => Accept(await read.ConfigureAwait(false));

    private ReadResult Accept(ReadResult result)
    {
        _pending = result.Buffer;
        if (BytesConsumed + result.Buffer.Length > _options.MaxRequestBodySize)
        {
            throw UploadLimits.RequestBodyTooLarge(_options.MaxRequestBodySize);
        }

        return result;
    }

    private void Consume(in ReadOnlySequence<byte> buffer, long count)
    {
        BytesConsumed += count;
        _pending = null;
        _reader.AdvanceTo(buffer.GetPosition(count));
    }

    private static bool StartsWith(in ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> prefix)
    {
        if (buffer.FirstSpan.Length >= prefix.Length)
        {
            return buffer.FirstSpan.StartsWith(prefix);
        }

        var reader = new SequenceReader<byte>(buffer);
        return reader.IsNext(prefix);
    }

    /// <summary>Collects a field's bytes into pooled memory, counting them against the fields limit.</summary>
    private sealed class FieldCollector(MultipartParser parser) : IChunkTarget, IDisposable
    {
        private byte[] _buffer = [];
        private int _length;

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

        public ValueTask OnFileChunkAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
        {
            parser.CountFieldBytes(chunk.Length);
            if (_length + chunk.Length > _buffer.Length)
            {
                var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_length + chunk.Length, Math.Max(256, _buffer.Length * 2)));
                _buffer.AsSpan(0, _length).CopyTo(grown);
                Return();
                _buffer = grown;
            }

            chunk.Span.CopyTo(_buffer.AsSpan(_length));
            _length += chunk.Length;
            return ValueTask.CompletedTask;
        }

        public void Dispose() => Return();

        private void Return()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }
}
