using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace UploadKit.Storage.Gcs.Tests.FakeGcs;

/// <summary>
/// Checks V4 signed URLs and POST policies the way Google documents it, written apart from the package's signer so
/// the two check each other. Returns <see langword="null"/> when a request is allowed, else an error code and reason.
/// </summary>
internal sealed class V4Verifier
{
    private const string Algorithm = "GOOG4-RSA-SHA256";
    private readonly Dictionary<string, RSA> _keys = new(StringComparer.Ordinal);

    /// <summary>Trusts the service account in <paramref name="serviceAccountJson"/> (its public key).</summary>
    public V4Verifier(string serviceAccountJson)
    {
        using var document = JsonDocument.Parse(serviceAccountJson);
        var rsa = RSA.Create();
        rsa.ImportFromPem(document.RootElement.GetProperty("private_key").GetString());
        var publicOnly = RSA.Create();
        publicOnly.ImportParameters(rsa.ExportParameters(includePrivateParameters: false));
        rsa.Dispose();
        _keys[document.RootElement.GetProperty("client_email").GetString()!] = publicOnly;
    }

    public static string Encode(string value, bool keepSlash)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if ((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' || b == '~' ||
                (keepSlash && b == '/'))
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append(CultureInfo.InvariantCulture, $"%{b:X2}");
            }
        }

        return builder.ToString();
    }

    public static List<KeyValuePair<string, string>> ParseQuery(string rawQuery) =>
        rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Select(p => new KeyValuePair<string, string>(Uri.UnescapeDataString(p[0]), p.Length > 1 ? Uri.UnescapeDataString(p[1]) : string.Empty))
            .ToList();

    /// <summary>Verifies a signed URL request.</summary>
    /// <param name="method">The request's method.</param>
    /// <param name="host">The <c>Host</c> header as sent.</param>
    /// <param name="rawPath">The path as sent (percent-encoded).</param>
    /// <param name="rawQuery">The query as sent.</param>
    /// <param name="headers">The request's headers.</param>
    /// <param name="now">The time the request is made.</param>
    public (HttpStatusCode Status, string Code, string Reason)? VerifyUrl(
        string method, string host, string rawPath, string rawQuery, IEnumerable<KeyValuePair<string, string>> headers, DateTimeOffset now)
    {
        var query = ParseQuery(rawQuery);
        string? Get(string name) => query.Where(p => p.Key == name).Select(p => p.Value).SingleOrDefault();
        var algorithm = Get("X-Goog-Algorithm");
        var credential = Get("X-Goog-Credential");
        var dateText = Get("X-Goog-Date");
        var expiresText = Get("X-Goog-Expires");
        var signedHeaders = Get("X-Goog-SignedHeaders");
        var signature = Get("X-Goog-Signature");
        if (algorithm != Algorithm || credential is null || dateText is null || expiresText is null || signedHeaders is null || signature is null)
        {
            return (
                HttpStatusCode.BadRequest,
                "AuthorizationQueryParametersError",
                "A V4 signed URL needs every X-Goog-* parameter, with algorithm GOOG4-RSA-SHA256.");
        }

        if (!DateTimeOffset.TryParseExact(
            dateText, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) ||
            !int.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || expires < 1 || expires > 604800)
        {
            return (HttpStatusCode.BadRequest, "AuthorizationQueryParametersError", "X-Goog-Date or X-Goog-Expires is malformed.");
        }

        var parts = credential.Split('/');
        if (parts.Length != 5 || parts[1] != dateText[..8] || parts[3] != "storage" || parts[4] != "goog4_request" ||
            !_keys.TryGetValue(parts[0], out var key))
        {
            return (HttpStatusCode.BadRequest, "AuthorizationQueryParametersError", "X-Goog-Credential is malformed or names an unknown account.");
        }

        if (now > date.AddSeconds(expires))
        {
            return (HttpStatusCode.BadRequest, "ExpiredToken", "The provided token has expired.");
        }

        if (now < date.AddMinutes(-15))
        {
            return (HttpStatusCode.BadRequest, "AuthorizationQueryParametersError", "X-Goog-Date is in the future.");
        }

        var names = signedHeaders.Split(';');
        if (!names.Contains("host") || names.Any(n => n != n.ToLowerInvariant()) || !names.SequenceEqual(names.Order(StringComparer.Ordinal)))
        {
            return (
                HttpStatusCode.BadRequest,
                "AuthorizationQueryParametersError",
                "X-Goog-SignedHeaders must be sorted lower-case names including host.");
        }

        var headerList = headers.ToList();
        var canonicalHeaders = new StringBuilder();
        foreach (var name in names)
        {
            string value;
            if (name == "host")
            {
                value = StripPort(host);
            }
            else
            {
                var values = headerList.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
                    .Select(h => Fold(h.Value))
                    .ToList();
                if (values.Count == 0)
                {
                    return (HttpStatusCode.BadRequest, "MissingSecurityHeader", $"Your request was missing the signed header '{name}'.");
                }

                value = string.Join(',', values);
            }

            canonicalHeaders.Append(name).Append(':').Append(value).Append('\n');
        }

        var payload = names.Contains("x-goog-content-sha256")
            ? headerList.First(h => string.Equals(h.Key, "x-goog-content-sha256", StringComparison.OrdinalIgnoreCase)).Value.Trim()
            : "UNSIGNED-PAYLOAD";
        var canonicalQuery = string.Join('&', query.Where(p => p.Key != "X-Goog-Signature")
            .Select(p => (N: Encode(p.Key, false), V: Encode(p.Value, false)))
            .OrderBy(p => p.N, StringComparer.Ordinal).ThenBy(p => p.V, StringComparer.Ordinal)
            .Select(p => p.N + "=" + p.V));
        var path = string.Join('/', rawPath.Split('/').Select(s => Encode(Uri.UnescapeDataString(s), false)));
        if (path.Length == 0)
        {
            path = "/";
        }

        var signatureBytes = TryHex(signature);
        if (signatureBytes is null)
        {
            return (HttpStatusCode.Forbidden, "SignatureDoesNotMatch", "The signature is not hexadecimal.");
        }

        var scope = string.Join('/', parts.Skip(1));
        if (Matches(key, method, path, canonicalQuery, canonicalHeaders.ToString(), signedHeaders, payload, dateText, scope, signatureBytes))
        {
            return null;
        }

        // Google's vector "Universe domain with virtual hosted style" signs the path-style resource for a
        // virtual-hosted host (bucket.storage.<domain>); accept that form too, for such hosts only.
        var labels = StripPort(host).Split('.');
        if (labels.Length > 2 && labels[1] == "storage" &&
            Matches(
                key,
                method,
                "/" + labels[0] + path,
                canonicalQuery,
                canonicalHeaders.ToString(),
                signedHeaders,
                payload,
                dateText,
                scope,
                signatureBytes))
        {
            return null;
        }

        return (HttpStatusCode.Forbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
    }

    /// <summary>Verifies a POST policy form.</summary>
    /// <param name="fields">The form fields other than the file.</param>
    /// <param name="bucket">The bucket the form was posted to.</param>
    /// <param name="fileLength">The file's length.</param>
    /// <param name="now">The time the request is made.</param>
    public (HttpStatusCode Status, string Code, string Reason)? VerifyPolicy(
        IReadOnlyList<KeyValuePair<string, string>> fields, string bucket, long fileLength, DateTimeOffset now)
    {
        string? Field(string name) =>
            fields.Where(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).FirstOrDefault();
        var policy = Field("policy");
        var signature = Field("x-goog-signature");
        var credential = Field("x-goog-credential");
        if (policy is null || signature is null || credential is null || Field("x-goog-algorithm") != Algorithm || Field("key") is null)
        {
            return (
                HttpStatusCode.BadRequest,
                "InvalidArgument",
                "A POST policy form needs key, policy, x-goog-algorithm, x-goog-credential and x-goog-signature.");
        }

        if (!_keys.TryGetValue(credential.Split('/')[0], out var key) || TryHex(signature) is not { } signatureBytes ||
            !key.VerifyData(Encoding.UTF8.GetBytes(policy), signatureBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return (HttpStatusCode.Forbidden, "SignatureDoesNotMatch", "The policy signature does not match.");
        }

        using var document = JsonDocument.Parse(Convert.FromBase64String(policy));
        var expiration = DateTimeOffset.Parse(document.RootElement.GetProperty("expiration").GetString()!, CultureInfo.InvariantCulture);
        if (now > expiration)
        {
            return (HttpStatusCode.BadRequest, "InvalidPolicyDocument", "Invalid according to Policy: Policy expired.");
        }

        var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "policy", "x-goog-signature", "file", "bucket" };
        foreach (var condition in document.RootElement.GetProperty("conditions").EnumerateArray())
        {
            if (condition.ValueKind == JsonValueKind.Object)
            {
                var property = condition.EnumerateObject().Single();
                var actual = property.Name == "bucket" ? bucket : Field(property.Name);
                if (actual != property.Value.GetString())
                {
                    return (
                        HttpStatusCode.Forbidden,
                        "AccessDenied",
                        $"Invalid according to Policy: Policy Condition failed: [\"eq\", \"${property.Name}\"].");
                }

                covered.Add(property.Name);
                continue;
            }

            var items = condition.EnumerateArray().ToList();
            var op = items[0].GetString();
            if (op == "content-length-range")
            {
                if (fileLength < items[1].GetInt64() || fileLength > items[2].GetInt64())
                {
                    return (HttpStatusCode.BadRequest, "EntityTooLarge", "Your proposed upload is outside the policy's content-length-range.");
                }

                continue;
            }

            var name = items[1].GetString()!.TrimStart('$');
            var expected = items[2].GetString()!;
            var value = name == "bucket" ? bucket : Field(name) ?? string.Empty;
            var ok = op switch
            {
                "starts-with" => value.StartsWith(expected, StringComparison.Ordinal),
                "eq" => value == expected,
                _ => false,
            };
            if (!ok)
            {
                return (HttpStatusCode.Forbidden, "AccessDenied", $"Invalid according to Policy: Policy Condition failed: [\"{op}\", \"${name}\"].");
            }

            covered.Add(name);
        }

        var extra = fields.Select(f => f.Key)
            .FirstOrDefault(n => !covered.Contains(n) && !n.StartsWith("x-ignore-", StringComparison.OrdinalIgnoreCase));
        return extra is null ? null : (HttpStatusCode.Forbidden, "AccessDenied", $"Invalid according to Policy: Extra input fields: {extra}.");
    }

    public static string StripPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
    }

    private static bool Matches(
        RSA key,
        string method,
        string path,
        string query,
        string headers,
        string signedHeaders,
        string payload,
        string date,
        string scope,
        byte[] signature)
    {
        var canonical = $"{method}\n{path}\n{query}\n{headers}\n{signedHeaders}\n{payload}";
        var stringToSign = $"{Algorithm}\n{date}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        return key.VerifyData(Encoding.UTF8.GetBytes(stringToSign), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private static string Fold(string value) => string.Join(' ', value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));

    private static byte[]? TryHex(string hex)
    {
        try
        {
            return hex.Length % 2 == 0 ? Convert.FromHexString(hex) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
