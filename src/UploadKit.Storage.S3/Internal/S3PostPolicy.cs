using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace UploadKit.Storage.S3.Internal;

/// <summary>
/// Builds and signs S3 POST policies (browser form uploads) with AWS Signature Version 4: the policy is
/// base64-encoded and signed with the key derived from the secret, date, region and service.
/// </summary>
internal static class S3PostPolicy
{
    public const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The date stamp (<c>yyyyMMdd</c>) of the credential scope.</summary>
    public static string DateStamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>The <c>x-amz-date</c> value (<c>yyyyMMddTHHmmssZ</c>).</summary>
    public static string AmzDate(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The <c>x-amz-credential</c> value: access key and credential scope.</summary>
    public static string Credential(string accessKey, DateTimeOffset time, string region) =>
        $"{accessKey}/{DateStamp(time)}/{region}/s3/aws4_request";

    /// <summary>SigV4's signing key: HMAC-SHA256 chained over date, region, service and <c>aws4_request</c>.</summary>
    public static byte[] DeriveSigningKey(string secretKey, string dateStamp, string region, string service)
    {
        var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretKey), Encoding.UTF8.GetBytes(dateStamp));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    /// <summary>The <c>x-amz-signature</c> of a base64-encoded policy: lower-case hex HMAC-SHA256.</summary>
    public static string Sign(string base64Policy, string secretKey, string dateStamp, string region)
    {
        var key = DeriveSigningKey(secretKey, dateStamp, region, "s3");
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(base64Policy)));
    }

    /// <summary>
    /// Writes the policy document: its expiration and conditions. Exact-match conditions are
    /// <c>{"name": "value"}</c>; <paramref name="lengthRange"/> adds <c>["content-length-range", min, max]</c>.
    /// </summary>
    public static string Encode(
        DateTimeOffset expiration, IEnumerable<KeyValuePair<string, string>> exactConditions, (long Min, long Max)? lengthRange)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("expiration", expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WriteStartArray("conditions");
            foreach (var (name, value) in exactConditions)
            {
                writer.WriteStartObject();
                writer.WriteString(name, value);
                writer.WriteEndObject();
            }

            if (lengthRange is { } range)
            {
                writer.WriteStartArray();
                writer.WriteStringValue("content-length-range");
                writer.WriteNumberValue(range.Min);
                writer.WriteNumberValue(range.Max);
                writer.WriteEndArray();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
