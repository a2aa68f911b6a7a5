using UploadKit;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds app-wide file validators on an <see cref="IUploadKitBuilder"/>.</summary>
public static class FileValidationBuilderExtensions
{
    /// <summary>
    /// Validates files of every upload in the app-wide chain, before its handlers keep them. Endpoints that set their
    /// own chain use <c>WithFileValidators</c> instead.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="validator">The validator, such as <see cref="FileValidators.MaxSize"/>.</param>
    /// <param name="fieldName">The form field to check; <see langword="null"/> for every field.</param>
    /// <returns>The builder, for chaining.</returns>
    public static IUploadKitBuilder AddValidator(this IUploadKitBuilder builder, IFileValidator validator, string? fieldName = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(validator);
        IFileValidator[] validators = [validator];
        builder.Services.Configure<AppFileValidators>(o => o.Validators.Add(new(fieldName, validator)));
        return builder.ConfigureHandlers(handlers => handlers.Insert(0, _ => new FileValidationHandler(fieldName, validators)));
    }
}
