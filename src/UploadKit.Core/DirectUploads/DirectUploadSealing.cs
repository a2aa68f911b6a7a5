using System.Globalization;
using UploadKit.Stores;

namespace UploadKit;

/// <summary>
/// Seals a verified direct upload: copies it, inside the store, to a key no issued URL can write, and checks the copy
/// against what was verified. A signed URL stays valid until it expires; after the seal it can neither overwrite nor
/// recreate what the app binds, only put an unbound object under the uploaded key, which the sweeper removes.
/// </summary>
internal static class DirectUploadSealing
{
    private const string SealedFolder = "sealed";

    /// <summary>
    /// The sealed key of a session: <c>{folder}/sealed/{file}</c> beside the uploaded <c>{folder}/{file}</c>. Signed URLs
    /// name their key exactly, and an uploaded key has one segment after its random folder, so no URL names this one.
    /// </summary>
    public static string GetSealedName(UploadSession session)
    {
        var slash = session.ObjectName.LastIndexOf('/');
        return slash < 0
            ? SealedFolder + "/" + session.ObjectName
            : session.ObjectName[..slash] + "/" + SealedFolder + session.ObjectName[slash..];
    }

    /// <summary>
    /// Copies exactly the verified object (the copy is conditional on its entity tag) to the sealed key: a link on a
    /// local disk, which with the delete of the uploaded key that follows is a rename; the store's own copy elsewhere.
    /// </summary>
    /// <exception cref="FileNotFoundException">The uploaded object changed or went away since it was verified.</exception>
    public static Task<StoredFileInfo> CopyAsync(
        IFileStorage storage, StoredFileInfo verified, string sealedName, CancellationToken cancellationToken) =>
        storage is ILocalFileStorage local
            ? local.LinkAsync(verified.Name, sealedName, verified.ETag, cancellationToken)
            : storage.CopyAsync(verified.Name, sealedName, verified.ETag, cancellationToken);

    /// <summary>
    /// Compares the copy, as its store describes it, with the verified object: the same length, and the same value for
    /// every checksum the store reports for both (and for the SHA-256 that was computed from the bytes, if the store
    /// reports one for the copy).
    /// </summary>
    /// <returns><see langword="null"/> if the copy matches; otherwise why not.</returns>
    public static string? CheckCopy(StoredFileInfo verified, StoredFileInfo copy, string? sha256)
    {
        if (copy.Length != verified.Length)
        {
            return string.Create(
                CultureInfo.InvariantCulture, $"The sealed copy is {copy.Length} bytes long; {verified.Length} bytes were verified.");
        }

        foreach (var (algorithm, value) in verified.Checksums)
        {
            if (copy.Checksums.TryGetValue(algorithm, out var copied) && !string.Equals(copied, value, StringComparison.OrdinalIgnoreCase))
            {
                return $"The sealed copy's {algorithm} checksum differs from the verified file's.";
            }
        }

        if (sha256 is not null && copy.Checksums.TryGetValue("sha256", out var copiedSha256) &&
            !string.Equals(copiedSha256, sha256, StringComparison.OrdinalIgnoreCase))
        {
            return "The sealed copy's SHA-256 checksum differs from the verified file's.";
        }

        return null;
    }
}
