using System.Net;
using System.Text.Json;
using UploadKit.Storage.Gcs.Internal;
using UploadKit.Storage.Gcs.Tests.FakeGcs;

namespace UploadKit.Storage.Gcs.Tests;

/// <summary>
/// The package's V4 signer and the test server's verifier against Google's published conformance vectors
/// (<c>gcs-conformance/v4_signatures.json</c>, read from the shared test data folder, never copied).
/// </summary>
public sealed class V4ConformanceTests
{
    /// <summary>
    /// Signed-URL vectors not run against the signer, each with the reason. Every other vector is run.
    /// <list type="bullet">
    /// <item>"Universe domain with virtual hosted style": it signs the path-style resource (<c>/test-bucket/test-object</c>)
    /// for a virtual-hosted URL, unlike "Virtual Hosted Style", which signs <c>/test-object</c>. The package exposes no
    /// universe-domain setting and signs virtual-hosted URLs the way "Virtual Hosted Style" does. (The verifier still
    /// accepts the vector's URL, see <see cref="Verifier_EverySignedUrlVector_AcceptedAtItsTimestamp"/>.)</item>
    /// </list>
    /// </summary>
    private static readonly Dictionary<string, string> SkippedSignedUrlCases = new()
    {
        ["Universe domain with virtual hosted style"] = "universe domains are not exposed; the vector signs a " +
            "path-style resource for a virtual-hosted host",
    };

    [Test]
    public void SignUrl_EveryVectorUsingExposedFeatures_ProducesGoogleExpectedUrl()
    {
        using var key = ConformanceVectors.SigningKey();
        var cases = ConformanceVectors.SignedUrlCases().ToList();
        var run = 0;
        Assert.Multiple(() =>
        {
            foreach (var c in cases)
            {
                var description = c.Str("description")!;
                if (SkippedSignedUrlCases.ContainsKey(description))
                {
                    continue;
                }

                run++;
                var url = V4Signer.SignUrl(
                    key,
                    c.Str("method")!,
                    ConformanceVectors.Target(c),
                    c.Str("bucket")!,
                    c.Str("object"),
                    c.Pairs("headers"),
                    c.Pairs("queryParameters"),
                    c.Timestamp(),
                    TimeSpan.FromSeconds(c.GetProperty("expiration").GetInt32()));
                Assert.That(url, Is.EqualTo(c.Str("expectedUrl")), description);
            }
        });
        Assert.That(cases, Has.Count.EqualTo(29), "the vectors file changed");
        Assert.That(run, Is.EqualTo(28));
    }

    [Test]
    public void SignPostPolicy_EveryVector_ProducesGoogleExpectedUrlAndFields()
    {
        using var key = ConformanceVectors.SigningKey();
        var cases = ConformanceVectors.PostPolicyCases().ToList();
        Assert.Multiple(() =>
        {
            foreach (var c in cases)
            {
                var input = c.GetProperty("policyInput");
                var output = c.GetProperty("policyOutput");
                var conditions = new List<string>();
                if (input.TryGetProperty("conditions", out var cond))
                {
                    if (cond.TryGetProperty("startsWith", out var sw))
                    {
                        conditions.Add(V4Signer.StartsWithCondition(sw[0].GetString()!, sw[1].GetString()!));
                    }

                    if (cond.TryGetProperty("contentLengthRange", out var range))
                    {
                        conditions.Add(V4Signer.ContentLengthRangeCondition(range[0].GetInt64(), range[1].GetInt64()));
                    }
                }

                var (url, fields) = V4Signer.SignPostPolicy(
                    key,
                    ConformanceVectors.Target(input),
                    input.Str("bucket")!,
                    input.Str("object")!,
                    input.Pairs("fields"),
                    conditions,
                    input.Timestamp(),
                    TimeSpan.FromSeconds(input.GetProperty("expiration").GetInt32()));
                var description = c.Str("description");
                Assert.That(url, Is.EqualTo(output.Str("url")), description);
                Assert.That(
                    fields.OrderBy(f => f.Key, StringComparer.Ordinal),
                    Is.EqualTo(output.Pairs("fields").OrderBy(f => f.Key, StringComparer.Ordinal)),
                    description);
                Assert.That(fields.Select(f => f.Key), Is.Unique, description);
            }
        });
        Assert.That(cases, Has.Count.EqualTo(11));
    }

    [Test]
    public void Verifier_EverySignedUrlVector_AcceptedAtItsTimestamp()
    {
        var verifier = new V4Verifier(ConformanceVectors.ServiceAccountJson());
        var cases = ConformanceVectors.SignedUrlCases().ToList();
        Assert.Multiple(() =>
        {
            foreach (var c in cases)
            {
                var (method, uri, headers) = Request(c);
                var result = verifier.VerifyUrl(method, uri.Authority, uri.AbsolutePath, uri.Query, headers, c.Timestamp().AddSeconds(1));
                Assert.That(result, Is.Null, c.Str("description"));
            }
        });
        Assert.That(cases, Has.Count.EqualTo(29));
    }

    [Test]
    public void Verifier_SignatureWithOneByteChanged_Refused()
    {
        var verifier = new V4Verifier(ConformanceVectors.ServiceAccountJson());
        Assert.Multiple(() =>
        {
            foreach (var c in ConformanceVectors.SignedUrlCases())
            {
                var (method, uri, headers) = Request(c);
                var query = uri.Query;
                var at = query.IndexOf("X-Goog-Signature=", StringComparison.Ordinal) + "X-Goog-Signature=".Length + 10;
                var tampered = query[..at] + (query[at] == '0' ? '1' : '0') + query[(at + 1)..];
                var result = verifier.VerifyUrl(method, uri.Authority, uri.AbsolutePath, tampered, headers, c.Timestamp());
                Assert.That(result?.Code, Is.EqualTo("SignatureDoesNotMatch"), c.Str("description"));
            }
        });
    }

    [Test]
    public void Verifier_AfterExpiry_RefusedAsExpired()
    {
        var verifier = new V4Verifier(ConformanceVectors.ServiceAccountJson());
        Assert.Multiple(() =>
        {
            foreach (var c in ConformanceVectors.SignedUrlCases())
            {
                var (method, uri, headers) = Request(c);
                var late = c.Timestamp().AddSeconds(c.GetProperty("expiration").GetInt32() + 1);
                Assert.That(
                    verifier.VerifyUrl(method, uri.Authority, uri.AbsolutePath, uri.Query, headers, late)?.Code,
                    Is.EqualTo("ExpiredToken"),
                    c.Str("description"));
            }
        });
    }

    [Test]
    public void Verifier_SignedHeaderNotSent_Refused()
    {
        var verifier = new V4Verifier(ConformanceVectors.ServiceAccountJson());
        var withHeaders = ConformanceVectors.SignedUrlCases().Where(c => c.Pairs("headers").Count > 0).ToList();
        Assert.Multiple(() =>
        {
            foreach (var c in withHeaders)
            {
                var (method, uri, headers) = Request(c);
                var result = verifier.VerifyUrl(method, uri.Authority, uri.AbsolutePath, uri.Query, headers.Skip(1), c.Timestamp());
                Assert.That(result?.Code, Is.EqualTo("MissingSecurityHeader"), c.Str("description"));
            }
        });
        Assert.That(withHeaders, Has.Count.EqualTo(9));
    }

    [Test]
    public void Verifier_SignedHeaderWithOtherValue_Refused()
    {
        var verifier = new V4Verifier(ConformanceVectors.ServiceAccountJson());
        var c = ConformanceVectors.SignedUrlCases().Single(v => v.Str("description") == "POST for resumable uploads");
        var (method, uri, _) = Request(c);
        var result = verifier.VerifyUrl(method, uri.Authority, uri.AbsolutePath, uri.Query, [new("X-Goog-Resumable", "stop")], c.Timestamp());
        Assert.That(result?.Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public void Verifier_EveryPostPolicyVector_AcceptedAndTamperedOrExpiredRefused()
    {
        var verifier = new V4Verifier(ConformanceVectors.ServiceAccountJson());
        var cases = ConformanceVectors.PostPolicyCases().ToList();
        Assert.Multiple(() =>
        {
            foreach (var c in cases)
            {
                var input = c.GetProperty("policyInput");
                var fields = c.GetProperty("policyOutput").Pairs("fields");
                if (input.TryGetProperty("conditions", out var cond) && cond.TryGetProperty("startsWith", out var sw))
                {
                    // The form a browser posts carries the field the starts-with condition is about ("acl": "public-read").
                    fields.Add(new(sw[0].GetString()!.TrimStart('$'), sw[1].GetString() + "-read"));
                }

                var bucket = input.Str("bucket")!;
                var at = input.Timestamp();
                var description = c.Str("description");
                Assert.That(verifier.VerifyPolicy(fields, bucket, 256, at), Is.Null, description);

                var tampered = fields.Select(f => f.Key == "x-goog-signature"
                    ? new KeyValuePair<string, string>(f.Key, (f.Value[0] == '0' ? "1" : "0") + f.Value[1..])
                    : f).ToList();
                Assert.That(verifier.VerifyPolicy(tampered, bucket, 256, at)?.Code, Is.EqualTo("SignatureDoesNotMatch"), description);
                Assert.That(verifier.VerifyPolicy(fields, bucket, 256, at.AddSeconds(11))?.Code, Is.EqualTo("InvalidPolicyDocument"), description);
                Assert.That(verifier.VerifyPolicy(fields, "another-bucket", 256, at)?.Code, Is.EqualTo("AccessDenied"), description);
            }
        });
        Assert.That(cases, Has.Count.EqualTo(11));
    }

    [Test]
    public void Verifier_PostPolicyOutsideContentLengthRange_Refused()
    {
        var verifier = new V4Verifier(ConformanceVectors.ServiceAccountJson());
        var c = ConformanceVectors.PostPolicyCases().Single(v => v.Str("description") == "POST Policy Within Content-Range");
        var fields = c.GetProperty("policyOutput").Pairs("fields");
        var input = c.GetProperty("policyInput");
        Assert.Multiple(() =>
        {
            Assert.That(verifier.VerifyPolicy(fields, input.Str("bucket")!, 267, input.Timestamp())?.Code, Is.EqualTo("EntityTooLarge"));
            Assert.That(verifier.VerifyPolicy(fields, input.Str("bucket")!, 245, input.Timestamp())?.Code, Is.EqualTo("EntityTooLarge"));
            Assert.That(verifier.VerifyPolicy(fields, input.Str("bucket")!, 266, input.Timestamp()), Is.Null);
        });
    }

    private static (string Method, Uri Uri, List<KeyValuePair<string, string>> Headers) Request(JsonElement c)
    {
        var uri = new Uri(c.Str("expectedUrl")!);
        return (c.Str("method")!, uri, c.Pairs("headers"));
    }
}
