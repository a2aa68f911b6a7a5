using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace UploadKit;

/// <summary>
/// Describes an upload endpoint's body in OpenAPI documents: <c>multipart/form-data</c> with binary file parts and
/// text fields, or a raw <c>application/octet-stream</c> body. Registered for every document by <c>AddUploadKit</c>.
/// </summary>
internal sealed class UploadOpenApiOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var description = context.Description.ActionDescriptor;
        var metadata = description.EndpointMetadata.OfType<UploadEndpointMetadata>().FirstOrDefault();
        var takesForm = description.Parameters.Any(p => p.ParameterType == typeof(UploadForm));
        if (metadata is null && !takesForm)
        {
            return Task.CompletedTask;
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
        return Task.CompletedTask;
    }

    private static OpenApiSchema Binary() => new() { Type = JsonSchemaType.String, Format = "binary" };
}
