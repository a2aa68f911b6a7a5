using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace UploadKit.Storage.Gcs.Tests.FakeGcs;

/// <summary>
/// A GCS server for tests, in process on 127.0.0.1: the JSON API routes the Google client calls, and the XML API
/// routes that V4 signed URLs, resumable sessions and POST policies use. Objects are inserted by resumable upload
/// only: Google.Cloud.Storage.V1 sends every upload that way, even 100 bytes, and never a multipart one. It is strict: anything it does not know
/// (route, query parameter, missing authorization) is answered with an error and recorded in <see cref="ProtocolErrors"/>.
/// </summary>
internal sealed partial class FakeGcsServer : IAsyncDisposable
{
    private const int ChunkUnit = 256 * 1024;
    private const int MaxComposeSources = 32;
    private readonly WebApplication _app;
    private readonly V4Verifier _verifier;
    private readonly RSA _jwtKey;
    private readonly ConcurrentDictionary<string, FakeBucket> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private long _generation = 1_700_000_000_000_000;

    private FakeGcsServer(WebApplication app, string serviceAccountJson)
    {
        _app = app;
        _verifier = new V4Verifier(serviceAccountJson);
        using var document = JsonDocument.Parse(serviceAccountJson);
        _jwtKey = RSA.Create();
        _jwtKey.ImportFromPem(document.RootElement.GetProperty("private_key").GetString());
    }

    /// <summary>Gets the base address, such as <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Gets requests the server did not understand: a client behaviour change shows up here.</summary>
    public ConcurrentQueue<string> ProtocolErrors { get; } = new();

    /// <summary>Gets every request as <c>METHOD path?query [Range] [Content-Range]</c>, in arrival order.</summary>
    public ConcurrentQueue<string> RequestLog { get; } = new();

    /// <summary>Gets or sets the clock signed requests are checked against.</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>Gets the number of resumable sessions started so far.</summary>
    public int SessionsStarted => Volatile.Read(ref _sessionsStarted);

    /// <summary>Gets the number of resumable sessions not finished.</summary>
    public int OpenSessions => _sessions.Values.Count(s => !s.Finished);

    /// <summary>Gets the largest chunk a resumable upload sent in one request.</summary>
    public long LargestChunk => Interlocked.Read(ref _largestChunk);

    /// <summary>Gets how many resumable chunk requests were received.</summary>
    public int ChunkRequests => Volatile.Read(ref _chunkRequests);

    /// <summary>When set, the next chunk request fails after reading this many bytes (an interrupted connection).</summary>
    public long? FailNextChunkAfter { get; set; }

    /// <summary>Gets the number of resumable sessions cancelled with a <c>DELETE</c>.</summary>
    public int SessionsCancelled => Volatile.Read(ref _sessionsCancelled);

    /// <summary>Gets the number of compose requests received.</summary>
    public int ComposeRequests => Volatile.Read(ref _composeRequests);

    /// <summary>Gets or sets the most components a composite object may have: 1024 in the composite-objects documentation.</summary>
    public int ComponentLimit { get; set; } = 1024;

    /// <summary>Gets the objects of resumable sessions into <paramref name="bucket"/> that were neither finished nor cancelled.</summary>
    public IReadOnlyList<string> OpenSessionsIn(string bucket) =>
        [.. _sessions.Values.Where(s => s.Bucket == bucket && !s.Finished).Select(s => s.Name)];

    private int _sessionsStarted;
    private int _sessionsCancelled;
    private int _composeRequests;
    private long _largestChunk;
    private int _chunkRequests;

    public static async Task<FakeGcsServer> StartAsync(string serviceAccountJson)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        var server = new FakeGcsServer(app, serviceAccountJson);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.BaseAddress = new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public FakeObject? Find(string bucket, string name) =>
        _buckets.TryGetValue(bucket, out var b) ? b.Get(name) : null;

    public IReadOnlyList<string> ObjectNames(string bucket) =>
        _buckets.TryGetValue(bucket, out var b) ? b.Names() : [];

    public void CreateBucketDirectly(string bucket) => _buckets.TryAdd(bucket, new FakeBucket(bucket));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _jwtKey.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            var raw = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
            RequestLog.Enqueue($"{context.Request.Method} {raw} {context.Request.Headers.Range} {context.Request.Headers.ContentRange}".TrimEnd());
            var q = raw.IndexOf('?', StringComparison.Ordinal);
            var rawPath = q >= 0 ? raw[..q] : raw;
            var rawQuery = q >= 0 ? raw[q..] : string.Empty;
            var query = V4Verifier.ParseQuery(rawQuery);
            var segments = rawPath.Split('/', StringSplitOptions.None).Skip(1).Select(Uri.UnescapeDataString).ToArray();

            if (rawPath.StartsWith("/storage/v1/", StringComparison.Ordinal) || rawPath.StartsWith("/upload/storage/v1/", StringComparison.Ordinal))
            {
                if (!CheckBearer(context))
                {
                    await JsonError(context, HttpStatusCode.Unauthorized, "Anonymous or malformed credentials.");
                    return;
                }

                await HandleJsonApiAsync(context, rawPath, segments, query);
                return;
            }

            await HandleXmlApiAsync(context, rawPath, rawQuery, segments, query);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The connection was cut, by the client or on purpose.
        }
        catch (Exception ex)
        {
            ProtocolErrors.Enqueue(ex is ProtocolException ? ex.Message : $"{context.Request.Method} {context.Request.Path}: {ex}");
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status501NotImplemented;
                await context.Response.WriteAsync("fake GCS: " + ex.Message);
            }
        }
    }

    private sealed class ProtocolException(string message) : Exception(message);

    private static void Allow(HttpContext context, List<KeyValuePair<string, string>> query, params string[] allowed)
    {
        foreach (var (name, _) in query)
        {
            if (!allowed.Contains(name))
            {
                throw new ProtocolException($"{context.Request.Method} {context.Request.Path}: unsupported query parameter '{name}'");
            }
        }
    }

    private static string? Param(List<KeyValuePair<string, string>> query, string name) =>
        query.Where(p => p.Key == name).Select(p => p.Value).LastOrDefault();

    private bool CheckBearer(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = header["Bearer ".Length..].Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        var signature = WebEncoders.Base64UrlDecode(parts[2]);
        return _jwtKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private long NextGeneration() => Interlocked.Increment(ref _generation);

    private static async Task JsonError(HttpContext context, HttpStatusCode status, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        var error = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = (int)status,
                ["message"] = message,
                ["errors"] = new JsonArray(new JsonObject { ["message"] = message, ["domain"] = "global", ["reason"] = status.ToString() }),
            },
        };
        await context.Response.WriteAsync(error.ToJsonString());
    }

    private static async Task Json(HttpContext context, JsonNode body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task XmlError(HttpContext context, HttpStatusCode status, string code, string message)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/xml; charset=UTF-8";
        await context.Response.WriteAsync(
            $"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>" +
            $"<Message>{WebUtility.HtmlEncode(message)}</Message></Error>");
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext context, long? failAfter = null)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        var body = context.Request.Headers.ContentEncoding.ToString() switch
        {
            "" => context.Request.Body,
            "gzip" => new System.IO.Compression.GZipStream(context.Request.Body, System.IO.Compression.CompressionMode.Decompress),
            var other => throw new ProtocolException("unsupported Content-Encoding " + other),
        };
        int read;
        while ((read = await body.ReadAsync(chunk)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (failAfter is { } limit && buffer.Length >= limit)
            {
                context.Abort();
                throw new OperationCanceledException("fake GCS: connection cut on purpose");
            }
        }

        return buffer.ToArray();
    }
}
