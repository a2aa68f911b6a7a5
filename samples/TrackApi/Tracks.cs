using Microsoft.EntityFrameworkCore;
using UploadKit;

namespace TrackApi;

/// <summary>What both track models share: the article's <c>Track</c> fields.</summary>
public abstract class TrackBase
{
    public const int MaxLength = 100;

    /// <summary>The article's <c>validate_file_size</c>: 1 MiB.</summary>
    public const long MaxFileSize = 1024 * 1024;

    /// <summary>
    /// The article's <c>FileExtensionValidator(["mp3"])</c>. It checks the name a file is stored under: the client's for
    /// a direct upload, the URL's <c>{filename}</c> for the upload action.
    /// </summary>
    public static readonly IFileValidator FileExtension = FileValidators.Extensions("mp3");

    public int Id { get; set; }

    public string Title { get; set; } = "";

    public string ArtistName { get; set; } = "";

    public DateOnly? ReleaseDate { get; set; }

    /// <summary>The name of the track's file in its storage (Django's <c>FileField</c> stores the name, not the bytes).</summary>
    public string? File { get; set; }
}

/// <summary>A track whose file lives in the default storage (the local <c>media</c> folder unless configured).</summary>
public sealed class Track : TrackBase;

/// <summary>The article's <c>TrackS3</c>: a track whose file lives in the storage named <c>minio</c>.</summary>
public sealed class TrackS3 : TrackBase
{
    /// <summary>
    /// The direct upload begun by <c>presigned-url</c> and not confirmed yet. The article's view stored the new key as
    /// the track's file at once; here <see cref="TrackBase.File"/> stays as it was until <c>confirm-upload</c> has
    /// checked the object.
    /// </summary>
    public string? PendingUploadId { get; set; }
}

/// <summary>The sample's database: a SQLite file in the app folder, created on first run.</summary>
public sealed class TrackDb(DbContextOptions<TrackDb> options) : DbContext(options)
{
    public DbSet<Track> Tracks => Set<Track>();

    public DbSet<TrackS3> TracksS3 => Set<TrackS3>();

    /// <summary>
    /// The <c>Tracks</c> connection string, with a relative SQLite file placed in the app's content root rather than
    /// in whatever folder the app was started from.
    /// </summary>
    public static string GetConnectionString(IConfiguration configuration, string contentRoot)
    {
        var connection = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(
            configuration.GetConnectionString("Tracks") ?? "Data Source=tracks.db");
        if (!Path.IsPathRooted(connection.DataSource) && connection.DataSource != ":memory:")
        {
            connection.DataSource = Path.Combine(contentRoot, connection.DataSource);
        }

        return connection.ToString();
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Track>(track =>
        {
            track.ToTable("tracks");
            Configure(track);
        });
        modelBuilder.Entity<TrackS3>(track =>
        {
            track.ToTable("tracks_s3");
            Configure(track);
        });
    }

    private static void Configure<TTrack>(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<TTrack> track)
        where TTrack : TrackBase
    {
        track.Property(t => t.Title).HasMaxLength(TrackBase.MaxLength);
        track.Property(t => t.ArtistName).HasMaxLength(TrackBase.MaxLength);
    }
}
