using System.Text.Json;
using UploadKit.Storage.Gcs.Internal;
using UploadKit.Testing;

namespace UploadKit.Storage.Gcs.Tests;

/// <summary>Google's V4 conformance vectors (<c>gcs-conformance/v4_signatures.json</c>) and their dummy service account.</summary>
internal static class ConformanceVectors
{
    public const string Folder = "gcs-conformance";

    public static JsonElement Load()
    {
        var path = TestEnvironment.RequireTestData(Folder + "/v4_signatures.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    public static string ServiceAccountJson() =>
        File.ReadAllText(TestEnvironment.RequireTestData(Folder + "/test_service_account.not-a-test.json"));

    public static GcsSigningKey SigningKey() => GcsSigningKey.FromServiceAccountJson(ServiceAccountJson());

    public static IEnumerable<JsonElement> SignedUrlCases() => Load().GetProperty("signingV4Tests").EnumerateArray();

    public static IEnumerable<JsonElement> PostPolicyCases() => Load().GetProperty("postPolicyV4Tests").EnumerateArray();

    public static string? Str(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static List<KeyValuePair<string, string>> Pairs(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v)
            ? v.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString()!)).ToList()
            : [];

    public static DateTimeOffset Timestamp(this JsonElement e) =>
        DateTimeOffset.Parse(e.Str("timestamp")!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The scheme, authority and URL style a signed-URL vector asks for. The vectors describe the host through
    /// client settings with a precedence (hostname, then client endpoint, then emulator host, then universe domain);
    /// the package takes the resulting address as one option (<c>Endpoint</c> or <c>BucketBoundHostname</c>), so the
    /// precedence is resolved here.
    /// </summary>
    public static GcsUrlTarget Target(JsonElement c)
    {
        var scheme = c.Str("scheme");
        var style = c.Str("urlStyle") switch
        {
            "VIRTUAL_HOSTED_STYLE" => GcsUrlStyle.VirtualHostedStyle,
            "BUCKET_BOUND_HOSTNAME" => GcsUrlStyle.BucketBoundHostname,
            _ => GcsUrlStyle.PathStyle,
        };
        if (style == GcsUrlStyle.BucketBoundHostname)
        {
            return new GcsUrlTarget(scheme ?? "https", c.Str("bucketBoundHostname")!, style);
        }

        string authority;
        string? endpointScheme = null;
        if (c.Str("hostname") is { } hostname)
        {
            authority = hostname;
        }
        else if ((c.Str("clientEndpoint") ?? c.Str("emulatorHostname")) is { } endpoint)
        {
            var schemeEnd = endpoint.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd > 0)
            {
                endpointScheme = endpoint[..schemeEnd];
                endpoint = endpoint[(schemeEnd + 3)..];
            }

            authority = endpoint;
        }
        else if (c.Str("universeDomain") is { } universe)
        {
            authority = "storage." + universe;
        }
        else
        {
            authority = "storage.googleapis.com";
        }

        return new GcsUrlTarget(scheme ?? endpointScheme ?? "https", authority, style);
    }
}
