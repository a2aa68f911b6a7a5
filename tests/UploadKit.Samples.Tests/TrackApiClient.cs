using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UploadKit.Samples.Tests;

/// <summary>The article's curl commands, as HttpClient calls.</summary>
internal static class TrackApiClient
{
    public static readonly Dictionary<string, string?> LocalSettings = new()
    {
        ["ConnectionStrings:Tracks"] = "Data Source={dir}/tracks.db",
        ["UploadKit:Storages:default:Options:Location"] = "{dir}/media",
    };

    public static Dictionary<string, string?> WithMinio() =>
        new(LocalSettings.Concat(S3rverFixture.MinioSettings));

    /// <summary><c>curl -X POST -H 'Content-Type: application/json' -d '{...}' /api/tracks/</c></summary>
    public static async Task<JsonObject> CreateTrackAsync(HttpClient client, string prefix, string title = "Lose Yourself")
    {
        using var response = await client.PostAsJsonAsync(prefix + "/", new Dictionary<string, object?>
        {
            ["title"] = title,
            ["artist_name"] = "Eminem",
            ["release_date"] = "2002-10-28",
        });
        Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return await ReadObjectAsync(response);
    }

    /// <summary><c>curl -X POST -H 'Content-Type: application/octet-stream' --data-binary @song.mp3 .../upload/song.mp3/</c></summary>
    public static Task<HttpResponseMessage> UploadRawAsync(HttpClient client, string prefix, int id, string fileName, byte[] content)
    {
        var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return client.PostAsync($"{prefix}/{id}/upload/{fileName}/", body);
    }

    /// <summary><c>curl -X POST -F file=@song.mp3 .../upload/song.mp3/</c></summary>
    public static Task<HttpResponseMessage> UploadMultipartAsync(
        HttpClient client, string prefix, int id, string fileName, byte[] content, string declaredType = "audio/mpeg")
    {
        var form = new MultipartFormDataContent();
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new MediaTypeHeaderValue(declaredType);
        form.Add(part, "file", fileName);
        return client.PostAsync($"{prefix}/{id}/upload/{fileName}/", form);
    }

    public static async Task<JsonObject> ReadObjectAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonNode.Parse(text)?.AsObject() ?? throw new AssertionException("Expected a JSON object, got: " + text);
    }

    public static async Task<string[]> ReadFieldErrorsAsync(HttpResponseMessage response, string field)
    {
        var problem = await ReadObjectAsync(response);
        Assert.That(problem["errors"]?[field], Is.Not.Null, problem.ToJsonString());
        return problem["errors"]![field]!.AsArray().Select(e => e!.GetValue<string>()).ToArray();
    }

    /// <summary>An MP3-looking payload: an ID3 header, then random bytes.</summary>
    public static byte[] Mp3Bytes(int length, int seed)
    {
        var data = RandomBytes(length, seed);
        "ID3"u8.CopyTo(data);
        data[3] = 4;
        data[4] = 0;
        data[5] = 0;
        data[6] = data[7] = data[8] = data[9] = 0;
        return data;
    }

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
