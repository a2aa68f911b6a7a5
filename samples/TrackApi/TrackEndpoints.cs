using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using UploadKit;

namespace TrackApi;

/// <summary>
/// The article's DRF viewsets as minimal APIs: JSON CRUD under a prefix, and the upload actions. Both track models get
/// the same routes; only the storage differs.
/// </summary>
public static class TrackEndpoints
{
    /// <summary>The storage of <see cref="TrackS3"/>, named as in the article's settings.</summary>
    public const string S3StorageName = "minio";

    public static void MapTrackApi(this IEndpointRouteBuilder app)
    {
        var local = new TrackRoutes<Track>("/api/tracks", "tracks", StorageName: null, db => db.Tracks);
        local.Map(app);

        var s3 = new TrackRoutes<TrackS3>("/api/tracks-s3-backend", "tracks-s3-backend", S3StorageName, db => db.TracksS3);
        var group = s3.Map(app);
        group.ProducesProblem(StatusCodes.Status503ServiceUnavailable);   // the "minio" storage is not configured
        group.AddEndpointFilter(async (context, next) =>
            s3.TryGetStorage(context.HttpContext.RequestServices.GetRequiredService<IStorageRegistry>(), out _)
                ? await next(context)
                : TrackRoutes<TrackS3>.StorageMissing(S3StorageName));

        // The article's direct upload, with its missing piece: the client PUTs the file straight into the bucket, and
        // the track points at it only once confirm-upload has found the object and checked it.
        group.MapPost("/{id:int}/presigned-url", (int id, TrackDb db, IDirectUploads uploads, CancellationToken ct) =>
            BeginDirectUploadAsync(id, db, uploads, ct))
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost(
                "/{id:int}/confirm-upload",
                (int id, TrackDb db, IDirectUploads uploads, IStorageRegistry storages, HttpContext http, CancellationToken ct) =>
                    ConfirmDirectUploadAsync(s3, id, db, uploads, storages, http, ct))
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Ok<PresignedUrlJson>, ProblemHttpResult>> BeginDirectUploadAsync(
        int id, TrackDb db, IDirectUploads uploads, CancellationToken ct)
    {
        if (await db.TracksS3.FindAsync([id], ct) is not { } track)
        {
            return TrackRoutes<TrackS3>.TrackNotFound(id);
        }

        // A fresh object name under uploads/ (the article used a UUID key), signed for an MP3 of at most 1 MiB. An
        // earlier pending upload of this track is simply replaced: its object, if any, is swept when it expires.
        var upload = await uploads.BeginAsync(
            S3StorageName,
            new DirectUploadRequest($"track-{id}.mp3", "audio/mpeg", maxLength: TrackBase.MaxFileSize),
            cancellationToken: ct);
        track.PendingUploadId = upload.Id;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new PresignedUrlJson(
            upload.SignedRequest.Url.ToString(), upload.SignedRequest.Method, upload.SignedRequest.Headers, upload.SignedRequest.ExpiresOn));
    }

    private static async Task<Results<Ok<TrackJson>, ValidationProblem, ProblemHttpResult>> ConfirmDirectUploadAsync(
        TrackRoutes<TrackS3> routes, int id, TrackDb db, IDirectUploads uploads, IStorageRegistry storages, HttpContext http, CancellationToken ct)
    {
        if (await db.TracksS3.FindAsync([id], ct) is not { } track)
        {
            return TrackRoutes<TrackS3>.TrackNotFound(id);
        }

        if (track.PendingUploadId is not { } pending)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["file"] = ["No upload is pending for this track: ask for a presigned URL first."] });
        }

        // Checks that the object exists with the signed type and size and passes the model's validators (the magic
        // bytes are read from the bucket); anything else deletes it and answers 400 (problem details from UseUploadKit).
        var file = await uploads.CompleteAsync(pending, cancellationToken: ct);
        var storage = storages[S3StorageName];
        var previous = track.File;
        track.File = file.Name;
        track.PendingUploadId = null;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch
        {
            await storage.DeleteAsync(file.Name, CancellationToken.None);
            throw;
        }

        if (previous is not null && previous != file.Name)
        {
            await storage.DeleteAsync(previous, ct);
        }

        return TypedResults.Ok(await routes.ToJsonAsync(track, storages, http.Request, ct));
    }
}

/// <summary>The routes of one track model.</summary>
/// <param name="Prefix">The route prefix, as in the article's router.</param>
/// <param name="Tag">The OpenAPI tag.</param>
/// <param name="StorageName">The storage holding the files; <see langword="null"/> for the default storage.</param>
/// <param name="Set">The model's table.</param>
public sealed record TrackRoutes<TTrack>(string Prefix, string Tag, string? StorageName, Func<TrackDb, DbSet<TTrack>> Set)
    where TTrack : TrackBase, new()
{
    public RouteGroupBuilder Map(IEndpointRouteBuilder app)
    {
        // Route matching ignores one trailing slash, so "/api/tracks/" and "/api/tracks" both reach these endpoints.
        var group = app.MapGroup(Prefix).WithTags(Tag);
        // The responses each endpoint documents come from its typed results (201 with the track, 204, validation
        // problems); a problem's status is not in its type, so the 404s are declared beside them.
        group.MapGet("/", ListAsync);
        group.MapPost("/", CreateAsync);
        group.MapGet("/{id:int}", GetAsync).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{id:int}", (int id, TrackInput input, TrackDb db, IStorageRegistry storages, HttpContext http, CancellationToken ct) =>
            UpdateAsync(id, input, partial: false, db, storages, http, ct)).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPatch("/{id:int}", (int id, TrackInput input, TrackDb db, IStorageRegistry storages, HttpContext http, CancellationToken ct) =>
            UpdateAsync(id, input, partial: true, db, storages, http, ct)).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapDelete("/{id:int}", DeleteAsync).ProducesProblem(StatusCodes.Status404NotFound);

        // The article's upload action (DRF's FileUploadParser): the body is the file, raw or as a multipart "file" part,
        // and the URL names it. The model's validators (Program.cs) run while the body streams, so a wrong extension
        // is refused before a byte is kept and an oversize file the moment it crosses 1 MiB.
        // UploadKit adds its own problem responses (400, 413, 415) to the OpenAPI description.
        group.MapPost("/{id:int}/upload/{filename}", UploadAsync)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithUploads()
            .WithUploadFields(["file"], []);
        return group;
    }

    public bool TryGetStorage(IStorageRegistry storages, out IFileStorage storage)
    {
        if (StorageName is null)
        {
            storage = storages.Default;
            return true;
        }

        if (storages.TryGetStorage(StorageName, out var named))
        {
            storage = named;
            return true;
        }

        storage = null!;
        return false;
    }

    public static ProblemHttpResult StorageMissing(string name) => TypedResults.Problem(
        statusCode: StatusCodes.Status503ServiceUnavailable,
        title: "Storage not configured",
        detail: $"No storage named '{name}' is configured. Add UploadKit:Storages:{name} (Backend \"S3\") to the configuration; see " +
            $"samples/TrackApi/README.md.");

    public static ProblemHttpResult TrackNotFound(int id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: "Not found",
        detail: $"No {typeof(TTrack).Name} has id {id}.");

    public async Task<TrackJson> ToJsonAsync(TTrack track, IStorageRegistry storages, HttpRequest request, CancellationToken cancellationToken)
    {
        string? url = null;
        if (track.File is not null && TryGetStorage(storages, out var storage))
        {
            url = await storage.GetUrlAsync(track.File, cancellationToken);
            if (url is not null && !Uri.IsWellFormedUriString(url, UriKind.Absolute))
            {
                // DRF renders FileField URLs absolute, built from the request.
                url = new Uri(new Uri($"{request.Scheme}://{request.Host}{request.PathBase}/"), url.TrimStart('/')).ToString();
            }
        }

        return new TrackJson(track.Id, track.Title, track.ArtistName, track.ReleaseDate, url);
    }

    private async Task<Ok<List<TrackJson>>> ListAsync(TrackDb db, IStorageRegistry storages, HttpContext http, CancellationToken ct)
    {
        var tracks = await Set(db).AsNoTracking().OrderBy(t => t.Id).ToListAsync(ct);
        var json = new List<TrackJson>(tracks.Count);
        foreach (var track in tracks)
        {
            json.Add(await ToJsonAsync(track, storages, http.Request, ct));
        }

        return TypedResults.Ok(json);
    }

    private async Task<Results<Created<TrackJson>, ValidationProblem>> CreateAsync(
        TrackInput input, TrackDb db, IStorageRegistry storages, HttpContext http, CancellationToken ct)
    {
        var errors = input.Validate(partial: false);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var track = new TTrack();
        input.ApplyTo(track, partial: false);
        Set(db).Add(track);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"{Prefix}/{track.Id}/", await ToJsonAsync(track, storages, http.Request, ct));
    }

    private async Task<Results<Ok<TrackJson>, ProblemHttpResult>> GetAsync(
        int id, TrackDb db, IStorageRegistry storages, HttpContext http, CancellationToken ct) =>
        await Set(db).FindAsync([id], ct) is { } track
            ? TypedResults.Ok(await ToJsonAsync(track, storages, http.Request, ct))
            : TrackNotFound(id);

    private async Task<Results<Ok<TrackJson>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        int id, TrackInput input, bool partial, TrackDb db, IStorageRegistry storages, HttpContext http, CancellationToken ct)
    {
        if (await Set(db).FindAsync([id], ct) is not { } track)
        {
            return TrackNotFound(id);
        }

        var errors = input.Validate(partial);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        input.ApplyTo(track, partial);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await ToJsonAsync(track, storages, http.Request, ct));
    }

    private async Task<Results<Ok<TrackJson>, ProblemHttpResult>> UploadAsync(
        int id, string filename, HttpContext http, TrackDb db, IStorageRegistry storages, CancellationToken ct)
    {
        // Answer a missing track or storage before the body is read, then read it through the handler chain.
        if (!TryGetStorage(storages, out var storage))
        {
            return StorageMissing(StorageName!);
        }

        if (await Set(db).FindAsync([id], ct) is not { } track)
        {
            return TrackNotFound(id);
        }

        // The file is stored under the URL's name, made safe as Django's FileField.save does (get_valid_name), so the
        // extension rule applies to that name, before the body is read: an MP3 part posted to .../upload/evil.html/
        // is refused, not stored as evil.html.
        var wanted = FileStorageNames.GetValidName(filename);
        if (TrackBase.FileExtension.ValidateFile(new UploadFileHeader("file", wanted, "application/octet-stream")) is { } error)
        {
            var problem = new HttpValidationProblemDetails(new Dictionary<string, string[]> { ["file"] = [error] })
            {
                Status = StatusCodes.Status400BadRequest,
            };
            return TypedResults.Problem(problem);
        }

        var form = await http.ReadUploadFormAsync(ct);
        var file = form.Files.GetRequired("file");

        // Django's FileField.save(filename, content): the storage picks a free name (song_Ab3xZ9q.mp3 if song.mp3 is taken).
        // Should the request fail before the track points at it, UploadKit deletes the saved file again.
        var name = await file.SaveAsync(storage, wanted, ct);
        var previous = track.File;
        track.File = name;
        await db.SaveChangesAsync(ct);

        // The track points at the file now: it stays, whatever happens to the rest of the request.
        form.KeepSavedFiles();

        if (previous is not null && previous != name)
        {
            await storage.DeleteAsync(previous, ct);
        }

        return TypedResults.Ok(await ToJsonAsync(track, storages, http.Request, ct));
    }

    private async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(int id, TrackDb db, IStorageRegistry storages, CancellationToken ct)
    {
        if (await Set(db).FindAsync([id], ct) is not { } track)
        {
            return TrackNotFound(id);
        }

        Set(db).Remove(track);
        await db.SaveChangesAsync(ct);
        if (track.File is not null && TryGetStorage(storages, out var storage))
        {
            await storage.DeleteAsync(track.File, ct);
        }

        return TypedResults.NoContent();
    }
}
