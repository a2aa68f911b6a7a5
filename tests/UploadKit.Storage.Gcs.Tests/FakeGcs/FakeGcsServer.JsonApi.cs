using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace UploadKit.Storage.Gcs.Tests.FakeGcs;

/// <summary>The JSON API (<c>/storage/v1</c>, <c>/upload/storage/v1</c>): what the Google client calls.</summary>
internal sealed partial class FakeGcsServer
{
    private async Task HandleJsonApiAsync(HttpContext context, string rawPath, string[] segments, List<KeyValuePair<string, string>> query)
    {
        var method = context.Request.Method;
        var upload = segments[0] == "upload";
        var s = upload ? segments[1..] : segments;

        // s: storage, v1, b, {bucket}, o, {object}, ...
        if (!upload && s.Length == 3 && s[2] == "b" && method == "POST")
        {
            Allow(context, query, "project", "alt", "prettyPrint");
            await CreateBucketAsync(context, Param(query, "project"));
            return;
        }

        if (s.Length < 4 || s[2] != "b")
        {
            throw new ProtocolException($"{method} {rawPath}: unknown route");
        }

        var bucketName = s[3];
        if (!upload && s.Length == 4 && method == "GET")
        {
            Allow(context, query, "alt", "prettyPrint", "projection");
            if (!_buckets.TryGetValue(bucketName, out var b))
            {
                await JsonError(context, HttpStatusCode.NotFound, "The specified bucket does not exist.");
                return;
            }

            await Json(context, BucketJson(b));
            return;
        }

        if (!_buckets.TryGetValue(bucketName, out var bucket))
        {
            await JsonError(context, HttpStatusCode.NotFound, "The specified bucket does not exist.");
            return;
        }

        if (upload && s.Length == 5 && s[4] == "o")
        {
            if (method == "POST" && Param(query, "uploadType") == "resumable")
            {
                Allow(context, query, "uploadType", "name", "ifGenerationMatch", "predefinedAcl", "projection", "alt", "prettyPrint");
                await StartJsonSessionAsync(context, bucket, query);
                return;
            }

            if (method == "PUT" && Param(query, "upload_id") is { } id)
            {
                Allow(context, query, "uploadType", "upload_id");
                await SessionPutAsync(context, id, json: true);
                return;
            }

            if (method == "DELETE" && Param(query, "upload_id") is { } cancelled)
            {
                Allow(context, query, "uploadType", "upload_id");
                await CancelSessionAsync(context, cancelled);
                return;
            }

            throw new ProtocolException($"{method} {rawPath}: unknown upload request");
        }

        if (!upload && s.Length == 5 && s[4] == "o" && method == "GET")
        {
            Allow(
                context,
                query,
                "prefix",
                "delimiter",
                "pageToken",
                "maxResults",
                "projection",
                "alt",
                "prettyPrint",
                "includeTrailingDelimiter",
                "versions");
            await ListAsync(context, bucket, query);
            return;
        }

        if (!upload && s.Length == 6 && s[4] == "o")
        {
            var name = s[5];
            switch (method)
            {
                case "GET" when Param(query, "alt") == "media":
                    Allow(context, query, "alt", "generation", "ifGenerationMatch", "prettyPrint");
                    await DownloadAsync(context, bucket, name, query);
                    return;
                case "GET":
                    Allow(context, query, "alt", "projection", "prettyPrint", "ifGenerationMatch");
                    var found = bucket.Get(name);
                    if (found is null)
                    {
                        await JsonError(context, HttpStatusCode.NotFound, "No such object: " + bucketName + "/" + name);
                        return;
                    }

                    await Json(context, found.ToJson(BaseAddress));
                    return;
                case "PATCH":
                    Allow(context, query, "alt", "projection", "prettyPrint", "ifMetagenerationMatch");
                    await PatchAsync(context, bucket, name);
                    return;
                case "DELETE":
                    Allow(context, query, "alt", "prettyPrint", "ifGenerationMatch");
                    switch (bucket.TryRemove(name, ParseGeneration(Param(query, "ifGenerationMatch"))))
                    {
                        case true:
                            context.Response.StatusCode = StatusCodes.Status204NoContent;
                            return;
                        case false:
                            await JsonError(
                                context, HttpStatusCode.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.");
                            return;
                        default:
                            await JsonError(context, HttpStatusCode.NotFound, "No such object: " + bucketName + "/" + name);
                            return;
                    }
            }
        }

        if (!upload && s.Length == 7 && s[4] == "o" && s[6] == "compose" && method == "POST")
        {
            Allow(context, query, "alt", "prettyPrint", "ifGenerationMatch", "destinationPredefinedAcl");
            await ComposeAsync(context, bucket, s[5], query);
            return;
        }

        if (!upload && s.Length == 11 && s[4] == "o" && (s[6] is "rewriteTo" or "copyTo") && s[7] == "b" && s[9] == "o" && method == "POST")
        {
            Allow(
                context,
                query,
                "alt",
                "prettyPrint",
                "projection",
                "ifGenerationMatch",
                "ifSourceGenerationMatch",
                "rewriteToken",
                "maxBytesRewrittenPerCall",
                "destinationPredefinedAcl");
            await CopyAsync(context, bucket, s[5], s[8], s[10], rewrite: s[6] == "rewriteTo", query);
            return;
        }

        throw new ProtocolException($"{method} {rawPath}: unknown route");
    }

    private JsonObject BucketJson(FakeBucket b) => new()
    {
        ["kind"] = "storage#bucket",
        ["id"] = b.Name,
        ["name"] = b.Name,
        ["selfLink"] = $"{BaseAddress}storage/v1/b/{b.Name}",
        ["projectNumber"] = "123456789",
        ["metageneration"] = "1",
        ["location"] = "US",
        ["storageClass"] = "STANDARD",
        ["etag"] = "CAE=",
        ["timeCreated"] = b.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["updated"] = b.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };

    private async Task CreateBucketAsync(HttpContext context, string? project)
    {
        var body = JsonNode.Parse(await ReadBodyAsync(context))!.AsObject();
        var name = body["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(project) || string.IsNullOrEmpty(name))
        {
            await JsonError(context, HttpStatusCode.BadRequest, "project and name are required.");
            return;
        }

        var bucket = new FakeBucket(name);
        if (!_buckets.TryAdd(name, bucket))
        {
            await JsonError(context, HttpStatusCode.Conflict, "Your previous request to create the named bucket succeeded and you already own it.");
            return;
        }

        await Json(context, BucketJson(bucket));
    }

    private static long? ParseGeneration(string? text) => text is null ? null : long.Parse(text, CultureInfo.InvariantCulture);

    private Func<byte[], long, FakeObject> ObjectFactory(
        string bucket, string name, JsonObject? resource, string? contentType, string? acl, int? componentCount = null) =>
        (data, generation) =>
        {
            var obj = new FakeObject
            {
                Bucket = bucket,
                Name = name,
                Data = data,
                Generation = generation,
                Acl = acl,
                ComponentCount = componentCount,
            };
            obj.ContentType = resource?["contentType"]?.GetValue<string>() ?? contentType ?? "application/octet-stream";
            obj.CacheControl = resource?["cacheControl"]?.GetValue<string>();
            obj.ContentDisposition = resource?["contentDisposition"]?.GetValue<string>();
            if (resource?["metadata"] is JsonObject metadata)
            {
                foreach (var (k, v) in metadata)
                {
                    obj.Metadata[k] = v!.GetValue<string>();
                }
            }

            return obj;
        };

    private async Task StartJsonSessionAsync(HttpContext context, FakeBucket bucket, List<KeyValuePair<string, string>> query)
    {
        var bodyBytes = await ReadBodyAsync(context);
        var resource = bodyBytes.Length > 0 ? JsonNode.Parse(bodyBytes)!.AsObject() : [];
        var name = Param(query, "name") ?? resource["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            await JsonError(context, HttpStatusCode.BadRequest, "Required object name.");
            return;
        }

        var ifGenerationMatch = ParseGeneration(Param(query, "ifGenerationMatch"));
        if (ifGenerationMatch is { } g && (bucket.Get(name)?.Generation ?? 0) != g)
        {
            await JsonError(context, HttpStatusCode.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.");
            return;
        }

        var session = new UploadSession
        {
            Bucket = bucket.Name,
            Name = name,
            IfGenerationMatch = ifGenerationMatch,
            ExpectedMd5 = resource["md5Hash"]?.GetValue<string>(),
            ExpectedCrc32c = resource["crc32c"]?.GetValue<string>(),
            Create = ObjectFactory(
                bucket.Name, name, resource, context.Request.Headers["X-Upload-Content-Type"].FirstOrDefault(), Param(query, "predefinedAcl")),
        };
        var id = Guid.NewGuid().ToString("N");
        _sessions[id] = session;
        Interlocked.Increment(ref _sessionsStarted);
        context.Response.Headers.Location = $"{BaseAddress}upload/storage/v1/b/{bucket.Name}/o?uploadType=resumable&upload_id={id}";
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    /// <summary>A chunk (or the whole body, or a status query) for a resumable session, JSON or XML API.</summary>
    private async Task SessionPutAsync(HttpContext context, string id, bool json)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            await (json
                ? JsonError(context, HttpStatusCode.NotFound, "No such upload session.")
                : XmlError(context, HttpStatusCode.NotFound, "NoSuchUpload", "No such upload session."));
            return;
        }

        var failAfter = FailNextChunkAfter;
        FailNextChunkAfter = null;
        var body = await ReadBodyAsync(context, failAfter);
        Interlocked.Increment(ref _chunkRequests);
        long largest;
        do
        {
            largest = Interlocked.Read(ref _largestChunk);
        }
        while (body.LongLength > largest && Interlocked.CompareExchange(ref _largestChunk, body.LongLength, largest) != largest);

        await session.Lock.WaitAsync();
        try
        {
            if (session.Finished)
            {
                if (session.Result is null)
                {
                    await Fail(context, json, HttpStatusCode.Gone, "UploadCancelled", "The upload session was cancelled.");
                    return;
                }

                await Finished(context, json, session.Result);
                return;
            }

            var range = context.Request.Headers.ContentRange.ToString();
            long? first = null;
            long? total = null;
            if (range.Length == 0)
            {
                first = 0;
                total = body.LongLength;
            }
            else
            {
                if (!range.StartsWith("bytes ", StringComparison.Ordinal))
                {
                    throw new ProtocolException("malformed Content-Range: " + range);
                }

                var spec = range["bytes ".Length..].Split('/');
                total = spec[1] == "*" ? null : long.Parse(spec[1], CultureInfo.InvariantCulture);
                if (spec[0] != "*")
                {
                    var bounds = spec[0].Split('-');
                    first = long.Parse(bounds[0], CultureInfo.InvariantCulture);
                    var last = long.Parse(bounds[1], CultureInfo.InvariantCulture);
                    if (last - first.Value + 1 != body.LongLength)
                    {
                        await Fail(context, json, HttpStatusCode.BadRequest, "InvalidRange", "Content-Range does not match the body's length.");
                        return;
                    }
                }
                else if (body.Length != 0)
                {
                    await Fail(context, json, HttpStatusCode.BadRequest, "InvalidRange", "A status query has no body.");
                    return;
                }
            }

            var received = session.Data.Length;
            if (first is { } start)
            {
                if (start > received)
                {
                    await Fail(
                        context,
                        json,
                        HttpStatusCode.BadRequest,
                        "InvalidRange",
                        $"The chunk starts at {start} but only {received} bytes were received.");
                    return;
                }

                if (total is null && body.LongLength % ChunkUnit != 0)
                {
                    await Fail(
                        context, json, HttpStatusCode.BadRequest, "InvalidRange", "A chunk that is not the last must be a multiple of 256 KiB.");
                    return;
                }

                var skip = received - start;
                if (skip < body.LongLength)
                {
                    session.Data.Write(body, (int)skip, (int)(body.LongLength - skip));
                }

                received = session.Data.Length;
            }

            if (session.LengthRange is { } limits && received > limits.Max)
            {
                session.Finished = true;
                await Fail(
                    context, json, HttpStatusCode.BadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.");
                return;
            }

            if (total is { } size && received > size)
            {
                await Fail(context, json, HttpStatusCode.BadRequest, "InvalidRange", "More bytes than the declared total.");
                return;
            }

            if (total is { } complete && received == complete)
            {
                await FinishAsync(context, session, json);
                return;
            }

            if (received > 0)
            {
                context.Response.Headers["Range"] = $"bytes=0-{received - 1}";
            }

            context.Response.StatusCode = 308;
        }
        finally
        {
            session.Lock.Release();
        }
    }

    private async Task FinishAsync(HttpContext context, UploadSession session, bool json)
    {
        var data = session.Data.ToArray();
        session.Finished = true;
        if (session.LengthRange is { } limits && (data.LongLength < limits.Min || data.LongLength > limits.Max))
        {
            await Fail(context, json, HttpStatusCode.BadRequest, "EntityTooLarge", "The upload is outside x-goog-content-length-range.");
            return;
        }

        var obj = session.Create(data, NextGeneration());
        if ((session.ExpectedMd5 is { } md5 && md5 != obj.Md5) || (session.ExpectedCrc32c is { } crc && crc != obj.Crc32c))
        {
            await Fail(context, json, HttpStatusCode.BadRequest, "BadDigest", "Provided MD5 hash or CRC32C checksum doesn't match calculated value.");
            return;
        }

        if (!_buckets[session.Bucket].TryPut(obj, session.IfGenerationMatch))
        {
            await Fail(
                context,
                json,
                HttpStatusCode.PreconditionFailed,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold.");
            return;
        }

        session.Result = obj;
        await Finished(context, json, obj);
    }

    private async Task Finished(HttpContext context, bool json, FakeObject obj)
    {
        if (json)
        {
            await Json(context, obj.ToJson(BaseAddress));
            return;
        }

        WriteObjectHeaders(context, obj);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static Task Fail(HttpContext context, bool json, HttpStatusCode status, string code, string message) =>
        json ? JsonError(context, status, message) : XmlError(context, status, code, message);

    private static void WriteObjectHeaders(HttpContext context, FakeObject obj)
    {
        context.Response.Headers.ETag = obj.ETag;
        context.Response.Headers["x-goog-generation"] = obj.Generation.ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["x-goog-hash"] = obj.ComponentCount is null ? $"crc32c={obj.Crc32c},md5={obj.Md5}" : $"crc32c={obj.Crc32c}";
        context.Response.Headers["x-goog-stored-content-length"] = obj.Data.LongLength.ToString(CultureInfo.InvariantCulture);
    }

    private async Task DownloadAsync(HttpContext context, FakeBucket bucket, string name, List<KeyValuePair<string, string>> query)
    {
        var obj = bucket.Get(name);
        if (obj is null || (Param(query, "generation") is { } g && long.Parse(g, CultureInfo.InvariantCulture) != obj.Generation))
        {
            await JsonError(context, HttpStatusCode.NotFound, "No such object: " + bucket.Name + "/" + name);
            return;
        }

        await WriteContentAsync(context, obj);
    }

    private static async Task WriteContentAsync(HttpContext context, FakeObject obj, string? contentType = null, string? contentDisposition = null)
    {
        WriteObjectHeaders(context, obj);
        context.Response.ContentType = contentType ?? obj.ContentType;
        if ((contentDisposition ?? obj.ContentDisposition) is { } disposition)
        {
            context.Response.Headers.ContentDisposition = disposition;
        }

        var length = obj.Data.LongLength;
        var range = context.Request.Headers.Range.ToString();
        if (range.Length == 0)
        {
            context.Response.ContentLength = length;
            await context.Response.Body.WriteAsync(obj.Data);
            return;
        }

        if (!range.StartsWith("bytes=", StringComparison.Ordinal) || range.Contains(',', StringComparison.Ordinal))
        {
            throw new ProtocolException("unsupported Range: " + range);
        }

        var bounds = range["bytes=".Length..].Split('-');
        long from;
        long to;
        if (bounds[0].Length == 0)
        {
            from = Math.Max(0, length - long.Parse(bounds[1], CultureInfo.InvariantCulture));
            to = length - 1;
        }
        else
        {
            from = long.Parse(bounds[0], CultureInfo.InvariantCulture);
            to = bounds[1].Length == 0 ? length - 1 : Math.Min(length - 1, long.Parse(bounds[1], CultureInfo.InvariantCulture));
        }

        if (from >= length && length > 0)
        {
            context.Response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
            context.Response.Headers.ContentRange = $"bytes */{length}";
            return;
        }

        if (length == 0)
        {
            context.Response.ContentLength = 0;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status206PartialContent;
        context.Response.Headers.ContentRange = $"bytes {from}-{to}/{length}";
        context.Response.ContentLength = to - from + 1;
        await context.Response.Body.WriteAsync(obj.Data.AsMemory((int)from, (int)(to - from + 1)));
    }

    private async Task ListAsync(HttpContext context, FakeBucket bucket, List<KeyValuePair<string, string>> query)
    {
        var prefix = Param(query, "prefix") ?? string.Empty;
        var delimiter = Param(query, "delimiter");
        var pageSize = Param(query, "maxResults") is { } max ? int.Parse(max, CultureInfo.InvariantCulture) : 1000;
        var after = Param(query, "pageToken") is { } token ? Encoding.UTF8.GetString(Convert.FromBase64String(token)) : null;

        var entries = new SortedDictionary<string, FakeObject?>(StringComparer.Ordinal);
        foreach (var obj in bucket.All().Where(o => o.Name.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var rest = obj.Name[prefix.Length..];
            var cut = string.IsNullOrEmpty(delimiter) ? -1 : rest.IndexOf(delimiter, StringComparison.Ordinal);
            if (cut >= 0)
            {
                entries.TryAdd(prefix + rest[..(cut + delimiter!.Length)], null);
            }
            else
            {
                entries[obj.Name] = obj;
            }
        }

        var page = entries.Where(e => after is null || string.CompareOrdinal(e.Key, after) > 0).Take(pageSize + 1).ToList();
        var items = new JsonArray();
        var prefixes = new JsonArray();
        foreach (var (key, obj) in page.Take(pageSize))
        {
            if (obj is null)
            {
                prefixes.Add(key);
            }
            else
            {
                items.Add(obj.ToJson(BaseAddress));
            }
        }

        var result = new JsonObject { ["kind"] = "storage#objects" };
        if (items.Count > 0)
        {
            result["items"] = items;
        }

        if (prefixes.Count > 0)
        {
            result["prefixes"] = prefixes;
        }

        if (page.Count > pageSize)
        {
            result["nextPageToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(page[pageSize - 1].Key));
        }

        await Json(context, result);
    }

    private async Task PatchAsync(HttpContext context, FakeBucket bucket, string name)
    {
        var obj = bucket.Get(name);
        if (obj is null)
        {
            await JsonError(context, HttpStatusCode.NotFound, "No such object: " + bucket.Name + "/" + name);
            return;
        }

        var patch = JsonNode.Parse(await ReadBodyAsync(context))!.AsObject();
        foreach (var (key, value) in patch)
        {
            switch (key)
            {
                case "contentType":
                    obj.ContentType = value?.GetValue<string>() ?? "application/octet-stream";
                    break;
                case "cacheControl":
                    obj.CacheControl = value?.GetValue<string>();
                    break;
                case "contentDisposition":
                    obj.ContentDisposition = value?.GetValue<string>();
                    break;
                case "metadata":
                    foreach (var (k, v) in value?.AsObject() ?? [])
                    {
                        if (v is null)
                        {
                            obj.Metadata.Remove(k);
                        }
                        else
                        {
                            obj.Metadata[k] = v.GetValue<string>();
                        }
                    }

                    break;
                case "name" or "bucket":
                    break;
                default:
                    throw new ProtocolException("PATCH of unsupported field " + key);
            }
        }

        obj.Metageneration++;
        obj.Updated = DateTimeOffset.UtcNow;
        await Json(context, obj.ToJson(BaseAddress));
    }

    private async Task CopyAsync(
        HttpContext context,
        FakeBucket source,
        string sourceName,
        string destinationBucket,
        string destinationName,
        bool rewrite,
        List<KeyValuePair<string, string>> query)
    {
        var obj = source.Get(sourceName);
        if (obj is null || !_buckets.TryGetValue(destinationBucket, out var destination))
        {
            await JsonError(context, HttpStatusCode.NotFound, "No such object or bucket.");
            return;
        }

        // The source's generation must still be the one the copy was made for, as GCS checks it.
        if (ParseGeneration(Param(query, "ifSourceGenerationMatch")) is { } sourceGeneration && sourceGeneration != obj.Generation)
        {
            await JsonError(context, HttpStatusCode.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.");
            return;
        }

        var body = await ReadBodyAsync(context);
        var resource = body.Length > 0 ? JsonNode.Parse(body)!.AsObject() : null;
        var copy = new FakeObject
        {
            Bucket = destinationBucket,
            Name = destinationName,
            Data = obj.Data,
            Generation = NextGeneration(),
            ContentType = resource?["contentType"]?.GetValue<string>() ?? obj.ContentType,
            CacheControl = obj.CacheControl,
            ContentDisposition = obj.ContentDisposition,
            Metadata = new Dictionary<string, string>(obj.Metadata, StringComparer.Ordinal),
            ComponentCount = obj.ComponentCount,
        };
        if (!destination.TryPut(copy, ParseGeneration(Param(query, "ifGenerationMatch"))))
        {
            await JsonError(context, HttpStatusCode.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.");
            return;
        }

        if (!rewrite)
        {
            await Json(context, copy.ToJson(BaseAddress));
            return;
        }

        var size = copy.Data.LongLength.ToString(CultureInfo.InvariantCulture);
        await Json(context, new JsonObject
        {
            ["kind"] = "storage#rewriteResponse",
            ["totalBytesRewritten"] = size,
            ["objectSize"] = size,
            ["done"] = true,
            ["resource"] = copy.ToJson(BaseAddress),
        });
    }

    /// <summary>
    /// <c>objects.compose</c>: 1 to 32 sources of the bucket, each optionally pinned to a generation and guarded by
    /// <c>objectPreconditions.ifGenerationMatch</c>, concatenated into the destination under its own precondition. The
    /// result has no MD5, a component count summed from its sources (at most <see cref="ComponentLimit"/>), and the
    /// sources are removed with it when <c>deleteSourceObjects</c> is true.
    /// </summary>
    private async Task ComposeAsync(HttpContext context, FakeBucket bucket, string destinationName, List<KeyValuePair<string, string>> query)
    {
        Interlocked.Increment(ref _composeRequests);
        var body = JsonNode.Parse(await ReadBodyAsync(context))!.AsObject();
        var sourceList = body["sourceObjects"] as JsonArray ?? [];
        if (sourceList.Count is 0 or > MaxComposeSources)
        {
            await JsonError(
                context,
                HttpStatusCode.BadRequest,
                sourceList.Count == 0
                    ? "Required sourceObjects."
                    : $"The number of source components provided ({sourceList.Count}) exceeds the maximum ({MaxComposeSources}).");
            return;
        }

        var sources = new List<FakeObject>();
        foreach (var item in sourceList)
        {
            var name = item!["name"]!.GetValue<string>();
            var generation = item["generation"] is { } g ? long.Parse(g.ToString(), CultureInfo.InvariantCulture) : (long?)null;
            var source = bucket.Get(name);
            if (source is null || (generation is { } wanted && wanted != source.Generation))
            {
                await JsonError(context, HttpStatusCode.NotFound, $"Object {name} (generation: {generation}) not found.");
                return;
            }

            if (item["objectPreconditions"]?["ifGenerationMatch"] is { } condition
                && long.Parse(condition.ToString(), CultureInfo.InvariantCulture) != source.Generation)
            {
                await JsonError(context, HttpStatusCode.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.");
                return;
            }

            sources.Add(source);
        }

        var components = sources.Sum(o => o.ComponentCount ?? 1);
        if (components > ComponentLimit)
        {
            await JsonError(
                context, HttpStatusCode.BadRequest, $"The number of components in the composite object would exceed the maximum ({ComponentLimit}).");
            return;
        }

        var data = new byte[sources.Sum(o => o.Data.LongLength)];
        var offset = 0;
        foreach (var source in sources)
        {
            source.Data.CopyTo(data, offset);
            offset += source.Data.Length;
        }

        var destination = body["destination"] as JsonObject;
        var acl = Param(query, "destinationPredefinedAcl");
        var composed = ObjectFactory(bucket.Name, destinationName, destination, null, acl, components)(data, NextGeneration());
        var deleteSources = body["deleteSourceObjects"]?.GetValue<bool>() == true;
        if (!bucket.TryPutAndRemove(composed, ParseGeneration(Param(query, "ifGenerationMatch")), deleteSources ? sources : []))
        {
            await JsonError(context, HttpStatusCode.PreconditionFailed, "At least one of the pre-conditions you specified did not hold.");
            return;
        }

        await Json(context, composed.ToJson(BaseAddress));
    }

    /// <summary>A <c>DELETE</c> on a session URI cancels the upload; GCS documents the answer as 499.</summary>
    private async Task CancelSessionAsync(HttpContext context, string id)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            await JsonError(context, HttpStatusCode.NotFound, "No such upload session.");
            return;
        }

        await session.Lock.WaitAsync();
        try
        {
            if (!session.Finished)
            {
                session.Finished = true;
                Interlocked.Increment(ref _sessionsCancelled);
            }
        }
        finally
        {
            session.Lock.Release();
        }

        context.Response.StatusCode = 499;
    }
}
