using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>
/// Computes checksums of each file while its bytes stream through the chain, with no second read, and checks them
/// against a digest the client sent. Place it before the handlers that keep files (at the front of the chain, or
/// with <c>WithChecksums</c> on an endpoint): the results land on <see cref="UploadedFile.Checksums"/> of the file
/// and, through <see cref="UploadedFile.SaveAsync"/>, in the stored file's metadata.
/// </summary>
/// <remarks>
/// A client digest is read from the file's <c>Content-Digest</c> or <c>Repr-Digest</c> header (RFC 9530, such as
/// <c>sha-256=:base64:</c>): the part's headers in a multipart body, the request's headers for a raw body.
/// Algorithms <c>sha-256</c>, <c>md5</c> and <c>crc32c</c> are checked, others ignored. A digest that does not
/// match fails the request with 400 before the file is kept, and the chain removes what it wrote.
/// </remarks>
public sealed class ChecksumUploadHandler : UploadHandler
{
    /// <summary>The name of SHA-256 in checksum dictionaries.</summary>
    public const string Sha256 = "sha256";

    /// <summary>The name of MD5 in checksum dictionaries (as S3's <c>Content-MD5</c> and Azure's <c>Content-MD5</c> use it).</summary>
    public const string Md5 = "md5";

    /// <summary>The name of CRC-32C in checksum dictionaries (as GCS and S3 use it).</summary>
    public const string Crc32C = "crc32c";

    private readonly string[] _algorithms;
    private readonly List<Running> _running = [];
    private readonly Dictionary<string, byte[]> _expected = new(StringComparer.Ordinal);
    private UploadFileHeader? _file;
    private string? _digestHeader;

    /// <summary>Creates a handler that computes SHA-256.</summary>
    public ChecksumUploadHandler()
        : this(Sha256)
    {
    }

    /// <summary>Creates a handler that computes the given algorithms.</summary>
    /// <param name="algorithms">Any of <see cref="Sha256"/>, <see cref="Md5"/> and <see cref="Crc32C"/>.</param>
    /// <exception cref="ArgumentException">An algorithm is not supported.</exception>
    public ChecksumUploadHandler(params string[] algorithms)
    {
        ArgumentNullException.ThrowIfNull(algorithms);
        foreach (var algorithm in algorithms)
        {
            if (!IsSupported(algorithm))
            {
                throw new ArgumentException(
                    $"Checksum algorithm '{algorithm}' is not supported; use \"{Sha256}\", \"{Md5}\" or \"{Crc32C}\".", nameof(algorithms));
            }
        }

        _algorithms = algorithms.Select(a => a.ToLowerInvariant()).Distinct().ToArray();
    }

    /// <inheritdoc />
    public override ValueTask NewFileAsync(UploadFileHeader file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        Release();
        _file = file;
        _digestHeader = null;
        foreach (var headerName in (string[])["Content-Digest", "Repr-Digest"])
        {
            var value = file.Headers[headerName].ToString();
            if (value.Length > 0)
            {
                if (!TryParseDigests(value, _expected))
                {
                    throw Reject(file, $"The {headerName} header is malformed.");
                }

                _digestHeader ??= headerName;
            }
        }

        foreach (var algorithm in _algorithms.Union(_expected.Keys))
        {
            _running.Add(new Running(algorithm));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask<ReadOnlyMemory<byte>?> ReceiveChunkAsync(ReadOnlyMemory<byte> chunk, long offset, CancellationToken cancellationToken)
    {
        foreach (var running in _running)
        {
            running.Append(chunk.Span);
        }

        return ValueTask.FromResult<ReadOnlyMemory<byte>?>(chunk);
    }

    /// <inheritdoc />
    public override ValueTask<UploadedFile?> FileCompleteAsync(long size, CancellationToken cancellationToken)
    {
        var file = _file;
        if (file is null)
        {
            return ValueTask.FromResult<UploadedFile?>(null);
        }

        try
        {
            foreach (var running in _running)
            {
                var hash = running.GetHash();
                if (_expected.TryGetValue(running.Algorithm, out var expected) && !CryptographicOperations.FixedTimeEquals(hash, expected))
                {
                    throw Reject(file, $"The file's {DisplayName(running.Algorithm)} checksum does not match the {_digestHeader} header.");
                }

                Context.CurrentFileChecksums[running.Algorithm] = Convert.ToHexStringLower(hash);
            }
        }
        finally
        {
            Release();
        }

        return ValueTask.FromResult<UploadedFile?>(null);
    }

    /// <inheritdoc />
    public override ValueTask FileSkippedAsync(CancellationToken cancellationToken)
    {
        Release();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask UploadInterruptedAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    /// <inheritdoc />
    public override ValueTask UploadCompleteAsync(CancellationToken cancellationToken) => FileSkippedAsync(cancellationToken);

    /// <summary>
    /// Parses an RFC 9530 digest field (<c>sha-256=:base64:, md5=:base64:</c>) into checksum names and bytes.
    /// Unknown algorithms are skipped.
    /// </summary>
    internal static bool TryParseDigests(string value, IDictionary<string, byte[]> digests)
    {
        foreach (var rawMember in value.Split(','))
        {
            var member = rawMember.Trim();
            if (member.Length == 0)
            {
                continue;
            }

            var semicolon = member.IndexOf(';', StringComparison.Ordinal);
            if (semicolon >= 0)
            {
                member = member[..semicolon].TrimEnd();
            }

            var equals = member.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return false;
            }

            var key = member[..equals].Trim().ToLowerInvariant();
            var item = member[(equals + 1)..].Trim();
            if (item.Length < 2 || item[0] != ':' || item[^1] != ':')
            {
                return false;
            }

            var algorithm = key switch
            {
                "sha-256" => Sha256,
                "md5" => Md5,
                "crc32c" => Crc32C,
                _ => null,
            };
            if (algorithm is null)
            {
                continue;
            }

            try
            {
                digests[algorithm] = Convert.FromBase64String(item[1..^1]);
            }
            catch (FormatException)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSupported(string algorithm) =>
        algorithm is not null && (algorithm.Equals(Sha256, StringComparison.OrdinalIgnoreCase) ||
            algorithm.Equals(Md5, StringComparison.OrdinalIgnoreCase) || algorithm.Equals(Crc32C, StringComparison.OrdinalIgnoreCase));

    private static string DisplayName(string algorithm) => algorithm switch
    {
        Sha256 => "SHA-256",
        Md5 => "MD5",
        _ => "CRC-32C",
    };

    private static UploadRejectedException Reject(UploadFileHeader file, string message) => FileValidation.Reject(file, [message]);

    private void Release()
    {
        foreach (var running in _running)
        {
            running.Dispose();
        }

        _running.Clear();
        _expected.Clear();
        _file = null;
    }

    private sealed class Running : IDisposable
    {
        private readonly IncrementalHash? _hash;
        private readonly Crc32Castagnoli? _crc;

        public Running(string algorithm)
        {
            Algorithm = algorithm;
            if (algorithm == Crc32C)
            {
                _crc = new Crc32Castagnoli();
            }
            else
            {
#pragma warning disable CA5351 // MD5 is a transfer checksum here (S3 and Azure's Content-MD5), not a security measure.
                _hash = IncrementalHash.CreateHash(algorithm == Md5 ? HashAlgorithmName.MD5 : HashAlgorithmName.SHA256);
#pragma warning restore CA5351
            }
        }

        public string Algorithm { get; }

        public void Append(ReadOnlySpan<byte> data)
        {
            if (_crc is not null)
            {
                _crc.Append(data);
            }
            else
            {
                _hash!.AppendData(data);
            }
        }

        public byte[] GetHash() => _crc is not null ? _crc.GetCurrentHash() : _hash!.GetHashAndReset();

        public void Dispose() => _hash?.Dispose();
    }
}
