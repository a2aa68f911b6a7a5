using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UploadKit;
using UploadKit.Stores;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the endpoints that report upload progress.</summary>
public static class UploadProgressEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET {prefix}/{id}</c> (a JSON snapshot) and <c>GET {prefix}/{id}/events</c> (server-sent events that
    /// push a snapshot whenever it changes and end when the upload ends or its entry expires) for uploads read by a
    /// <see cref="ProgressUploadHandler"/>. Authorization is required unless <paramref name="configure"/> allows
    /// anonymous callers; a user reads only uploads they sent, and any other id answers 404.
    /// </summary>
    /// <remarks>
    /// A page opens the events before it sends the upload, so the events endpoint waits up to
    /// <see cref="UploadProgressOptions.EventsStartTimeout"/> for an upload that has not begun (its headers are sent
    /// once it has) instead of answering 404 at once; the JSON snapshot answers 404 until the upload begins.
    /// </remarks>
    /// <param name="endpoints">The app's routes.</param>
    /// <param name="prefix">The route prefix, such as <c>/upload-progress</c>.</param>
    /// <param name="configure">Sets the authorization policy, or opts out of authorization explicitly.</param>
    /// <returns>The endpoints' group, for further conventions.</returns>
    public static RouteGroupBuilder MapUploadProgress(
        this IEndpointRouteBuilder endpoints, string prefix = "/upload-progress", Action<UploadEndpointAuthorization>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        var group = endpoints.MapGroup(prefix);
        UploadKitEndpointSecurity.Secure(group, UploadKitEndpointSecurity.CreateOptions(configure));
        group.MapGet("/{id}", new RequestDelegate(GetSnapshotAsync)).WithName("UploadKitProgress");
        group.MapGet("/{id}/events", new RequestDelegate(GetEventsAsync)).WithName("UploadKitProgressEvents");
        return group;
    }

    private static async Task GetSnapshotAsync(HttpContext context)
    {
        var progress = await FindAsync(context).ConfigureAwait(false);
        if (progress is null)
        {
            await Results.NotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(
            UploadProgressBody.From(progress),
            UploadProgressJsonContext.Default.UploadProgressBody,
            cancellationToken: context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task GetEventsAsync(HttpContext context)
    {
        var options = context.RequestServices.GetService<IOptions<UploadProgressOptions>>()?.Value ?? new UploadProgressOptions();
        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var progress = await FindAsync(context).ConfigureAwait(false);

        // The upload may not have begun yet: wait for its first snapshot, polling as the events themselves do.
        var started = time.GetTimestamp();
        try
        {
            while (progress is null && UnguessableIds.IsUnguessable(context.GetRouteValue("id") as string)
                && time.GetElapsedTime(started) < options.EventsStartTimeout)
            {
                await Task.Delay(options.EventsPollInterval, time, context.RequestAborted).ConfigureAwait(false);
                progress = await FindAsync(context).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (progress is null)
        {
            await Results.NotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var store = context.RequestServices.GetRequiredService<IUploadProgressStore>();
        var events = WatchAsync(store, progress, options.EventsPollInterval, time, context.RequestAborted);
        await TypedResults.ServerSentEvents(events).ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async IAsyncEnumerable<SseItem<string>> WatchAsync(
        IUploadProgressStore store,
        UploadProgress first,
        TimeSpan interval,
        TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var last = first;
        yield return ToEvent(last);
        while (!last.IsFinal)
        {
            try
            {
                await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            var next = await store.GetAsync(first.Id, cancellationToken).ConfigureAwait(false);
            if (next is null || !string.Equals(next.OwnerId, first.OwnerId, StringComparison.Ordinal))
            {
                // Expired: the upload is over for whoever watches.
                yield break;
            }

            if (next.State != last.State || next.BytesReceived != last.BytesReceived || next.UpdatedOn != last.UpdatedOn)
            {
                last = next;
                yield return ToEvent(last);
            }
        }
    }

    private static SseItem<string> ToEvent(UploadProgress progress) =>
        new(JsonSerializer.Serialize(UploadProgressBody.From(progress), UploadProgressJsonContext.Default.UploadProgressBody), "progress");

    private static async Task<UploadProgress?> FindAsync(HttpContext context)
    {
        var id = context.GetRouteValue("id") as string;
        if (!UnguessableIds.IsUnguessable(id))
        {
            return null;
        }

        var store = context.RequestServices.GetRequiredService<IUploadProgressStore>();
        var progress = await store.GetAsync(id!, context.RequestAborted).ConfigureAwait(false);

        // Another user's upload answers as if it did not exist.
        return progress is not null && UploadKitEndpointSecurity.IsOwner(context, progress.OwnerId) ? progress : null;
    }
}

/// <summary>The JSON shape of a progress snapshot.</summary>
internal sealed record UploadProgressBody(
    string Id, string State, long BytesReceived, long? BytesExpected, string? FileName, DateTimeOffset UpdatedOn)
{
    public static UploadProgressBody From(UploadProgress progress) => new(
        progress.Id,
        progress.State switch
        {
            UploadProgressState.Receiving => "receiving",
            UploadProgressState.Complete => "complete",
            UploadProgressState.Failed => "failed",
            UploadProgressState.Scanning => "scanning",
            _ => "rejected",
        },
        progress.BytesReceived,
        progress.BytesExpected,
        progress.FileName,
        progress.UpdatedOn);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UploadProgressBody))]
internal sealed partial class UploadProgressJsonContext : JsonSerializerContext;
