using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>Turns a rejected upload into an RFC 7807 problem details response.</summary>
internal static class UploadProblems
{
    /// <summary>
    /// The rejection an exception stands for: an <see cref="UploadRejectedException"/> itself, or a client's file name
    /// that a storage refused (<see cref="SuspiciousFileNameException"/>), which is bad input, not a server fault.
    /// </summary>
    public static UploadRejectedException? AsRejection(Exception exception) => exception switch
    {
        UploadRejectedException rejection => rejection,
        SuspiciousFileNameException suspicious => UploadRejectedException.InvalidFileName(suspicious),
        _ => null,
    };

    public static IResult ToResult(UploadRejectedException rejection)
    {
        // The detail speaks to the person who sent the upload; the setting that refused it is for the developer, and the
        // refused file's name lets a page show the error next to that file.
        Dictionary<string, object?>? extensions = null;
        if (rejection.Limit is { } limit)
        {
            (extensions ??= [])["limit"] = limit;
        }

        if (rejection.FileName is { } fileName)
        {
            (extensions ??= [])["fileName"] = fileName;
        }
        if (rejection.Errors is { Count: > 0 } errors)
        {
            return Results.ValidationProblem(
                errors.ToDictionary(e => e.Key, e => e.Value),
                detail: rejection.Message,
                statusCode: rejection.StatusCode,
                title: rejection.Title ?? "One or more validation errors occurred.",
                extensions: extensions);
        }

        return Results.Problem(detail: rejection.Message, statusCode: rejection.StatusCode, title: rejection.Title, extensions: extensions);
    }

    /// <summary>An endpoint filter that answers a rejection from binding or from the handler with problem details.</summary>
    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Features.Get<UploadFeature>()?.BindingRejection is { } bindingRejection)
        {
            return ToResult(bindingRejection);
        }

        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (!http.Response.HasStarted && AsRejection(ex) is { } rejection)
        {
            return ToResult(rejection);
        }
        catch (Exception) when (!http.Response.HasStarted)
        {
            await SettleFailedAsync(http).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Settles, as failed, what a request saved before an unhandled exception leaves the app. The server answers such a
    /// request with 500 without running its response-starting callbacks, and the request's disposal settles it only
    /// after the client has its answer; settling here deletes the saved files and gives their quota back first.
    /// </summary>
    public static Task SettleFailedAsync(HttpContext http) =>
        http.Features.Get<UploadFeature>()?.Saves?.SettleAsync(succeeded: false) ?? Task.CompletedTask;
}

/// <summary>Answers <see cref="UploadRejectedException"/> from anywhere later in the pipeline (MVC, manual reads).</summary>
internal sealed class UploadKitMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted && UploadProblems.AsRejection(ex) is { } rejection)
        {
            context.Response.Clear();
            await UploadProblems.ToResult(rejection).ExecuteAsync(context).ConfigureAwait(false);
        }
        catch (Exception) when (!context.Response.HasStarted)
        {
            await UploadProblems.SettleFailedAsync(context).ConfigureAwait(false);
            throw;
        }
    }
}
