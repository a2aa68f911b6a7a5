using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace UploadKit.Storage.Gcs.Tests.FakeGcs;

/// <summary>A stored object.</summary>
internal sealed class FakeObject
{
    public required string Bucket { get; init; }

    public required string Name { get; init; }

    public required byte[] Data { get; init; }

    public required long Generation { get; init; }

    public long Metageneration { get; set; } = 1;

    public string ContentType { get; set; } = "application/octet-stream";

    public string? CacheControl { get; set; }

    public string? ContentDisposition { get; set; }

    public string? Acl { get; set; }

    /// <summary>Gets the number of uploaded objects a composite was made of; <see langword="null"/> for an uploaded object.</summary>
    public int? ComponentCount { get; init; }

    public Dictionary<string, string> Metadata { get; set; } = new(StringComparer.Ordinal);

    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

    public DateTimeOffset Updated { get; set; } = DateTimeOffset.UtcNow;

    public string Md5 => Convert.ToBase64String(MD5.HashData(Data));

    public string Crc32c => Crc32C.Base64(Data);

    public string ETag => "\"" + Convert.ToHexStringLower(MD5.HashData(Data)) + "\"";

    public JsonObject ToJson(Uri baseAddress)
    {
        var json = new JsonObject
        {
            ["kind"] = "storage#object",
            ["id"] = $"{Bucket}/{Name}/{Generation}",
            ["selfLink"] = $"{baseAddress}storage/v1/b/{Bucket}/o/{Uri.EscapeDataString(Name)}",
            ["mediaLink"] = $"{baseAddress}download/storage/v1/b/{Bucket}/o/{Uri.EscapeDataString(Name)}?generation={Generation}&alt=media",
            ["name"] = Name,
            ["bucket"] = Bucket,
            ["generation"] = Generation.ToString(CultureInfo.InvariantCulture),
            ["metageneration"] = Metageneration.ToString(CultureInfo.InvariantCulture),
            ["contentType"] = ContentType,
            ["storageClass"] = "STANDARD",
            ["size"] = Data.LongLength.ToString(CultureInfo.InvariantCulture),
            ["crc32c"] = Crc32c,
            ["etag"] = Convert.ToBase64String(BitConverter.GetBytes(Generation)),
            ["timeCreated"] = Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["updated"] = Updated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        // A composite object has no MD5 (the composite-objects documentation), only its CRC32C and component count.
        if (ComponentCount is { } components)
        {
            json["componentCount"] = components;
        }
        else
        {
            json["md5Hash"] = Md5;
        }

        if (CacheControl is not null)
        {
            json["cacheControl"] = CacheControl;
        }

        if (ContentDisposition is not null)
        {
            json["contentDisposition"] = ContentDisposition;
        }

        if (Metadata.Count > 0)
        {
            var metadata = new JsonObject();
            foreach (var (k, v) in Metadata)
            {
                metadata[k] = v;
            }

            json["metadata"] = metadata;
        }

        return json;
    }
}

/// <summary>A bucket: objects by name, in name order.</summary>
internal sealed class FakeBucket(string name)
{
    private readonly SortedDictionary<string, FakeObject> _objects = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

    public FakeObject? Get(string name)
    {
        lock (_objects)
        {
            return _objects.GetValueOrDefault(name);
        }
    }

    public List<string> Names()
    {
        lock (_objects)
        {
            return [.. _objects.Keys];
        }
    }

    public List<FakeObject> All()
    {
        lock (_objects)
        {
            return [.. _objects.Values];
        }
    }

    /// <summary>Stores <paramref name="obj"/> if the precondition holds (0: no live object; n: the live generation is n).</summary>
    public bool TryPut(FakeObject obj, long? ifGenerationMatch)
    {
        lock (_objects)
        {
            var current = _objects.GetValueOrDefault(obj.Name);
            if (ifGenerationMatch is { } expected && (current?.Generation ?? 0) != expected)
            {
                return false;
            }

            _objects[obj.Name] = obj;
            return true;
        }
    }

    public bool Remove(string name)
    {
        lock (_objects)
        {
            return _objects.Remove(name);
        }
    }

    /// <summary>Removes <paramref name="name"/> if it exists and, when <paramref name="ifGenerationMatch"/> is given, is that generation.</summary>
    /// <returns><see langword="null"/> when there was no such object, otherwise whether the precondition held and it was removed.</returns>
    public bool? TryRemove(string name, long? ifGenerationMatch)
    {
        lock (_objects)
        {
            if (!_objects.TryGetValue(name, out var current))
            {
                return null;
            }

            if (ifGenerationMatch is { } expected && current.Generation != expected)
            {
                return false;
            }

            return _objects.Remove(name);
        }
    }

    /// <summary>Stores <paramref name="obj"/> and removes <paramref name="sources"/> at once, if the destination's precondition holds.</summary>
    public bool TryPutAndRemove(FakeObject obj, long? ifGenerationMatch, IReadOnlyList<FakeObject> sources)
    {
        lock (_objects)
        {
            var current = _objects.GetValueOrDefault(obj.Name);
            if (ifGenerationMatch is { } expected && (current?.Generation ?? 0) != expected)
            {
                return false;
            }

            foreach (var source in sources)
            {
                if (_objects.GetValueOrDefault(source.Name) == source)
                {
                    _objects.Remove(source.Name);
                }
            }

            _objects[obj.Name] = obj;
            return true;
        }
    }
}

/// <summary>A resumable upload in progress.</summary>
internal sealed class UploadSession
{
    public required string Bucket { get; init; }

    public required string Name { get; init; }

    public required Func<byte[], long, FakeObject> Create { get; init; }

    public long? IfGenerationMatch { get; init; }

    public (long Min, long Max)? LengthRange { get; init; }

    public string? ExpectedMd5 { get; init; }

    public string? ExpectedCrc32c { get; init; }

    public MemoryStream Data { get; } = new();

    public bool Finished { get; set; }

    public FakeObject? Result { get; set; }

    public SemaphoreSlim Lock { get; } = new(1, 1);
}
