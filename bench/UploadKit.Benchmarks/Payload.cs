using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace UploadKit.Benchmarks;

/// <summary>
/// Deterministic pseudo-random file content of any length without holding it in memory: a 32 MiB pool of
/// seeded random bytes, and block <c>i</c> of 1 MiB taken from the pool at an offset that differs for every
/// block and is not page-aligned. Swapped, repeated or lost blocks change the SHA-256.
/// </summary>
internal sealed class Payload
{
    public const int BlockSize = 1024 * 1024;
    private const int PoolSize = 32 * 1024 * 1024;
    private const long Stride = 7_919_993; // odd and not a multiple of 31, so coprime with PoolSize - BlockSize.

    private readonly byte[] _pool = new byte[PoolSize];
    private readonly Dictionary<long, string> _hashes = [];

    public Payload(int seed)
    {
        new Random(seed).NextBytes(_pool);
    }

    public ReadOnlyMemory<byte> Block(long index, int length) =>
        _pool.AsMemory((int)(index * Stride % (PoolSize - BlockSize)), length);

    /// <summary>The SHA-256 of a file of <paramref name="length"/> bytes, as lower-case hexadecimal.</summary>
    public string Sha256(long length)
    {
        lock (_hashes)
        {
            if (!_hashes.TryGetValue(length, out var hash))
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                for (long offset = 0, index = 0; offset < length; offset += BlockSize, index++)
                {
                    sha.AppendData(Block(index, (int)Math.Min(BlockSize, length - offset)).Span);
                }

                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
                _hashes[length] = hash;
            }

            return hash;
        }
    }

    /// <summary>The request body: the file alone, or the file as the one part of a multipart/form-data body.</summary>
    public HttpContent CreateContent(long length, bool multipart) => new StreamingContent(this, length, multipart);

    /// <summary>Writes the body as it is sent: never buffered, with a Content-Length.</summary>
    private sealed class StreamingContent : HttpContent
    {
        private const string Boundary = "----UploadKitBenchBoundary7MA4YWxkTrZu0gW";

        private readonly Payload _payload;
        private readonly long _length;
        private readonly byte[] _prefix;
        private readonly byte[] _suffix;

        public StreamingContent(Payload payload, long length, bool multipart)
        {
            _payload = payload;
            _length = length;
            if (multipart)
            {
                _prefix = Encoding.ASCII.GetBytes(
                    "--" + Boundary + "\r\n" +
                    "Content-Disposition: form-data; name=\"file\"; filename=\"bench.bin\"\r\n" +
                    "Content-Type: application/octet-stream\r\n\r\n");
                _suffix = Encoding.ASCII.GetBytes("\r\n--" + Boundary + "--\r\n");
                Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=" + Boundary);
            }
            else
            {
                _prefix = [];
                _suffix = [];
                Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(_prefix, cancellationToken);
            for (long offset = 0, index = 0; offset < _length; offset += BlockSize, index++)
            {
                await stream.WriteAsync(_payload.Block(index, (int)Math.Min(BlockSize, _length - offset)), cancellationToken);
            }

            await stream.WriteAsync(_suffix, cancellationToken);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _prefix.Length + _length + _suffix.Length;
            return true;
        }
    }
}
