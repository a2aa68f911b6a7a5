using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace UploadKit.Storage.Gcs.Internal;

/// <summary>A service account's e-mail and RSA private key: what V4 signing needs.</summary>
internal sealed class GcsSigningKey : IDisposable
{
    private readonly RSA _rsa;

    public GcsSigningKey(string clientEmail, RSA rsa)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientEmail);
        ArgumentNullException.ThrowIfNull(rsa);
        ClientEmail = clientEmail;
        _rsa = rsa;
    }

    /// <summary>Gets the service account's e-mail, the first part of <c>X-Goog-Credential</c>.</summary>
    public string ClientEmail { get; }

    /// <summary>Reads <c>client_email</c> and <c>private_key</c> from a service-account JSON key.</summary>
    /// <param name="json">The key file's text.</param>
    /// <returns>The key.</returns>
    /// <exception cref="FormatException">The JSON is not a service-account key.</exception>
    public static GcsSigningKey FromServiceAccountJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        string? email;
        string? pem;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            email = root.TryGetProperty("client_email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            pem = root.TryGetProperty("private_key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
        }
        catch (JsonException ex)
        {
            throw new FormatException("The Google credentials are not valid JSON.", ex);
        }

        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(pem))
        {
            throw new FormatException("The Google credentials are not a service-account key: " +
                "'client_email' and 'private_key' are required to sign URLs.");
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException ex)
        {
            rsa.Dispose();
            throw new FormatException("The service-account key's 'private_key' is not a PEM RSA private key.", ex);
        }

        return new GcsSigningKey(email, rsa);
    }

    /// <summary>Signs <paramref name="text"/> (UTF-8) with RSASSA-PKCS1-v1_5 over SHA-256, as lower-case hexadecimal.</summary>
    /// <param name="text">The string to sign.</param>
    /// <returns>The hexadecimal signature.</returns>
    public string SignHex(string text) =>
        Convert.ToHexStringLower(_rsa.SignData(Encoding.UTF8.GetBytes(text), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public void Dispose() => _rsa.Dispose();
}
