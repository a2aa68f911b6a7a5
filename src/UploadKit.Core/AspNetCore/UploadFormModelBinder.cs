using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ModelBinding.Binders;

namespace UploadKit;

/// <summary>Gives MVC the <see cref="UploadFormModelBinder"/> for <see cref="UploadForm"/> parameters; registered in <c>MvcOptions</c>.</summary>
internal sealed class UploadFormModelBinderProvider : IModelBinderProvider
{
    private static readonly UploadFormModelBinder Binder = new();

    public IModelBinder? GetBinder(ModelBinderProviderContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Metadata.ModelType == typeof(UploadForm) ? Binder : null;
    }
}

/// <summary>Binds an <see cref="UploadForm"/> action parameter in MVC controllers by reading through the chain.</summary>
internal sealed class UploadFormModelBinder : IModelBinder
{
    public async Task BindModelAsync(ModelBindingContext bindingContext)
    {
        ArgumentNullException.ThrowIfNull(bindingContext);
        var http = bindingContext.HttpContext;
        var form = await http.ReadUploadFormAsync(http.RequestAborted).ConfigureAwait(false);
        bindingContext.Result = ModelBindingResult.Success(form);
    }
}

/// <summary>
/// Keeps MVC from reading the form itself on actions that take an <see cref="UploadForm"/>: the body must reach the
/// upload-handler chain unread.
/// </summary>
internal sealed class UploadFormResourceFilter : IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context)
    {
        foreach (var parameter in context.ActionDescriptor.Parameters)
        {
            if (parameter.ParameterType == typeof(UploadForm))
            {
                context.ValueProviderFactories.RemoveType<FormValueProviderFactory>();
                context.ValueProviderFactories.RemoveType<FormFileValueProviderFactory>();
                context.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();
                return;
            }
        }
    }

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}

/// <summary>Answers <see cref="UploadRejectedException"/> thrown in MVC model binding or actions with problem details.</summary>
internal sealed class UploadRejectedExceptionFilter : IAsyncExceptionFilter
{
    public Task OnExceptionAsync(ExceptionContext context)
    {
        if (UploadProblems.AsRejection(context.Exception) is { } rejection && !context.HttpContext.Response.HasStarted)
        {
            ProblemDetails problem = rejection.Errors is { Count: > 0 } errors
                ? new ValidationProblemDetails(errors.ToDictionary(e => e.Key, e => e.Value))
                : new ProblemDetails();
            problem.Status = rejection.StatusCode;
            problem.Title = rejection.Title ?? (problem is ValidationProblemDetails ? "One or more validation errors occurred." : null);
            problem.Detail = rejection.Message;
            if (rejection.Limit is { } limit)
            {
                problem.Extensions["limit"] = limit;
            }

            context.Result = new ObjectResult(problem) { StatusCode = rejection.StatusCode, ContentTypes = { "application/problem+json" } };
            context.ExceptionHandled = true;
        }

        return Task.CompletedTask;
    }
}
