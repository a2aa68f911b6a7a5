using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace UploadKit.Storage.Gcs.Tests.FakeGcs;

/// <summary>The XML API at <c>/{bucket}/{object}</c>: V4 signed URLs, resumable sessions they start, and POST policy forms.</summary>
internal sealed partial class FakeGcsServer
{
    private static readonly string[] SignedUrlParameters =
    [
        "X-Goog-Algorithm", "X-Goog-Credential", "X-Goog-Date", "X-Goog-Expires", "X-Goog-SignedHeaders", "X-Goog-Signature",
        "response-content-disposition", "response-content-type",
    ];

    private async Task HandleXmlApiAsync(
        HttpContext context, string rawPath, string rawQuery, string[] segments, List<KeyValuePair<string, string>> query)
    {
        var method = context.Request.Method;
        if (segments.Length == 0 || segments[0].Length == 0)
        {
            throw new ProtocolException($"{method} {rawPath}: no bucket");
        }

        var bucketName = segments[0];
        var objectName = string.Join('/', segments.Skip(1));
        if (!_buckets.TryGetValue(bucketName, out var bucket))
        {
            await XmlError(context, HttpStatusCode.NotFound, "NoSuchBucket", "The specified bucket does not exist.");
            return;
        }

        if (Param(query, "upload_id") is { } uploadId)
        {
            Allow(context, query, "upload_id");
            if (method != "PUT")
            {
                throw new ProtocolException($"{method} on a resumable session is not supported");
            }

            await SessionPutAsync(context, uploadId, json: false);
            return;
        }

        if (method == "POST" && objectName.Length == 0 && context.Request.HasFormContentType)
        {
            Allow(context, query);
            await PolicyUploadAsync(context, bucket);
            return;
        }

        if (Param(query, "X-Goog-Signature") is null)
        {
            Allow(context, query);
            if (method == "GET" && bucket.Get(objectName) is { Acl: "publicRead" } publicObject)
            {
                await WriteContentAsync(context, publicObject);
                return;
            }

            await XmlError(context, HttpStatusCode.Forbidden, "AccessDenied", "Anonymous caller does not have storage.objects.get access.");
            return;
        }

        Allow(context, query, SignedUrlParameters);
        var headers = context.Request.Headers.SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? string.Empty)));
        var refusal = _verifier.VerifyUrl(method, context.Request.Host.Value ?? string.Empty, rawPath, rawQuery, headers, Now());
        if (refusal is { } r)
        {
            await XmlError(context, r.Status, r.Code, r.Reason);
            return;
        }

        switch (method)
        {
            case "GET":
                var obj = bucket.Get(objectName);
                if (obj is null)
                {
                    await XmlError(context, HttpStatusCode.NotFound, "NoSuchKey", "The specified key does not exist.");
                    return;
                }

                await WriteContentAsync(context, obj, Param(query, "response-content-type"), Param(query, "response-content-disposition"));
                return;
            case "PUT":
                await SignedPutAsync(context, bucket, objectName);
                return;
            case "POST" when context.Request.Headers["x-goog-resumable"] == "start":
                await StartXmlSessionAsync(context, bucket, objectName);
                return;
            default:
                throw new ProtocolException($"signed {method} is not supported");
        }
    }

    private static (long Min, long Max)? LengthRange(HttpContext context)
    {
        var text = context.Request.Headers["x-goog-content-length-range"].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        var parts = text.Split(',');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private static long? IfGenerationMatchHeader(HttpContext context) =>
        context.Request.Headers["x-goog-if-generation-match"].ToString() is { Length: > 0 } g ? long.Parse(g, CultureInfo.InvariantCulture) : null;

    private FakeObject XmlObject(HttpContext context, string bucket, string name, byte[] data)
    {
        var obj = new FakeObject
        {
            Bucket = bucket,
            Name = name,
            Data = data,
            Generation = NextGeneration(),
            ContentType = context.Request.ContentType ?? "application/octet-stream",
            CacheControl = context.Request.Headers.CacheControl.ToString() is { Length: > 0 } cc ? cc : null,
            ContentDisposition = context.Request.Headers.ContentDisposition.ToString() is { Length: > 0 } cd ? cd : null,
            Acl = AclFromXml(context.Request.Headers["x-goog-acl"].ToString()),
        };
        foreach (var header in context.Request.Headers.Where(h => h.Key.StartsWith("x-goog-meta-", StringComparison.OrdinalIgnoreCase)))
        {
            obj.Metadata[header.Key["x-goog-meta-".Length..].ToLowerInvariant()] = header.Value.ToString();
        }

        return obj;
    }

    private static string? AclFromXml(string acl) => acl switch
    {
        "" => null,
        "public-read" => "publicRead",
        "private" => "private",
        "project-private" => "projectPrivate",
        "authenticated-read" => "authenticatedRead",
        "bucket-owner-read" => "bucketOwnerRead",
        "bucket-owner-full-control" => "bucketOwnerFullControl",
        _ => throw new ProtocolException("unknown x-goog-acl " + acl),
    };

    private async Task SignedPutAsync(HttpContext context, FakeBucket bucket, string objectName)
    {
        var range = LengthRange(context);
        if (range is { } declared && context.Request.ContentLength is { } announced && (announced < declared.Min || announced > declared.Max))
        {
            await XmlError(context, HttpStatusCode.BadRequest, "EntityTooLarge", "Your proposed upload is outside x-goog-content-length-range.");
            return;
        }

        var data = await ReadBodyAsync(context);
        if (range is { } limits && (data.LongLength < limits.Min || data.LongLength > limits.Max))
        {
            await XmlError(context, HttpStatusCode.BadRequest, "EntityTooLarge", "Your proposed upload is outside x-goog-content-length-range.");
            return;
        }

        if (context.Request.Headers["Content-MD5"].ToString() is { Length: > 0 } md5 && md5 != Convert.ToBase64String(MD5.HashData(data)))
        {
            await XmlError(context, HttpStatusCode.BadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.");
            return;
        }

        if (context.Request.Headers["x-goog-content-sha256"].ToString() is { Length: > 0 } sha &&
            sha != Convert.ToHexStringLower(SHA256.HashData(data)))
        {
            await XmlError(
                context, HttpStatusCode.BadRequest, "BadDigest", "The x-goog-content-sha256 you specified did not match what we received.");
            return;
        }

        var obj = XmlObject(context, bucket.Name, objectName, data);
        if (!bucket.TryPut(obj, IfGenerationMatchHeader(context)))
        {
            await XmlError(
                context, HttpStatusCode.PreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
            return;
        }

        WriteObjectHeaders(context, obj);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private async Task StartXmlSessionAsync(HttpContext context, FakeBucket bucket, string objectName)
    {
        if ((await ReadBodyAsync(context)).Length != 0)
        {
            await XmlError(context, HttpStatusCode.BadRequest, "InvalidArgument", "A resumable upload start has no body.");
            return;
        }

        var ifGenerationMatch = IfGenerationMatchHeader(context);
        if (ifGenerationMatch is { } g && (bucket.Get(objectName)?.Generation ?? 0) != g)
        {
            await XmlError(
                context, HttpStatusCode.PreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
            return;
        }

        var template = XmlObject(context, bucket.Name, objectName, []);
        var session = new UploadSession
        {
            Bucket = bucket.Name,
            Name = objectName,
            IfGenerationMatch = ifGenerationMatch,
            LengthRange = LengthRange(context),
            Create = (data, generation) => new FakeObject
            {
                Bucket = template.Bucket,
                Name = template.Name,
                Data = data,
                Generation = generation,
                ContentType = template.ContentType,
                CacheControl = template.CacheControl,
                ContentDisposition = template.ContentDisposition,
                Acl = template.Acl,
                Metadata = template.Metadata,
            },
        };
        var id = Guid.NewGuid().ToString("N");
        _sessions[id] = session;
        Interlocked.Increment(ref _sessionsStarted);
        context.Response.Headers.Location = $"{BaseAddress}{bucket.Name}/{V4Verifier.Encode(objectName, keepSlash: true)}?upload_id={id}";
        context.Response.StatusCode = StatusCodes.Status201Created;
    }

    private async Task PolicyUploadAsync(HttpContext context, FakeBucket bucket)
    {
        var form = await context.Request.ReadFormAsync();
        var file = form.Files.GetFile("file");
        if (file is null || form.Files.Count != 1)
        {
            await XmlError(
                context, HttpStatusCode.BadRequest, "InvalidArgument", "A POST policy form carries exactly one file, in the field 'file'.");
            return;
        }

        var fields = form.Select(f => new KeyValuePair<string, string>(f.Key, f.Value.ToString())).ToList();
        var refusal = _verifier.VerifyPolicy(fields, bucket.Name, file.Length, Now());
        if (refusal is { } r)
        {
            await XmlError(context, r.Status, r.Code, r.Reason);
            return;
        }

        string? Field(string name) =>
            fields.Where(f => string.Equals(f.Key, name, StringComparison.OrdinalIgnoreCase)).Select(f => f.Value).FirstOrDefault();
        using var data = new MemoryStream();
        await file.CopyToAsync(data);
        var obj = new FakeObject
        {
            Bucket = bucket.Name,
            Name = Field("key")!,
            Data = data.ToArray(),
            Generation = NextGeneration(),
            ContentType = Field("Content-Type") ?? "application/octet-stream",
            CacheControl = Field("cache-control"),
            ContentDisposition = Field("content-disposition"),
            Acl = AclFromXml(Field("acl") ?? string.Empty),
        };
        bucket.TryPut(obj, ifGenerationMatch: null);
        WriteObjectHeaders(context, obj);
        context.Response.StatusCode = Field("success_action_status") is "200" or "201"
            ? int.Parse(Field("success_action_status")!, CultureInfo.InvariantCulture)
            : StatusCodes.Status204NoContent;
    }
}
