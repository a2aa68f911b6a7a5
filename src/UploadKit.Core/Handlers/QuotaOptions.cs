using Microsoft.AspNetCore.Http;

namespace UploadKit;

/// <summary>Options of <see cref="QuotaUploadHandler"/>: the limit, whose quota an upload counts against, and how far ahead bytes are reserved.</summary>
public sealed class QuotaOptions
{
    /// <summary>Gets or sets the name of the quota, shown in the problem details of a refused upload. <c>storage</c> by default.</summary>
    public string Name { get; set; } = "storage";

    /// <summary>Gets or sets the bytes each key may use. Required; must be positive.</summary>
    public long LimitBytes { get; set; }

    /// <summary>
    /// Gets or sets the function that picks the quota key of a request. By default the authenticated user's id (the
    /// <c>NameIdentifier</c> claim, else the identity's name); a request without a key is refused with 401.
    /// </summary>
    public Func<HttpContext, string?>? KeySelector { get; set; }

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
