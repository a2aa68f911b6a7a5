namespace UploadKit;

/// <summary>
/// A token that a plain HTML form sends as its first field (such as the antiforgery token, placed before the file
/// inputs). The reader hands the field's value to <see cref="ValidateAsync"/> the moment that field is read, before
/// any file part reaches a handler; the edge says how it is validated.
/// </summary>
/// <param name="fieldName">The field that carries the token.</param>
/// <param name="validate">Validates the token, throwing an <see cref="UploadRejectedException"/> when it is not valid.</param>
/// <param name="missing">The rejection for a form whose first part is not the token field, or that ends without it.</param>
internal sealed class FormFieldToken(string fieldName, Func<string, Task> validate, Func<UploadRejectedException> missing)
{
    public string FieldName => fieldName;

    public Task ValidateAsync(string token) => validate(token);

    public UploadRejectedException Missing() => missing();
}
