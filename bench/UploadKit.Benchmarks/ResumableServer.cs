using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using UploadKit.Storage.S3;

namespace UploadKit.Benchmarks;

/// <summary>
/// The server's side of <c>resumable</c> mode: a FileSystem storage (and an S3 one when the client started s3rver), a
/// multipart endpoint that saves its file into either through the default chain, and a resumable route per storage
/// that takes resumable writes.
/// </summary>
internal static class ResumableServer
{
    /// <summary>The FileSystem storage, registered as the default one (a registry with storages must have one).</summary>
    public const string FileSystem = FileStorageNames.Default;
    public const string S3 = "bench-s3";
    public const string S3EndpointVariable = "UPLOADKIT_BENCH_S3_ENDPOINT";
    public const string S3BucketVariable = "UPLOADKIT_BENCH_S3_BUCKET";

    /// <summary>Whether S3Storage takes resumable writes in this build.</summary>
    public static bool S3IsResumable => typeof(IResumableFileStorage).IsAssignableFrom(typeof(S3Storage));

    public static void AddStorages(IUploadKitBuilder uploadKit, string dataDirectory)
    {
        var media = Path.Combine(dataDirectory, "media");
        uploadKit.AddStorage(FileSystem, _ => new FileSystemStorage(new FileSystemStorageOptions { Location = media }));
        if (Environment.GetEnvironmentVariable(S3EndpointVariable) is { Length: > 0 } endpoint)
        {
            uploadKit.AddS3Storage(S3, o =>
            {
                o.Bucket = Environment.GetEnvironmentVariable(S3BucketVariable) ?? "bench";
                o.Endpoint = new Uri(endpoint);
                o.AccessKey = "S3RVER";
                o.SecretKey = "S3RVER";
                o.ForcePathStyle = true;
                o.RequestChecksumCalculation = S3ChecksumMode.WhenRequired;
                o.ResponseChecksumValidation = S3ChecksumMode.WhenRequired;
            });
        }
    }

    public static void Map(WebApplication app)
    {
        // The stored name of every completed resumable upload, by upload id, for the client to check.
        var completed = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var storages = new List<string> { FileSystem };
        if (Environment.GetEnvironmentVariable(S3EndpointVariable) is { Length: > 0 })
        {
            storages.Add(S3);
        }

        // (a) One multipart request through the default chain (memory, then a temporary file), saved into the storage.
        app.MapPost("/save/{storage}", async (string storage, UploadForm form, IStorageRegistry registry, HttpContext context) =>
        {
            var name = await form.Files[0].SaveAsync(registry[storage], "bench/multipart.bin", context.RequestAborted);
            form.KeepSavedFiles();
            return Results.Text(name);
        });

        // (b) The resumable route, tus and the draft, onto the same storage.
        foreach (var storage in storages.Where(s => s == FileSystem || S3IsResumable))
        {
            app.MapResumableUploads("/resumable/" + storage, o =>
            {
                o.StorageName = storage;
                o.Folder = "bench";
                o.MaxSize = BenchServer.BodyLimit;
                o.Authorization.AllowAnonymous = true;
                o.OnCompleted = c =>
                {
                    completed[c.Upload.Id] = c.File.Name;
                    return Task.CompletedTask;
                };
            });
        }

        // Outside the timed part: the stored file read back from the storage, hashed and deleted.
        app.MapPost("/check/{storage}", async (string storage, string? name, string? upload, IStorageRegistry registry, CancellationToken cancel) =>
        {
            if (upload is not null && !completed.TryRemove(upload, out name))
            {
                return Results.NotFound("No completed upload has this id.");
            }

            if (name is null)
            {
                return Results.BadRequest("Give name or upload.");
            }

            var files = registry[storage];
            long length;
            string hash;
            await using (var stream = await files.OpenReadAsync(name, cancel))
            {
                using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
                length = 0;
                int read;
                while ((read = await stream.ReadAsync(buffer, cancel)) > 0)
                {
                    sha.AppendData(buffer, 0, read);
                    length += read;
                }

                ArrayPool<byte>.Shared.Return(buffer);

                hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            }

            await files.DeleteAsync(name, cancel);
            return Results.Text(hash + " " + length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });
    }
}
