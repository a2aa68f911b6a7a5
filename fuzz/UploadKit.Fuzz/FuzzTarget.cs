using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using UploadKit.Testing;

namespace UploadKit.Fuzz;

/// <summary>
/// One fuzz input through the multipart parser and the handler chain, over an in-memory pipe that hands the body
/// out in pieces of random size (seeded by the input, so a run repeats). The input is a request body; a first line
/// <c>Boundary: value</c> sets the boundary parameter (raw, quoted or not), else it is <c>BOUNDARY</c>.
/// The only acceptable outcomes are a form or an <see cref="UploadRejectedException"/> with 400 or 413: anything
/// else escapes and is a crash.
/// </summary>
public static class FuzzTarget
{
    private static readonly byte[] BoundaryLine = "Boundary: "u8.ToArray();

    private static readonly ServiceProvider Services = CreateServices();

    /// <summary>Parses one input; returns "200 fields, files, bytes" or "400 message" / "413 message".</summary>
    /// <param name="input">The fuzz input.</param>
    /// <returns>A short description of the outcome.</returns>
    public static async Task<string> RunAsync(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var boundary = "BOUNDARY";
        var body = input.AsMemory();
        if (input.AsSpan().StartsWith(BoundaryLine))
        {
            var end = input.AsSpan().IndexOf((byte)'\n');
            end = end < 0 ? input.Length : end;
            var given = Encoding.Latin1.GetString(input, BoundaryLine.Length, end - BoundaryLine.Length).TrimEnd('\r');
            body = input.AsMemory(Math.Min(end + 1, input.Length));

            // A value that makes the Content-Type header itself unreadable would test the header parser, not ours.
            if (MediaTypeHeaderValue.TryParse("multipart/form-data; boundary=" + given, out _))
            {
                boundary = given;
            }
        }

        var outcome = await InMemoryRequest.ReadAsync(
            Services,
            new PiecewisePipeReader(body, Seed(input)),
            "multipart/form-data; boundary=" + boundary,
            body.Length,
            new MemoryUploadHandler()).ConfigureAwait(false);
        if (outcome.Status is not (StatusCodes.Status200OK or StatusCodes.Status400BadRequest or StatusCodes.Status413PayloadTooLarge))
        {
            throw new InvalidOperationException($"Unexpected outcome: {outcome}");
        }

        return outcome.ToString();
    }

    private static int Seed(byte[] input)
    {
        var hash = new HashCode();
        hash.AddBytes(input.AsSpan(0, Math.Min(input.Length, 64)));
        hash.Add(input.Length);
        return hash.ToHashCode();
    }

    private static ServiceProvider CreateServices()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddUploadKit(o =>
        {
            o.MaxFieldCount = 64;
            o.MaxFileCount = 64;
            o.MaxFieldsSize = 64 * 1024;
            o.MaxRequestBodySize = 4 * 1024 * 1024;
        });
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// A pipe reader over a body in memory that shows one more piece (1 to 97 bytes, random) on each read, as a
    /// network delivers a body, with pieces as separate segments so a read's buffer spans several of them.
    /// </summary>
    private sealed class PiecewisePipeReader : PipeReader
    {
        private readonly Piece? _first;
        private readonly List<Piece> _pieces = [];
        private SequencePosition _start;
        private int _shown;

        public PiecewisePipeReader(ReadOnlyMemory<byte> body, int seed)
        {
            var random = new Random(seed);
            Piece? last = null;
            for (var offset = 0; offset < body.Length;)
            {
                var size = Math.Min(body.Length - offset, random.Next(1, 98));
                var piece = new Piece(body.Slice(offset, size), offset);
                last?.Link(piece);
                _first ??= piece;
                _pieces.Add(piece);
                last = piece;
                offset += size;
            }

            _start = _first is null ? default : new SequencePosition(_first, 0);
        }

        public override bool TryRead(out ReadResult result)
        {
            if (_first is null)
            {
                result = new ReadResult(ReadOnlySequence<byte>.Empty, isCanceled: false, isCompleted: true);
                return true;
            }

            _shown = Math.Min(_pieces.Count, _shown + 1);
            var end = _pieces[_shown - 1];
            var startPiece = (Piece)_start.GetObject()!;
            var buffer = startPiece.RunningIndex + _start.GetInteger() > end.RunningIndex + end.Memory.Length
                ? ReadOnlySequence<byte>.Empty
                : new ReadOnlySequence<byte>(startPiece, _start.GetInteger(), end, end.Memory.Length);
            result = new ReadResult(buffer, isCanceled: false, isCompleted: _shown == _pieces.Count);
            return true;
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            TryRead(out var result);
            return new ValueTask<ReadResult>(result);
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            if (consumed.GetObject() is Piece)
            {
                _start = consumed;
            }
        }

        public override void CancelPendingRead()
        {
        }

        public override void Complete(Exception? exception = null)
        {
        }

        private sealed class Piece : ReadOnlySequenceSegment<byte>
        {
            public Piece(ReadOnlyMemory<byte> memory, long runningIndex)
            {
                Memory = memory;
                RunningIndex = runningIndex;
            }

            public void Link(Piece next) => Next = next;
        }
    }
}
