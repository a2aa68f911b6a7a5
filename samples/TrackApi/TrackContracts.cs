namespace TrackApi;

/// <summary>A track as the API returns it; the app's JSON options turn the names into snake_case.</summary>
/// <param name="Id">The track's id.</param>
/// <param name="Title">The title.</param>
/// <param name="ArtistName">The artist.</param>
/// <param name="ReleaseDate">The release date, or <see langword="null"/>.</param>
/// <param name="File">The absolute URL of the track's file, or <see langword="null"/> before an upload.</param>
public sealed record TrackJson(int Id, string Title, string ArtistName, DateOnly? ReleaseDate, string? File);

/// <summary>The writable fields of a track (DRF's serializer with <c>file</c> set only by the upload actions).</summary>
public sealed class TrackInput
{
    public string? Title { get; set; }

    public string? ArtistName { get; set; }

    public DateOnly? ReleaseDate { get; set; }

    /// <summary>Checks the fields as the article's model does, with DRF's messages; <paramref name="partial"/> for PATCH.</summary>
    public Dictionary<string, string[]> Validate(bool partial)
    {
        var errors = new Dictionary<string, string[]>();
        Check("title", Title);
        Check("artist_name", ArtistName);
        return errors;

        void Check(string field, string? value)
        {
            if (value is null)
            {
                if (!partial)
                {
                    errors[field] = ["This field is required."];
                }
            }
            else if (string.IsNullOrWhiteSpace(value))
            {
                errors[field] = ["This field may not be blank."];
            }
            else if (value.Length > TrackBase.MaxLength)
            {
                errors[field] = [$"Ensure this field has no more than {TrackBase.MaxLength} characters."];
            }
        }
    }

    public void ApplyTo(TrackBase track, bool partial)
    {
        if (Title is not null)
        {
            track.Title = Title;
        }

        if (ArtistName is not null)
        {
            track.ArtistName = ArtistName;
        }

        if (ReleaseDate is not null || !partial)
        {
            track.ReleaseDate = ReleaseDate;
        }
    }
}

/// <summary>The answer of <c>presigned-url</c>: the request the client makes to put the file straight into the bucket.</summary>
/// <param name="Url">The presigned URL (the article's <c>{"url": ...}</c>).</param>
/// <param name="Method">The HTTP method, <c>PUT</c>.</param>
/// <param name="Headers">The headers the client must send exactly as given; they are part of the signature.</param>
/// <param name="ExpiresOn">When the URL stops being accepted.</param>
public sealed record PresignedUrlJson(string Url, string Method, IReadOnlyDictionary<string, string> Headers, DateTimeOffset ExpiresOn);
