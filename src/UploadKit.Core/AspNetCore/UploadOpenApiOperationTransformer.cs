using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace UploadKit;

/// <summary>
/// Describes an upload endpoint in OpenAPI documents: its body (<c>multipart/form-data</c> with binary file parts and
/// text fields, or a raw <c>application/octet-stream</c> body), and the problem responses UploadKit answers with (400,
/// 413, 415, and 401 where a quota handler needs a signed-in user), added beside the app's own responses, which are
/// kept. Registered for every document by <c>AddUploadKit</c>.
/// </summary>
internal sealed class UploadOpenApiOperationTransformer : IOpenApiOperationTransformer
{
    private const string ProblemJson = "application/problem+json";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description.ActionDescriptor;
        var metadata = description.EndpointMetadata.OfType<UploadEndpointMetadata>().FirstOrDefault();
        var takesForm = description.Parameters.Any(p => p.ParameterType == typeof(UploadForm));
        if (metadata is null && !takesForm)
        {
            return;
        }

        var properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal);
        foreach (var field in metadata is { FileFields.Count: > 0 } ? metadata.FileFields : ["file"])
        {
            properties[field] = Binary();
        }

        foreach (var field in metadata?.TextFields ?? [])
        {
            properties[field] = new OpenApiSchema { Type = JsonSchemaType.String };
        }

        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The upload: a multipart form with file parts, or the file itself as the raw body.",
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                ["multipart/form-data"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.Object, Properties = properties } },
                ["application/octet-stream"] = new() { Schema = Binary() },
            },
        };

        var hasQuota = HasQuotaHandler(metadata, context.ApplicationServices);
        operation.Responses ??= [];
        await AddProblemAsync(operation, context, StatusCodes.Status400BadRequest, typeof(HttpValidationProblemDetails),
            "The upload is malformed, or a file failed validation (the problem's errors name the field).", cancellationToken).ConfigureAwait(false);
        if (hasQuota)
        {
            await AddProblemAsync(operation, context, StatusCodes.Status401Unauthorized, typeof(ProblemDetails),
                "The upload counts against a quota, which needs a signed-in user.", cancellationToken).ConfigureAwait(false);
        }

        await AddProblemAsync(operation, context, StatusCodes.Status413PayloadTooLarge, typeof(ProblemDetails),
            hasQuota
                ? "The upload is larger than a limit allows, or would exceed the user's quota (the problem's limit member names the setting)."
                : "The upload is larger than a limit allows (the problem's limit member names the setting).",
            cancellationToken).ConfigureAwait(false);
        await AddProblemAsync(operation, context, StatusCodes.Status415UnsupportedMediaType, typeof(ProblemDetails),
            "The request's media type is not one an upload is read from.", cancellationToken).ConfigureAwait(false);
    }

    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };

    /// <summary>Adds a problem-details response for <paramref name="status"/> unless the app declared that status itself.</summary>
    private static async Task AddProblemAsync(
        OpenApiOperation operation,
        OpenApiOperationTransformerContext context,
        int status,
        Type problemType,
        string text,
        CancellationToken cancellationToken)
    {
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (operation.Responses!.ContainsKey(key))
        {
            return;
        }

        operation.Responses[key] = new OpenApiResponse
        {
            Description = text,
            Content = new Dictionary<string, OpenApiMediaType>(StringComparer.Ordinal)
            {
                [ProblemJson] = new() { Schema = await ProblemSchemaAsync(context, problemType, cancellationToken).ConfigureAwait(false) },
            },
        };
    }

    /// <summary>A reference to the document's component for <paramref name="problemType"/>, adding it if it is not there yet.</summary>
    private static async Task<IOpenApiSchema> ProblemSchemaAsync(
        OpenApiOperationTransformerContext context, Type problemType, CancellationToken cancellationToken)
    {
        var id = problemType.Name;
        var document = context.Document;
        if (document is null)
        {
            return await context.GetOrCreateSchemaAsync(problemType, cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        if (document.Components?.Schemas?.ContainsKey(id) != true)
        {
            document.AddComponent(id, await context.GetOrCreateSchemaAsync(problemType, cancellationToken: cancellationToken).ConfigureAwait(false));
        }

        return new OpenApiSchemaReference(id, document);
    }

    /// <summary>
    /// Whether the endpoint's chain (its own, or the app's) holds a <see cref="QuotaUploadHandler"/>. Handlers are
    /// registered as factories, so the chain is built once in a scope of its own and looked at; a factory that cannot
    /// run outside a request is taken for a handler that is not a quota.
    /// </summary>
    private static bool HasQuotaHandler(UploadEndpointMetadata? metadata, IServiceProvider services)
    {
        var factories = metadata?.Handlers ?? services.GetService<IOptions<UploadHandlerChainOptions>>()?.Value.Factories ?? [];
        using var scope = services.CreateScope();
        foreach (var factory in factories)
        {
            UploadHandler handler;
            try
            {
                handler = factory(scope.ServiceProvider);
            }
            catch (InvalidOperationException)
            {
                continue;   // a service only a request has (DI says so with InvalidOperationException)
            }

            if (handler is QuotaUploadHandler)
            {
                return true;
            }
        }

        return false;
    }
}
