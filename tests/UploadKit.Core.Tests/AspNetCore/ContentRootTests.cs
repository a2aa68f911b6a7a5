using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UploadKit.Testing;

namespace UploadKit.Tests.AspNetCore;

/// <summary>Relative folders in the configuration land under the app's content root, where a user looks for them.</summary>
public class ContentRootTests : TempDirectoryTests
{
    private string _folder = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = "uploads-" + Guid.NewGuid().ToString("N")[..8];
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var elsewhere in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            foreach (var name in new[] { _folder + "-media", _folder + "-tmp", _folder + "-endpoint-tmp" })
            {
                if (Directory.Exists(Path.Combine(elsewhere, name)))
                {
                    Directory.Delete(Path.Combine(elsewhere, name), recursive: true);
                }
            }
        }
    }

    [Test]
    public async Task RelativeLocationAndTempFolder_ResolveAgainstTheContentRoot()
    {
        await using var app = await StartAsync(a => a.MapPost("/upload", SaveAsync));
        var data = RandomBytes(50_000);

        var response = await app.GetTestClient()
            .PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "song.mp3", data)));
        var saved = await response.Content.ReadFromJsonAsync<Saved>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(saved!.TempPath, Does.StartWith(Path.Combine(Temp, _folder + "-tmp") + Path.DirectorySeparatorChar));
        Assert.That(Sha256Hex(await File.ReadAllBytesAsync(Path.Combine(Temp, _folder + "-media", saved.Name))), Is.EqualTo(Sha256Hex(data)));
        Assert.That(Directory.GetFiles(Path.Combine(Temp, _folder + "-tmp")), Is.Empty, "the temporary file went with the request");
        AssertNothingElsewhere();
    }

    [Test]
    public async Task EndpointTempFolder_RelativeToo_ResolvesAgainstTheContentRoot()
    {
        await using var app = await StartAsync(a => a.MapPost(
            "/upload", SaveAsync).WithUploadLimits(o => o.TempFileDirectory = _folder + "-endpoint-tmp"));

        var response = await app.GetTestClient()
            .PostAsync("/upload", UploadApp.Multipart(new MultipartBodyBuilder().AddFile("file", "a.bin", RandomBytes(5000))));
        var saved = await response.Content.ReadFromJsonAsync<Saved>();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(saved!.TempPath, Does.StartWith(Path.Combine(Temp, _folder + "-endpoint-tmp") + Path.DirectorySeparatorChar));
        AssertNothingElsewhere();
    }

    private static async Task<Saved> SaveAsync(UploadForm form, IStorageRegistry storages)
    {
        var file = form.Files.GetRequired("file");
        var tempPath = file.TemporaryFilePath ?? throw new InvalidOperationException("expected a temporary file");
        return new Saved(await file.SaveAsync(storages.Default), tempPath);
    }

    private void AssertNothingElsewhere()
    {
        foreach (var elsewhere in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            Assert.That(Directory.GetDirectories(elsewhere, _folder + "*"), Is.Empty, $"nothing was written under {elsewhere}");
        }
    }

    private async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Temp });
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["UploadKit:TempFileDirectory"] = _folder + "-tmp",
            ["UploadKit:MemoryBufferThreshold"] = "10",
            ["UploadKit:Storages:default:Backend"] = "FileSystem",
            ["UploadKit:Storages:default:Options:Location"] = _folder + "-media",
        });
        builder.Services.AddUploadKit(builder.Configuration.GetSection("UploadKit"));
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private sealed record Saved(string Name, string TempPath);
}
