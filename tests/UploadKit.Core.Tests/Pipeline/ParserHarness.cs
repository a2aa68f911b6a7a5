using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using UploadKit.Pipeline;

namespace UploadKit.Tests.Pipeline;

/// <summary>A part as either parser saw it: a field or a file with its bytes.</summary>
internal sealed record ParsedPart(string Name, string? FileName, string? ContentType, string Content)
{
    public override string ToString() => $"{Name} {FileName} {ContentType} [{Content.Length}]";
}

/// <summary>Runs our parser and ASP.NET Core's MultipartReader over the same bytes.</summary>
internal static class ParserHarness
{
    public static async Task<List<ParsedPart>> ParseWithOursAsync(PipeReader reader, string boundary, UploadOptions? options = null)
    {
        var sink = new RecordingSink();
        await new MultipartParser(reader, boundary, options ?? new UploadOptions { MaxFieldCount = 10_000, MaxFileCount = 10_000 })
            .ParseAsync(sink, CancellationToken.None);
        return sink.Parts;
    }

    public static async Task<List<ParsedPart>> ParseWithOracleAsync(byte[] body, string boundary)
    {
        var parts = new List<ParsedPart>();
        var reader = new MultipartReader(boundary, new MemoryStream(body)) { HeadersLengthLimit = 16 * 1024 };
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var content = new MemoryStream();
            await section.Body.CopyToAsync(content);
            ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition);
            var name = HeaderUtilities.RemoveQuotes(disposition!.Name).ToString();
            var isFile = disposition.FileName.HasValue || disposition.FileNameStar.HasValue;
            parts.Add(isFile
                ? new ParsedPart(
                    name,
                    FileNameSanitizer.Sanitize(HeaderUtilities.RemoveQuotes(disposition.FileName).ToString()),
                    section.ContentType ?? "application/octet-stream",
                    Convert.ToHexString(content.ToArray()))
                : new ParsedPart(name, null, null, Convert.ToHexString(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(content.ToArray())))));
        }

        return parts;
    }

    /// <summary>A reader whose whole input is one sequence split at the given offsets.</summary>
    public static PipeReader SegmentedReader(byte[] body, IEnumerable<int> splits) => PipeReader.Create(Sequence(body, splits));

    /// <summary><paramref name="body"/> as a sequence of segments split at the given offsets.</summary>
    public static ReadOnlySequence<byte> Sequence(byte[] body, params IEnumerable<int> splits)
    {
        var points = splits.Where(s => s > 0 && s < body.Length).Distinct().Order().ToList();
        points.Add(body.Length);
        BufferSegment? first = null;
        BufferSegment? last = null;
        var start = 0;
        foreach (var point in points)
        {
            var memory = body.AsMemory(start, point - start);
            if (first is null)
            {
                first = last = new BufferSegment(memory, 0);
            }
            else
            {
                last = last!.Append(memory);
            }

            start = point;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    /// <summary>A reader fed by a writer that flushes after each of the given chunk sizes, as a network would.</summary>
    public static PipeReader TrickleReader(byte[] body, Random random, int maxChunk)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        _ = Task.Run(async () =>
        {
            var offset = 0;
            while (offset < body.Length)
            {
                var size = Math.Min(random.Next(1, maxChunk + 1), body.Length - offset);
                await pipe.Writer.WriteAsync(body.AsMemory(offset, size));
                offset += size;
            }

            await pipe.Writer.CompleteAsync();
        });
        return pipe.Reader;
    }

    private sealed class RecordingSink : IMultipartSink
    {
        private UploadFileHeader? _file;
        private MemoryStream? _content;

        public List<ParsedPart> Parts { get; } = [];

        public ValueTask OnFieldAsync(string name, string value, CancellationToken cancellationToken)
        {
            Parts.Add(new ParsedPart(name, null, null, Convert.ToHexString(Encoding.UTF8.GetBytes(value))));
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> OnFileStartAsync(UploadFileHeader header, CancellationToken cancellationToken)
        {
            _file = header;
            _content = new MemoryStream();
            return ValueTask.FromResult(true);
        }

        public ValueTask OnFileChunkAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
        {
            _content!.Write(chunk.Span);
            return ValueTask.CompletedTask;
        }

        public ValueTask OnFileEndAsync(long length, CancellationToken cancellationToken)
        {
            Assert.That(length, Is.EqualTo(_content!.Length), "reported file length");
            Parts.Add(new ParsedPart(_file!.FieldName, _file.FileName, _file.ContentType, Convert.ToHexString(_content.ToArray())));
            return ValueTask.CompletedTask;
        }
    }
}
