namespace UploadKit;

/// <summary>
/// The refusals of <see cref="UploadOptions"/>' limits (413): a message in words and human units for whoever sent the
/// upload, and the option's name in the problem's <c>limit</c> member for the developer.
/// </summary>
internal static class UploadLimits
{
    /// <param name="maxBytes">The limit that was crossed (never <see langword="null"/>, which means none).</param>
    public static UploadRejectedException RequestBodyTooLarge(long? maxBytes) =>
        UploadRejectedException.TooLarge(
            $"The request body is larger than {ByteSize.Format(maxBytes ?? 0)}.", nameof(UploadOptions.MaxRequestBodySize));

    public static UploadRejectedException FieldsTooLarge(long maxBytes) =>
        UploadRejectedException.TooLarge($"The form's fields are larger than {ByteSize.Format(maxBytes)}.", nameof(UploadOptions.MaxFieldsSize));

    public static UploadRejectedException PartHeadersTooLarge(long maxBytes) =>
        UploadRejectedException.TooLarge($"A part's headers are larger than {ByteSize.Format(maxBytes)}.", nameof(UploadOptions.MaxPartHeadersSize));

    public static UploadRejectedException TooManyFields(int max) =>
        UploadRejectedException.TooLarge($"The form has more than {max} {(max == 1 ? "field" : "fields")}.", nameof(UploadOptions.MaxFieldCount));

    public static UploadRejectedException TooManyFiles(int max) =>
        UploadRejectedException.TooLarge($"The request has more than {max} {(max == 1 ? "file" : "files")}.", nameof(UploadOptions.MaxFileCount));

    public static UploadRejectedException TooManyPartHeaders(int max) =>
        UploadRejectedException.TooLarge(
            $"A part has more than {max} {(max == 1 ? "header" : "headers")}.", nameof(UploadOptions.MaxPartHeaderCount));
}
