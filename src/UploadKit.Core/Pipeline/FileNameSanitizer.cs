using System.Globalization;
using System.Net;
using System.Text;

namespace UploadKit.Pipeline;

/// <summary>
/// Django's <c>MultiPartParser.sanitize_file_name</c>: the base name of any <c>/</c> or <c>\</c> path (HTML
/// entities decoded first, so encoded slashes count), control and other non-printable characters removed,
/// and at most 255 characters, keeping the extension.
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
        foreach (var rune in baseName.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or
                UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
            {
                continue;
            }

            builder.Append(rune.ToString());
        }

        var name = builder.ToString().Trim();
        if (name is "" or "." or "..")
        {
            return null;
        }

        return Truncate(name);
    }

    private static string Truncate(string name)
    {
        if (name.Length <= MaxLength)
        {
            return name;
        }

        var dot = name.LastIndexOf('.');
        var extension = dot > 0 && name.Length - dot <= 16 ? name[dot..] : string.Empty;
        var root = name[..(MaxLength - extension.Length)];
        if (char.IsHighSurrogate(root[^1]))
        {
            root = root[..^1];
        }

        return root + extension;
    }
}
