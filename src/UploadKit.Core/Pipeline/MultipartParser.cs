using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
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
/// ASP.NET Core's own <see cref="ContentDispositionHeaderValue"/> and <see cref="MediaTypeHeaderValue"/>.
/// Malformed input throws <see cref="UploadRejectedException"/> (400); exceeded limits throw it with 413.
/// </summary>
internal sealed class MultipartParser
{
    private const int MaxHeaderCount = 16;
    private const int MaxTransportPadding = 256;

    private static readonly byte[] CrLf = "\r\n"u8.ToArray();
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    private readonly PipeReader _reader;
    private readonly UploadOptions _options;
    private readonly byte[] _delimiter;
    private long _fieldBytes;
    private int _fieldCount;
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
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary);
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
        await SkipPreambleAsync(cancellationToken).ConfigureAwait(false);
        while (await ReadAfterDelimiterAsync(cancellationToken).ConfigureAwait(false))
        {
            var headers = await ReadHeadersAsync(cancellationToken).ConfigureAwait(false);
            await ReadPartAsync(headers, sink, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ReadPartAsync(IHeaderDictionary headers, IMultipartSink sink, CancellationToken cancellationToken)
    {
        if (!ContentDispositionHeaderValue.TryParse(headers.ContentDisposition.ToString(), out var disposition) ||
            !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw UploadRejectedException.BadRequest("Every part of a multipart/form-data body needs a 'Content-Disposition: form-data' header.");
        }

        var name = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
        if (!HasFileNameParameter(disposition))
        {
            await ReadFieldAsync(name, headers, sink, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A file part whose name cannot be decoded is still a file: it is read past, not taken as a field.
        var fileName = FileNameSanitizer.Sanitize(GetFileName(disposition));
        var accepted = false;
        if (fileName is not null)
        {
            var header = CreateFileHeader(name, fileName, headers);
            accepted = await sink.OnFileStartAsync(header, cancellationToken).ConfigureAwait(false);
        }

        var length = await ReadBodyAsync(accepted ? sink : null, cancellationToken).ConfigureAwait(false);
        if (accepted)
        {
            await sink.OnFileEndAsync(length, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether the part is a file: it has a <c>filename</c> or <c>filename*</c> parameter, decodable or not.</summary>
    private static bool HasFileNameParameter(ContentDispositionHeaderValue disposition)
    {
        foreach (var parameter in disposition.Parameters)
        {
            if (parameter.Name.Equals("filename", StringComparison.OrdinalIgnoreCase) || parameter.Name.Equals("filename*", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The file name a <c>Content-Disposition</c> carries, RFC 5987 <c>filename*</c> first; <see langword="null"/> if it
    /// cannot be decoded (an unknown or unsupported charset such as UTF-7).
    /// </summary>
    internal static string? GetFileName(ContentDispositionHeaderValue disposition)
    {
        try
        {
            if (disposition.FileNameStar.HasValue)
            {
                return disposition.FileNameStar.ToString();
            }

            return disposition.FileName.HasValue ? HeaderUtilities.RemoveQuotes(disposition.FileName).ToString() : null;
        }
        catch (Exception ex) when (ex is NotSupportedException or ArgumentException or FormatException or DecoderFallbackException)
        {
            return null;
        }
    }

    internal static UploadFileHeader CreateFileHeader(string fieldName, string fileName, IHeaderDictionary headers)
    {
        var contentType = "application/octet-stream";
        string? charset = null;
        IReadOnlyDictionary<string, string> parameters = UploadFileHeader.EmptyParameters;
        if (MediaTypeHeaderValue.TryParse(headers.ContentType.ToString(), out var mediaType))
        {
            contentType = mediaType.MediaType.ToString().ToLowerInvariant();
            charset = mediaType.Charset.HasValue ? HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString() : null;
            if (mediaType.Parameters.Count > (charset is null ? 0 : 1))
            {
                var extra = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var parameter in mediaType.Parameters)
                {
                    if (!parameter.Name.Equals("charset", StringComparison.OrdinalIgnoreCase))
                    {
                        extra[parameter.Name.ToString()] = HeaderUtilities.RemoveQuotes(parameter.Value).ToString();
                    }
                }

                parameters = extra;
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

    private async Task ReadFieldAsync(string name, IHeaderDictionary headers, IMultipartSink sink, CancellationToken cancellationToken)
    {
        if (++_fieldCount > _options.MaxFieldCount)
        {
            throw UploadLimits.TooManyFields(_options.MaxFieldCount);
        }

        CountFieldBytes(Encoding.UTF8.GetByteCount(name));
        var collector = new FieldCollector(this);
        try
        {
            await ReadBodyAsync(collector, cancellationToken).ConfigureAwait(false);
            var encoding = GetEncoding(headers);
            var value = encoding.GetString(collector.WrittenSpan);
            await sink.OnFieldAsync(name, value, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            collector.Dispose();
        }
    }

    private static Encoding GetEncoding(IHeaderDictionary headers)
    {
        if (MediaTypeHeaderValue.TryParse(headers.ContentType.ToString(), out var mediaType) && mediaType.Charset.HasValue)
        {
            try
            {
                return Encoding.GetEncoding(HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString());
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

    /// <summary>Skips anything before the first delimiter, which may open the body without a leading CRLF.</summary>
    private async Task SkipPreambleAsync(CancellationToken cancellationToken)
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
                    return;
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
    }

    /// <summary>After a delimiter: "--" closes the body (false); otherwise optional padding and CRLF open a part (true).</summary>
    private async Task<bool> ReadAfterDelimiterAsync(CancellationToken cancellationToken)
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

    private async Task<IHeaderDictionary> ReadHeadersAsync(CancellationToken cancellationToken)
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

                var headers = ParseHeaders(block);
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

    private static IHeaderDictionary ParseHeaders(in ReadOnlySequence<byte> block)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(block);
        }
        catch (DecoderFallbackException ex)
        {
            throw UploadRejectedException.BadRequest("A part's headers are not valid UTF-8.", ex);
        }

        var headers = new HeaderDictionary();
        var count = 0;
        foreach (var line in text.Split("\r\n"))
        {
            if (++count > MaxHeaderCount)
            {
                throw UploadRejectedException.TooLarge($"A part has more than {MaxHeaderCount} headers.");
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line.AsSpan(0, colon).ContainsAny(" \t") || line.AsSpan().ContainsAny('\r', '\n', '\0'))
            {
                throw UploadRejectedException.BadRequest("A part has a malformed header line.");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            headers[name] = StringValues.Concat(headers[name], value);
        }

        return headers;
    }

    /// <summary>
    /// Reads a part's body up to the next delimiter, handing its bytes to <paramref name="target"/> (or
    /// dropping them), then consumes the delimiter.
    /// </summary>
    private async Task<long> ReadBodyAsync(IChunkTarget? target, CancellationToken cancellationToken)
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

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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
