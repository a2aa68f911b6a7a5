using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Testing;

namespace UploadKit.Tests.AspNetCore;

/// <summary>What an endpoint saw of one file.</summary>
public sealed record FileReport(string Field, string Name, string Type, long Length, string Sha256, string Kind, bool HasTempPath);

/// <summary>What an endpoint saw of a form.</summary>
public sealed record FormReport(Dictionary<string, string[]> Fields, List<FileReport> Files);

/// <summary>Helpers for endpoint tests: an app with its own temp folder, and multipart requests.</summary>
internal static class UploadApp
{
    public static async Task<FormReport> DescribeAsync(UploadForm form)
    {
        var files = new List<FileReport>();
        foreach (var file in form.Files)
        {
            await using var stream = file.OpenReadStream();
            var hash = await Sha256HexAsync(stream);
            files.Add(new FileReport(
                file.FieldName, file.FileName, file.ContentType, file.Length, hash, file.GetType().Name, file.TemporaryFilePath is not null));
        }

        return new FormReport(form.Fields.ToDictionary(f => f.Key, f => f.Value.Select(v => v ?? string.Empty).ToArray()), files);
    }

    public static Task<TestApp> StartAsync(
        string tempDirectory,
        Action<WebApplication> map,
        Action<UploadOptions>? configure = null,
        Action<IServiceCollection>? services = null,
        bool kestrel = false) =>
        TestApp.StartAsync(
            s =>
            {
                s.AddUploadKit(o =>
                {
                    o.TempFileDirectory = tempDirectory;
                    configure?.Invoke(o);
                });
                services?.Invoke(s);
            },
            map,
            kestrel);

    public static HttpContent Multipart(MultipartBodyBuilder builder, bool chunked = false)
    {
        var bytes = builder.Build();
        HttpContent content = chunked ? new UnknownLengthContent(bytes) : new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(builder.ContentType);
        return content;
    }

    /// <summary>Content whose length is not known up front, so it is sent chunked.</summary>
    public sealed class UnknownLengthContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (var offset = 0; offset < bytes.Length; offset += 8192)
            {
                await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(8192, bytes.Length - offset)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
