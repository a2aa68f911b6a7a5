using System.Globalization;
using Microsoft.Extensions.Logging;

namespace UploadKit;

/// <summary>What the built-in storages share: content types by extension, URLs and entity tags.</summary>
internal static class StorageHelpers
{
    /// <summary>
    /// Deletes an object on a cleanup path, never failing the request: a failure is logged when a logger is given,
    /// and the storage's own lifecycle rules are the backstop.
    /// </summary>
    /// <returns><see langword="true"/> if the delete went through.</returns>
    public static async Task<bool> TryDeleteAsync(IFileStorage storage, string name, ILogger? logger = null)
    {
        try
        {
            await storage.DeleteAsync(name, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031 // Cleanup must not fail the request; the upload's own outcome stands.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            logger?.StoredObjectNotRemoved(ex);
            return false;
        }
    }

    /// <summary>
    /// Copies a file by reading it and saving it under the new name (replacing a file there), so the bytes pass through
    /// the app once: the copy of a storage that has no native one.
    /// </summary>
    public static async Task<StoredFileInfo> CopyThroughAppAsync(
        IFileStorage storage, string sourceName, string destinationName, string? sourceETag, CancellationToken cancellationToken)
    {
        var info = await storage.GetMetadataAsync(sourceName, cancellationToken).ConfigureAwait(false);
        if (info is null || (sourceETag is not null && !string.Equals(info.ETag, sourceETag, StringComparison.Ordinal)))
        {
            throw new FileNotFoundException($"No file named '{sourceName}' with the expected content exists.", sourceName);
        }

        var content = await storage.OpenReadAsync(sourceName, cancellationToken).ConfigureAwait(false);
        await using (content.ConfigureAwait(false))
        {
            await storage.SaveAsync(destinationName, content, SaveOptionsOf(info, info.Length), cancellationToken).ConfigureAwait(false);
        }

        return await storage.GetMetadataAsync(destinationName, cancellationToken).ConfigureAwait(false)
            ?? throw new IOException($"The copy '{destinationName}' disappeared as soon as it was made.");
    }

    /// <summary>The options that save a copy of a stored file: its content type, checksums and metadata, replacing the destination.</summary>
    public static FileSaveOptions SaveOptionsOf(StoredFileInfo info, long? length = null)
    {
        var options = new FileSaveOptions { ContentType = info.ContentType, Overwrite = true, Length = length };
        foreach (var (key, value) in info.Checksums)
        {
            options.Checksums[key] = value;
        }

        foreach (var (key, value) in info.Metadata)
        {
            options.Metadata[key] = value;
        }

        return options;
    }

    /// <summary>Guesses a media type from a name's extension (<see cref="StoredContentTypes.FromName"/>), or null for an unknown one.</summary>
    public static string? GuessContentType(string name) =>
        StoredContentTypes.FromName(name) is var contentType && contentType != StoredContentTypes.Unknown ? contentType : null;

    /// <summary>Django's <c>urljoin(base_url, filepath_to_uri(name))</c>: each segment percent-encoded.</summary>
    public static string? BuildUrl(string? baseUrl, string name)
    {
        if (baseUrl is null)
        {
            return null;
        }

        var segments = name.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = Uri.EscapeDataString(segments[i]);
        }

        return baseUrl.TrimEnd('/') + "/" + string.Join('/', segments);
    }

    /// <summary>Checks a listing prefix: its folder part must be a valid name, so a listing never leaves the storage.</summary>
    /// <returns>The folder part of the prefix (empty for none).</returns>
    public static string ValidatePrefix(string prefix)
    {
        var slash = prefix.LastIndexOf('/');
        if (prefix.Length > 0 && (prefix[0] == '/' || prefix.Contains('\\', StringComparison.Ordinal) || prefix.Any(char.IsControl)))
        {
            throw new SuspiciousFileNameException("A listing prefix must be relative to its storage.");
        }

        return slash > 0 ? FileStorageNames.Validate(prefix[..slash]) : string.Empty;
    }

    /// <summary>A strong entity tag from a version stamp and a length.</summary>
    public static string MakeETag(long stamp, long length) =>
        string.Create(CultureInfo.InvariantCulture, $"\"{stamp:x}-{length:x}\"");

    /// <summary>Copies a dictionary into a read-only one, or returns the shared empty one.</summary>
    public static IReadOnlyDictionary<string, string> Freeze(IDictionary<string, string>? source) =>
        source is null || source.Count == 0
            ? UploadFileHeader.EmptyParameters
            : new Dictionary<string, string>(source, StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses an octal Unix mode option, naming the option in the error.</summary>
    public static bool TryParseMode(string? octal, out UnixFileMode mode)
    {
        try
        {
            mode = TemporaryFiles.ParseMode(octal ?? string.Empty);
            return true;
        }
        catch (FormatException)
        {
            mode = default;
            return false;
        }
    }
}
