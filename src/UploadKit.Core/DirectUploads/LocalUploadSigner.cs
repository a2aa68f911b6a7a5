using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UploadKit;

/// <summary>
/// Signs and checks the URLs of local direct uploads (storages without presigned URLs of their own): HMAC-SHA256 over
/// the method, session id, object name, expiry, size limit and media type.
/// </summary>
internal sealed class LocalUploadSigner
{
    /// <summary>The shortest signing key accepted, in bytes.</summary>
    public const int MinKeyLength = 32;

    private readonly byte[] _key;

    public LocalUploadSigner(IOptions<DirectUploadOptions> options, ILogger<LocalUploadSigner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (options.Value.SigningKey is { } configured)
        {
            _key = DecodeKey(configured) ?? throw new InvalidOperationException(
                $"UploadKit:DirectUploads:SigningKey must be base64 of at least {MinKeyLength} bytes.");
        }
        else
        {
            _key = RandomNumberGenerator.GetBytes(MinKeyLength);
            logger.GeneratedSigningKey();
        }
    }

    /// <summary>Decodes a configured key; <see langword="null"/> if it is not base64 of at least <see cref="MinKeyLength"/> bytes.</summary>
    public static byte[]? DecodeKey(string key)
    {
        var buffer = new byte[key.Length];
        return Convert.TryFromBase64String(key, buffer, out var written) && written >= MinKeyLength ? buffer[..written] : null;
    }

    public string Sign(string method, string id, string objectName, long expires, long maxLength, string contentType)
    {
        var payload = string.Join(
            '\n',
            method,
            id,
            objectName,
            expires.ToString(CultureInfo.InvariantCulture),
            maxLength.ToString(CultureInfo.InvariantCulture),
            contentType);
        return WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload)));
    }

    public bool Verify(string method, string id, string objectName, long expires, long maxLength, string contentType, string signature)
    {
        byte[] given;
        try
        {
            given = WebEncoders.Base64UrlDecode(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        var expected = WebEncoders.Base64UrlDecode(Sign(method, id, objectName, expires, maxLength, contentType));
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
