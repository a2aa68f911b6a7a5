using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace UploadKit.Testing;

/// <summary>How a request read in memory ended: 200 with a summary of the form, or the refusal's status and message.</summary>
/// <param name="Status">200, or the <see cref="UploadRejectedException.StatusCode"/>.</param>
/// <param name="Description">Fields, files and file bytes; or the refusal's message.</param>
public sealed record InMemoryOutcome(int Status, string Description)
{
    /// <inheritdoc />
    public override string ToString() => $"{Status} {Description}";
}

/// <summary>
/// Reads a body held in memory through the upload chain as an endpoint would, with no server: a
/// <see cref="DefaultHttpContext"/> whose body is the given pipe and whose only handler is the given one. Shared by
/// the fuzz target, the attack-class tests and the benchmark's <c>cpu</c> mode.
/// </summary>
public static class InMemoryRequest
{
    /// <summary>Reads one request; an <see cref="UploadRejectedException"/> becomes its outcome, anything else escapes.</summary>
    /// <param name="services">Services with <c>AddUploadKit</c>.</param>
    /// <param name="body">The request body.</param>
    /// <param name="contentType">The request's Content-Type.</param>
    /// <param name="contentLength">The declared Content-Length, if any.</param>
    /// <param name="handler">The one upload handler.</param>
    /// <returns>The outcome.</returns>
    public static async Task<InMemoryOutcome> ReadAsync(
        IServiceProvider services, PipeReader body, string contentType, long? contentLength, UploadHandler handler)
    {
        await using var scope = services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "POST";
        context.Request.Headers.ContentType = contentType;
        context.Request.ContentLength = contentLength;
        context.Features.Set<IRequestBodyPipeFeature>(new BodyPipe(body));
        var handlers = context.GetUploadHandlers();
        handlers.Clear();
        handlers.Add(handler);
        try
        {
            var form = await context.ReadUploadFormAsync().ConfigureAwait(false);
            return new InMemoryOutcome(
                StatusCodes.Status200OK, $"{form.Fields.Count} fields, {form.Files.Count} files, {form.Files.Sum(f => f.Length)} bytes");
        }
        catch (UploadRejectedException ex)
        {
            return new InMemoryOutcome(ex.StatusCode, ex.Message);
        }
    }

    private sealed class BodyPipe(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader => reader;
    }
}
