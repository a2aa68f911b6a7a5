using System.Security.Cryptography;
using System.Text;

namespace UploadKit;

/// <summary>Storage names and the name rules every storage shares (Django's <c>get_valid_name</c>, <c>get_available_name</c>).</summary>
public static class FileStorageNames
{
    /// <summary>The name of the default storage: <c>"default"</c>, as in Django's <c>STORAGES</c>.</summary>
    public const string Default = "default";

    /// <summary>The longest file name (one path segment) a storage accepts.</summary>
    public const int MaxSegmentLength = 255;

    /// <summary>The prefix of the names a storage keeps for itself (<see cref="FileSystemStorage"/>'s metadata and temporary files).</summary>
    internal const string ReservedPrefix = ".uploadkit";

    private const string AlternateAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>
    /// Checks that <paramref name="name"/> stays inside a storage: a relative path with <c>/</c> separators,
    /// no <c>..</c> or <c>.</c> segments, no absolute path or drive letter, no backslash, no control characters, and
    /// no lone UTF-16 surrogate (which a file system or object store would store under another name than the one given).
    /// Names are otherwise kept exactly as given: no case folding and no Unicode normalisation.
    /// </summary>
    /// <param name="name">The name to check.</param>
    /// <returns>The name, with any leading <c>./</c> removed.</returns>
    /// <exception cref="SuspiciousFileNameException">The name is empty or escapes the storage.</exception>
    public static string Validate(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new SuspiciousFileNameException("A file name must not be empty.");
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                throw new SuspiciousFileNameException("A file name must not contain control characters.");
            }

            if (c == '\\')
            {
                throw new SuspiciousFileNameException("A file name must use '/' as its only separator.");
            }
        }

        if (!IsWellFormedUtf16(name))
        {
            throw new SuspiciousFileNameException("A file name must not contain a lone UTF-16 surrogate.");
        }

        if (name[0] == '/' || (name.Length >= 2 && name[1] == ':' && char.IsAsciiLetter(name[0])))
        {
            throw new SuspiciousFileNameException("A file name must be relative to its storage.");
        }

        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        foreach (var range in name.AsSpan().Split('/'))
        {
            var segment = name.AsSpan(range);
            if (segment.Length == 0 || segment is "." or "..")
            {
                throw new SuspiciousFileNameException("A file name must not contain empty, '.' or '..' segments.");
            }

            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentLength)
            {
                throw new SuspiciousFileNameException($"A file name's segments must be at most {MaxSegmentLength} bytes long.");
            }
        }

        return name;
    }

    /// <summary>
    /// Django's <c>get_valid_name</c>: turns a client's file name into a safe one. Spaces become underscores and
    /// every character that is not a letter, digit, <c>-</c>, <c>_</c> or <c>.</c> is removed. The result is in Unicode
    /// normalisation form C, so the same name typed on different systems (NFD on macOS, NFC elsewhere) is one name, and
    /// a name starting with a storage's reserved prefix <c>.uploadkit</c> gets a leading <c>_</c>: every name this
    /// returns is accepted by every built-in storage.
    /// </summary>
    /// <param name="fileName">A file name, without directories.</param>
    /// <returns>
    /// The safe name, e.g. <c>johns_portrait_in_2004.jpg</c> for <c>john's portrait in 2004.jpg</c>, shortened to
    /// <see cref="MaxSegmentLength"/> UTF-8 bytes keeping the extension.
    /// </returns>
    /// <exception cref="SuspiciousFileNameException">Nothing valid is left of the name (<c>""</c>, <c>"."</c> or <c>".."</c>, as for
    /// <c>()</c>).</exception>
    public static string GetValidName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        return TryGetValidName(fileName)
            ?? throw new SuspiciousFileNameException($"Could not derive a valid file name from '{fileName}'.");
    }

    /// <summary><see cref="GetValidName"/>, returning <see langword="null"/> when nothing valid is left of the name.</summary>
    internal static string? TryGetValidName(string fileName)
    {
        // Normalised first, so that a letter with a combining accent (NFD) stays one letter. Lone surrogates, which
        // cannot be normalised, become U+FFFD first, which is no letter: they go like any other symbol.
        var trimmed = fileName.Trim();
        if (!IsWellFormedUtf16(trimmed))
        {
            trimmed = string.Concat(trimmed.EnumerateRunes().Select(r => r.ToString()));
        }

        var builder = new StringBuilder(trimmed.Length);
        foreach (var rune in trimmed.Normalize(NormalizationForm.FormC).EnumerateRunes())
        {
            if (rune.Value == ' ')
            {
                builder.Append('_');
            }
            else if (Rune.IsLetterOrDigit(rune) || rune.Value is '-' or '_' or '.')
            {
                builder.Append(rune.ToString());
            }
        }

        var valid = FileNameSanitizer.Truncate(builder.ToString(), MaxSegmentLength);
        if (valid is "" or "." or "..")
        {
            return null;
        }

        return valid.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase)
            ? FileNameSanitizer.Truncate("_" + valid, MaxSegmentLength)
            : valid;
    }

    /// <summary>
    /// Django's <c>get_available_name</c> step: a fresh name beside <paramref name="name"/>, with seven random
    /// characters before the extension (<c>tracks/song.mp3</c> → <c>tracks/song_Ab3xZ9q.mp3</c>).
    /// </summary>
    /// <param name="name">A valid name that is taken.</param>
    /// <returns>A new name in the same folder with the same extension.</returns>
    public static string GetAlternateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var slash = name.LastIndexOf('/');
        var directory = slash >= 0 ? name[..(slash + 1)] : string.Empty;
        var fileName = name[(slash + 1)..];
        var dot = fileName.IndexOf('.', 1);
        var root = dot > 0 ? fileName[..dot] : fileName;
        var extension = dot > 0 ? fileName[dot..] : string.Empty;
        var suffix = "_" + RandomNumberGenerator.GetString(AlternateAlphabet, 7);
        var maxRoot = MaxSegmentLength - suffix.Length - Encoding.UTF8.GetByteCount(extension);
        if (maxRoot < 1)
        {
            throw new SuspiciousFileNameException("The file name's extension leaves no room for an alternate name.");
        }

        while (Encoding.UTF8.GetByteCount(root) > maxRoot)
        {
            root = root[..^1];
        }

        return directory + root + suffix + extension;
    }

    /// <summary>Whether <paramref name="value"/> is valid UTF-16: every surrogate is half of a pair.</summary>
    internal static bool IsWellFormedUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
