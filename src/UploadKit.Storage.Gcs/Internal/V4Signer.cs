using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace UploadKit.Storage.Gcs.Internal;

/// <summary>
/// Google Cloud Storage V4 signing (<c>GOOG4-RSA-SHA256</c>): signed URLs and POST policies, built exactly as
/// Google's conformance vectors expect.
/// </summary>
internal static class V4Signer
{
    public const string Algorithm = "GOOG4-RSA-SHA256";
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";

    /// <summary>The longest a V4 signature may be valid: seven days.</summary>
    public static readonly TimeSpan MaxExpiry = TimeSpan.FromDays(7);

    /// <summary>Creates a V4 signed URL.</summary>
    /// <param name="key">The service account key.</param>
    /// <param name="method">The HTTP method the URL is for.</param>
    /// <param name="target">Scheme, authority and URL style.</param>
    /// <param name="bucket">The bucket.</param>
    /// <param name="objectName">The object, or <see langword="null"/> for the bucket itself.</param>
    /// <param name="headers">Headers the client must send; bound into the signature (with <c>host</c>).</param>
    /// <param name="queryParameters">Extra query parameters, also signed.</param>
    /// <param name="timestamp">The signing time.</param>
    /// <param name="expiresIn">How long the URL stays valid, 1 second to 7 days.</param>
    /// <returns>The URL.</returns>
    public static string SignUrl(
        GcsSigningKey key,
        string method,
        GcsUrlTarget target,
        string bucket,
        string? objectName,
        IEnumerable<KeyValuePair<string, string>> headers,
        IEnumerable<KeyValuePair<string, string>> queryParameters,
        DateTimeOffset timestamp,
        TimeSpan expiresIn)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        ValidateExpiry(expiresIn);

        var (host, path) = HostAndPath(target, bucket, objectName);
        var hostWithoutPort = StripPort(target.Style == GcsUrlStyle.VirtualHostedStyle ? bucket + "." + target.Authority : target.Authority);

        var canonicalHeaders = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["host"] = hostWithoutPort };
        foreach (var (name, value) in headers)
        {
            var lower = name.ToLowerInvariant();
            var canonicalValue = CanonicalHeaderValue(value);
            canonicalHeaders[lower] = canonicalHeaders.TryGetValue(lower, out var existing) && lower != "host"
                ? existing + "," + canonicalValue
                : canonicalValue;
        }

        var signedHeaders = string.Join(';', canonicalHeaders.Keys);
        var utc = timestamp.ToUniversalTime();
        var date = utc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var scope = utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "/auto/storage/goog4_request";

        var query = new List<KeyValuePair<string, string>>
        {
            new("X-Goog-Algorithm", Algorithm),
            new("X-Goog-Credential", key.ClientEmail + "/" + scope),
            new("X-Goog-Date", date),
            new("X-Goog-Expires", ((long)expiresIn.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
            new("X-Goog-SignedHeaders", signedHeaders),
        };
        query.AddRange(queryParameters);
        var canonicalQuery = CanonicalQuery(query);

        var payload = canonicalHeaders.TryGetValue("x-goog-content-sha256", out var payloadHash) ? payloadHash : UnsignedPayload;
        var canonicalRequest = BuildCanonicalRequest(method, path, canonicalQuery, canonicalHeaders, signedHeaders, payload);
        var stringToSign = StringToSign(date, scope, canonicalRequest);
        var signature = key.SignHex(stringToSign);
        return $"{target.Scheme}://{host}{path}?{canonicalQuery}&X-Goog-Signature={signature}";
    }

    /// <summary>Creates a V4 POST policy: the form's URL and every field to send before the file.</summary>
    /// <param name="key">The service account key.</param>
    /// <param name="target">Scheme, authority and URL style.</param>
    /// <param name="bucket">The bucket.</param>
    /// <param name="objectName">The object name (<c>key</c> field).</param>
    /// <param name="fields">Fields the form sends, each bound by an exact-match condition, in order.</param>
    /// <param name="conditions">Further conditions as JSON arrays (e.g. <c>["content-length-range",0,100]</c>), placed first.</param>
    /// <param name="timestamp">The signing time.</param>
    /// <param name="expiresIn">How long the policy stays valid, 1 second to 7 days.</param>
    /// <returns>The form's URL and fields.</returns>
    public static (string Url, List<KeyValuePair<string, string>> Fields) SignPostPolicy(
        GcsSigningKey key,
        GcsUrlTarget target,
        string bucket,
        string objectName,
        IReadOnlyList<KeyValuePair<string, string>> fields,
        IReadOnlyList<string> conditions,
        DateTimeOffset timestamp,
        TimeSpan expiresIn)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentException.ThrowIfNullOrEmpty(bucket);
        ArgumentException.ThrowIfNullOrEmpty(objectName);
        ValidateExpiry(expiresIn);

        var utc = timestamp.ToUniversalTime();
        var date = utc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var credential = key.ClientEmail + "/" + utc.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "/auto/storage/goog4_request";
        var expiration = (utc + TimeSpan.FromSeconds((long)expiresIn.TotalSeconds)).ToString(
            "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

        var json = new StringBuilder("{\"conditions\":[");
        foreach (var condition in conditions)
        {
            json.Append(condition).Append(',');
        }

        foreach (var (name, value) in fields)
        {
            AppendObject(json, name, value);
        }

        AppendObject(json, "bucket", bucket);
        AppendObject(json, "key", objectName);
        AppendObject(json, "x-goog-date", date);
        AppendObject(json, "x-goog-credential", credential);
        AppendObject(json, "x-goog-algorithm", Algorithm);
        json.Length--;
        json.Append("],\"expiration\":");
        AppendJsonString(json, expiration);
        json.Append('}');

        var policy = Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToString()));
        var signature = key.SignHex(policy);

        var output = new List<KeyValuePair<string, string>> { new("key", objectName) };
        output.AddRange(fields);
        output.Add(new("x-goog-algorithm", Algorithm));
        output.Add(new("x-goog-credential", credential));
        output.Add(new("x-goog-date", date));
        output.Add(new("x-goog-signature", signature));
        output.Add(new("policy", policy));

        var url = target.Style switch
        {
            GcsUrlStyle.PathStyle => $"{target.Scheme}://{target.Authority}/{bucket}/",
            GcsUrlStyle.VirtualHostedStyle => $"{target.Scheme}://{bucket}.{target.Authority}/",
            _ => $"{target.Scheme}://{target.Authority}/",
        };
        return (url, output);
    }

    /// <summary>A JSON condition array such as <c>["content-length-range",0,100]</c>.</summary>
    /// <param name="min">The smallest length.</param>
    /// <param name="max">The largest length.</param>
    /// <returns>The JSON text.</returns>
    public static string ContentLengthRangeCondition(long min, long max) =>
        string.Create(CultureInfo.InvariantCulture, $"[\"content-length-range\",{min},{max}]");

    /// <summary>A JSON condition array <c>["starts-with","$field","prefix"]</c>.</summary>
    /// <param name="field">The field, with its <c>$</c>.</param>
    /// <param name="prefix">The prefix.</param>
    /// <returns>The JSON text.</returns>
    public static string StartsWithCondition(string field, string prefix)
    {
        var json = new StringBuilder("[\"starts-with\",");
        AppendJsonString(json, field);
        json.Append(',');
        AppendJsonString(json, prefix);
        return json.Append(']').ToString();
    }

    /// <summary>Percent-encodes per RFC 3986: everything but <c>A-Z a-z 0-9 - . _ ~</c> (and <c>/</c> when <paramref name="keepSlash"/>).</summary>
    /// <param name="value">The text.</param>
    /// <param name="keepSlash">Whether <c>/</c> stays as is (paths).</param>
    /// <returns>The encoded text, with upper-case hex digits.</returns>
    public static string Encode(string value, bool keepSlash)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' || (keepSlash && c == '/'))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Sorts and encodes query parameters the V4 way.</summary>
    /// <param name="parameters">Decoded names and values.</param>
    /// <returns>The canonical query string.</returns>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> parameters) =>
        string.Join('&', parameters
            .Select(p => (Name: Encode(p.Key, keepSlash: false), Value: Encode(p.Value, keepSlash: false)))
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));

    /// <summary>Trims a header value and folds each run of spaces and tabs into one space.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The canonical value.</returns>
    public static string CanonicalHeaderValue(string value)
    {
        var builder = new StringBuilder(value.Length);
        var pendingSpace = false;
        foreach (var c in value.Trim(' ', '\t'))
        {
            if (c is ' ' or '\t')
            {
                pendingSpace = true;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>The canonical request: method, path, query, headers, signed header names, payload hash.</summary>
    public static string BuildCanonicalRequest(
        string method,
        string path,
        string canonicalQuery,
        IEnumerable<KeyValuePair<string, string>> sortedHeaders,
        string signedHeaders,
        string payload)
    {
        var builder = new StringBuilder();
        builder.Append(method).Append('\n').Append(path).Append('\n').Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in sortedHeaders)
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        builder.Append('\n').Append(signedHeaders).Append('\n').Append(payload);
        return builder.ToString();
    }

    /// <summary>The string to sign: algorithm, date, scope and the canonical request's SHA-256.</summary>
    public static string StringToSign(string date, string scope, string canonicalRequest) =>
        Algorithm + "\n" + date + "\n" + scope + "\n" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)));

    /// <summary>Removes a <c>:port</c> from an authority: V4 signs the host name alone.</summary>
    /// <param name="authority">A host with an optional port.</param>
    /// <returns>The host.</returns>
    public static string StripPort(string authority)
    {
        if (authority.StartsWith('['))
        {
            var end = authority.IndexOf(']', StringComparison.Ordinal);
            return end > 0 ? authority[..(end + 1)] : authority;
        }

        var colon = authority.LastIndexOf(':');
        return colon > 0 ? authority[..colon] : authority;
    }

    private static (string Host, string Path) HostAndPath(GcsUrlTarget target, string bucket, string? objectName)
    {
        var objectPath = objectName is null ? string.Empty : Encode(objectName, keepSlash: true);
        return target.Style switch
        {
            GcsUrlStyle.PathStyle => (target.Authority, "/" + bucket + (objectName is null ? string.Empty : "/" + objectPath)),
            GcsUrlStyle.VirtualHostedStyle => (bucket + "." + target.Authority, "/" + objectPath),
            _ => (target.Authority, "/" + objectPath),
        };
    }

    private static void ValidateExpiry(TimeSpan expiresIn)
    {
        if (expiresIn < TimeSpan.FromSeconds(1) || expiresIn > MaxExpiry)
        {
            throw new ArgumentOutOfRangeException(nameof(expiresIn), expiresIn, "A V4 signature is valid for 1 second to 7 days.");
        }
    }

    private static void AppendObject(StringBuilder json, string name, string value)
    {
        json.Append('{');
        AppendJsonString(json, name);
        json.Append(':');
        AppendJsonString(json, value);
        json.Append("},");
    }

    /// <summary>Writes a JSON string with every non-ASCII character escaped as <c>\uXXXX</c>, as Google's policies are.</summary>
    private static void AppendJsonString(StringBuilder json, string value)
    {
        json.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    json.Append("\\\"");
                    break;
                case '\\':
                    json.Append("\\\\");
                    break;
                case '\n':
                    json.Append("\\n");
                    break;
                case '\r':
                    json.Append("\\r");
                    break;
                case '\t':
                    json.Append("\\t");
                    break;
                case '\b':
                    json.Append("\\b");
                    break;
                case '\f':
                    json.Append("\\f");
                    break;
                default:
                    if (c < 0x20 || c > 0x7E)
                    {
                        json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        json.Append(c);
                    }

                    break;
            }
        }

        json.Append('"');
    }
}
