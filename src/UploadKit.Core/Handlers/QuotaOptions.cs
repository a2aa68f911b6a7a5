namespace UploadKit;

/// <summary>Options of <see cref="QuotaUploadHandler"/>: the limit, whose quota an upload counts against, and how far ahead bytes are
/// reserved.</summary>
public sealed class QuotaOptions
{
    /// <summary>Gets or sets the name of the quota, shown in the problem details of a refused upload. <c>storage</c> by default.</summary>
    public string Name { get; set; } = "storage";

    /// <summary>Gets or sets the bytes each key may use. Required; must be positive.</summary>
    public long LimitBytes { get; set; }

    /// <summary>
    /// Gets or sets the function that picks the quota key of a request from what the handlers see of it. By default
    /// <see cref="UploadRequestContext.OwnerId"/>, the user's id by the app's <see cref="IUploadOwnerResolver"/>; a
    /// request without a key is refused with 401.
    /// </summary>
    public Func<UploadRequestContext, string?>? KeySelector { get; set; }

    /// <summary>
    /// Gets or sets how many bytes are reserved ahead at a time, so that the store is not called for every chunk.
    /// 256 KiB by default. Near the limit, only the bytes that arrived are reserved, so an upload that fits exactly
    /// is accepted.
    /// </summary>
    public long ReservationSliceBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Gets or sets how long a running upload's reservation counts without being renewed. It is renewed as the upload
    /// grows and at least every half lease while bytes arrive, and ended when the upload ends; if the server stops
    /// mid-upload, the reservation stops counting this long after its last renewal. An upload that stalls past its
    /// lease has its bytes checked against the limit again when it resumes or ends. 5 minutes by default.
    /// </summary>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>The rules <see cref="QuotaOptions"/> must meet, checked at start-up for the app's and when an endpoint's are given.</summary>
internal static class QuotaOptionsValidation
{
    /// <summary>Why <paramref name="options"/> are not valid, or <see langword="null"/> when they are.</summary>
    public static string? Validate(QuotaOptions options) =>
        options.LimitBytes <= 0 ? "QuotaOptions.LimitBytes must be set to a positive number of bytes."
        : options.ReservationSliceBytes <= 0 ? "QuotaOptions.ReservationSliceBytes must be positive."
        : options.ReservationLease <= TimeSpan.Zero ? "QuotaOptions.ReservationLease must be positive."
        : null;
}
