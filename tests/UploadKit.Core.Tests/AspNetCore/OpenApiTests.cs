using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Tests.AspNetCore;

public class OpenApiTests
{
    [Test]
    public async Task OpenApiDocument_UploadEndpoints_DescribeBinaryBodies()
    {
        using var document = await OpenApiDocumentAsync(a =>
        {
            a.MapPost("/tracks/{id}/upload", (int id, UploadForm form) => Results.Ok());
            a.MapPost("/gallery", (UploadForm form) => Results.Ok()).WithUploadFields(["images"], ["title"]);
            a.MapPost("/json", (Dto dto) => dto);
        });
        var paths = document.RootElement.GetProperty("paths");

        var track = paths.GetProperty("/tracks/{id}/upload").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.That(
            track.GetProperty("multipart/form-data")
                .GetProperty("schema")
                .GetProperty("properties")
                .GetProperty("file")
                .GetProperty("format")
                .GetString(),
            Is.EqualTo("binary"));
        Assert.That(track.GetProperty("application/octet-stream").GetProperty("schema").GetProperty("format").GetString(), Is.EqualTo("binary"));

        var gallery = paths.GetProperty("/gallery")
            .GetProperty("post")
            .GetProperty("requestBody")
            .GetProperty("content")
            .GetProperty("multipart/form-data")
            .GetProperty("schema")
            .GetProperty("properties");
        Assert.That(gallery.GetProperty("images").GetProperty("format").GetString(), Is.EqualTo("binary"));
        Assert.That(gallery.GetProperty("title").GetProperty("type").GetString(), Is.EqualTo("string"));
        Assert.That(
            paths.GetProperty("/json")
                .GetProperty("post")
                .GetProperty("requestBody")
                .GetProperty("content")
                .TryGetProperty("application/json", out _),
            Is.True,
            "other endpoints are untouched");
    }

    [Test]
    public async Task OpenApiDocument_UploadEndpoints_KeepTheAppsResponsesAndAddProblems()
    {
        using var document = await OpenApiDocumentAsync(a =>
        {
            a.MapPost("/typed", Results<Created<Dto>, NotFound> (UploadForm form) => TypedResults.Created("/typed/1", new Dto("a")));
            a.MapPost("/declared", (UploadForm form) => Results.Ok())
                .Produces<Dto>(StatusCodes.Status202Accepted)
                .ProducesProblem(StatusCodes.Status404NotFound);
            a.MapPost("/plain/{id}", async (int id, HttpContext http) => Results.Ok((await http.ReadUploadFormAsync()).Files.Count)).WithUploads();
            a.MapPost("/own-400", (UploadForm form) => Results.Ok()).Produces<Dto>(StatusCodes.Status400BadRequest);
            a.MapPost("/quota", (UploadForm form) => Results.Ok())
                .WithUploadHandlers(_ => new QuotaUploadHandler(new QuotaOptions { LimitBytes = 1000 }), _ => new TemporaryFileUploadHandler());
        });
        var paths = document.RootElement.GetProperty("paths");
        Dictionary<string, JsonElement> Responses(string path) =>
            paths.GetProperty(path).GetProperty("post").GetProperty("responses").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        string? ProblemRef(JsonElement response) =>
            response.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString();

        var typed = Responses("/typed");
        Assert.That(typed.Keys, Is.EquivalentTo(new[] { "201", "404", "400", "413", "415" }));
        Assert.That(
            typed["201"].GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString(),
            Is.EqualTo("#/components/schemas/Dto"));
        Assert.That(ProblemRef(typed["400"]), Is.EqualTo("#/components/schemas/HttpValidationProblemDetails"));
        Assert.That(ProblemRef(typed["413"]), Is.EqualTo("#/components/schemas/ProblemDetails"));
        Assert.That(ProblemRef(typed["415"]), Is.EqualTo("#/components/schemas/ProblemDetails"));
        Assert.That(typed["413"].GetProperty("description").GetString(), Does.Contain("limit"));

        Assert.That(Responses("/declared").Keys, Is.EquivalentTo(new[] { "202", "404", "400", "413", "415" }));
        Assert.That(Responses("/plain/{id}").Keys, Is.EquivalentTo(new[] { "200", "400", "413", "415" }), "the inferred success response stays");
        Assert.That(
            Responses("/own-400")["400"].GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString(),
            Is.EqualTo("#/components/schemas/Dto"),
            "the app's own 400 is kept");
        var quota = Responses("/quota");
        Assert.That(quota.Keys, Is.EquivalentTo(new[] { "200", "400", "401", "413", "415" }));
        Assert.That(quota["413"].GetProperty("description").GetString(), Does.Contain("quota"));

        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.That(schemas.TryGetProperty("ProblemDetails", out _), Is.True);
        Assert.That(schemas.TryGetProperty("HttpValidationProblemDetails", out _), Is.True);
        Assert.That(schemas.TryGetProperty("Stream", out _), Is.False, "no stray schema from the body's placeholder type");
    }

    public sealed record Dto(string Name);

    /// <summary>Starts an app with UploadKit and the OpenAPI document, maps <paramref name="map"/>, and reads the document.</summary>
    private static async Task<JsonDocument> OpenApiDocumentAsync(Action<WebApplication> map)
    {
        await using var app = await TestApp.StartAsync(
            s =>
            {
                s.AddUploadKit();
                s.AddOpenApi();
            },
            a =>
            {
                a.MapOpenApi();
                map(a);
            });
        return JsonDocument.Parse(await app.Client.GetStringAsync("/openapi/v1.json"));
    }
}
