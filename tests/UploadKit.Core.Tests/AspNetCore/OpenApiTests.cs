using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Tests.AspNetCore;

public class OpenApiTests
{
    [Test]
    public async Task OpenApiDocument_UploadEndpoints_DescribeBinaryBodies()
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
                a.MapPost("/tracks/{id}/upload", (int id, UploadForm form) => Results.Ok());
                a.MapPost("/gallery", (UploadForm form) => Results.Ok()).WithUploadFields(["images"], ["title"]);
                a.MapPost("/json", (Dto dto) => dto);
            });

        using var document = JsonDocument.Parse(await app.Client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");

        var track = paths.GetProperty("/tracks/{id}/upload").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.That(track.GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties").GetProperty("file").GetProperty("format").GetString(), Is.EqualTo("binary"));
        Assert.That(track.GetProperty("application/octet-stream").GetProperty("schema").GetProperty("format").GetString(), Is.EqualTo("binary"));

        var gallery = paths.GetProperty("/gallery").GetProperty("post").GetProperty("requestBody").GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties");
        Assert.That(gallery.GetProperty("images").GetProperty("format").GetString(), Is.EqualTo("binary"));
        Assert.That(gallery.GetProperty("title").GetProperty("type").GetString(), Is.EqualTo("string"));
        Assert.That(paths.GetProperty("/json").GetProperty("post").GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _), Is.True, "other endpoints are untouched");
    }

    public sealed record Dto(string Name);
}
