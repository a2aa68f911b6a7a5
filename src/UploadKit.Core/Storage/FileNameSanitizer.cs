using System.Globalization;
using System.Net;
using System.Text;

namespace UploadKit;

/// <summary>
/// Django's <c>MultiPartParser.sanitize_file_name</c>: the base name of any <c>/</c> or <c>\</c> path (HTML
/// entities decoded first, so encoded slashes count), control and other non-printable characters removed,
/// and at most 255 UTF-8 bytes (what file systems and storages allow for one name), keeping the extension.
/// </summary>
internal static class FileNameSanitizer
{
    public const int MaxLength = 255;

    /// <summary>Returns the sanitised name, or <see langword="null"/> when nothing usable is left.</summary>
    public static string? Sanitize(string? fileName)
    {
        if (string.IsNullOrEmpty(fileName))
        {
            return null;
        }

        var decoded = WebUtility.HtmlDecode(fileName
            .Replace("&sol;", "/", StringComparison.OrdinalIgnoreCase)
            .Replace("&bsol;", "\\", StringComparison.OrdinalIgnoreCase));
        var slash = decoded.LastIndexOfAny(['/', '\\']);
        var baseName = slash >= 0 ? decoded[(slash + 1)..] : decoded;

        var builder = new StringBuilder(baseName.Length);
        Span<char> utf16 = stackalloc char[2];
        foreach (var rune in baseName.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or
                UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
            {
                continue;
            }

            builder.Append(utf16[..rune.EncodeToUtf16(utf16)]);
        }

        var name = builder.ToString().Trim();
        if (name is "" or "." or "..")
        {
            return null;
        }

        return Truncate(name, MaxLength);
    }

    /// <summary>Shortens <paramref name="name"/> to <paramref name="maxBytes"/> UTF-8 bytes, keeping a short extension.</summary>
    internal static string Truncate(string name, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(name) <= maxBytes)
        {
            return name;
        }

        var dot = name.LastIndexOf('.');
        var extension = dot > 0 && name.Length - dot <= 16 ? name[dot..] : string.Empty;
        var budget = maxBytes - Encoding.UTF8.GetByteCount(extension);
        var root = new StringBuilder();
        var used = 0;
        foreach (var rune in name[..(extension.Length > 0 ? dot : name.Length)].EnumerateRunes())
        {
            if (used + rune.Utf8SequenceLength > budget)
            {
                break;
            }

            root.Append(rune.ToString());
            used += rune.Utf8SequenceLength;
        }

        return root + extension;
    }
}
