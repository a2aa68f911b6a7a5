using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace UploadKit.Pipeline;

/// <summary>What a part's <c>Content-Disposition: form-data</c> header says, its parameters decoded.</summary>
/// <param name="Name">The field name (<c>name*</c> before <c>name</c>); empty when the header has none.</param>
/// <param name="IsFile">Whether the part is a file: it has a <c>filename</c> or <c>filename*</c> parameter, decodable or not.</param>
/// <param name="FileName">The file name as sent (<c>filename*</c> before <c>filename</c>), not yet sanitised; <see langword="null"/> if absent or
/// undecodable.</param>
internal readonly record struct FormDataDisposition(string Name, bool IsFile, string? FileName);

/// <summary>
/// Decodes header parameters where ASP.NET Core's parsers stop short. <see cref="ContentDispositionHeaderValue"/>
/// and <see cref="MediaTypeHeaderValue"/> split a header into parameters (tokens and quoted strings); this class
/// turns their raw values into what the client meant:
/// RFC 9110 §5.6.4 quoted strings (quotes removed, <c>\"</c> and <c>\\</c> undone), and RFC 8187 / RFC 2231 §4
/// <c>*</c> parameters (<c>charset'language'percent-encoded</c>, quoted or not, UTF-8, ISO-8859-1 or US-ASCII,
/// language ignored), which win over the plain parameter of the same name as RFC 7578 §4.2 and Django have it.
/// Bytes that are not valid in the declared charset never fail: they are read as ISO-8859-1.
/// </summary>
internal static class HeaderParameters
{
    /// <summary>Parses a part's <c>Content-Disposition</c>; <see langword="false"/> unless it is well formed and <c>form-data</c>.</summary>
    public static bool TryParseFormData(string? value, out FormDataDisposition disposition) =>
        TryParseCommonFormData(value, out disposition) || TryParseAnyFormData(value, out disposition);

    /// <summary>
    /// Reads the shape nearly every client sends, <c>form-data; name="x"</c> with or without <c>; filename="y"</c>
    /// after it, without the general parser and its objects, strings and lists: each of the many small parts of a form
    /// costs less. Only that exact shape is taken (one space after each <c>;</c>, nothing after the last value, quoted
    /// values of printable ASCII with no <c>"</c> or <c>\</c>; letter case as the general parser ignores it), and for it
    /// the answer is the one <see cref="TryParseAnyFormData"/> gives. Anything else returns <see langword="false"/> and
    /// is left to that parser.
    /// </summary>
    internal static bool TryParseCommonFormData(string? value, out FormDataDisposition disposition)
    {
        disposition = default;
        const string NamePrefix = "form-data; name=\"";
        const string FileNamePrefix = "; filename=\"";
        if (value is null || !value.StartsWith(NamePrefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var nameEnd = QuotedEnd(value, NamePrefix.Length);
        if (nameEnd < 0)
        {
            return false;
        }

        var name = value[NamePrefix.Length..nameEnd];
        if (nameEnd + 1 == value.Length)
        {
            disposition = new FormDataDisposition(name, IsFile: false, FileName: null);
            return true;
        }

        var fileNameStart = nameEnd + 1 + FileNamePrefix.Length;
        if (string.Compare(value, nameEnd + 1, FileNamePrefix, 0, FileNamePrefix.Length, StringComparison.OrdinalIgnoreCase) != 0 ||
            QuotedEnd(value, fileNameStart) != value.Length - 1)
        {
            return false;
        }

        disposition = new FormDataDisposition(name, IsFile: true, FileName: value[fileNameStart..^1]);
        return true;
    }

    /// <summary>Where the quoted value whose text starts at <paramref name="start"/> closes, or -1 if its text is not plain.</summary>
    private static int QuotedEnd(string value, int start)
    {
        for (var i = start; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '"')
            {
                return i;
            }

            if (c is < ' ' or > '~' or '\\')
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Parses any <c>Content-Disposition</c> with ASP.NET Core's <see cref="ContentDispositionHeaderValue"/>, its
    /// parameters decoded here.
    /// </summary>
    internal static bool TryParseAnyFormData(string? value, out FormDataDisposition disposition)
    {
        disposition = default;
        if (!ContentDispositionHeaderValue.TryParse(value, out var header) ||
            !header.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var parameters = header.Parameters;
        var isFile = Find(parameters, "filename") is not null || Find(parameters, "filename*") is not null;
        disposition = new FormDataDisposition(
            Get(parameters, "name", "name*") ?? string.Empty, isFile, isFile ? Get(parameters, "filename", "filename*") : null);
        return true;
    }

    /// <summary>
    /// The decoded value of parameter <paramref name="name"/>: its <c>*</c> form when present and decodable, else
    /// the plain one unquoted; <see langword="null"/> when neither is present or usable.
    /// </summary>
    public static string? Get(IList<NameValueHeaderValue> parameters, string name) => Get(parameters, name, name + "*");

    private static string? Get(IList<NameValueHeaderValue> parameters, string name, string extendedName)
    {
        if (Find(parameters, extendedName) is { } extended && DecodeExtValue(Unquote(extended.Value)) is { } decoded)
        {
            return decoded;
        }

        return Find(parameters, name) is { } plain ? Unquote(plain.Value) : null;
    }

    /// <summary>
    /// A parameter value without its quotes, with the quoted-pairs <c>\"</c> and <c>\\</c> undone. A backslash before
    /// any other character stays: browsers send Windows paths unescaped (<c>C:\dir\a.txt</c>), as Django assumes too.
    /// </summary>
    public static string Unquote(StringSegment value)
    {
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
        {
            return value.ToString();
        }

        var inner = value.Subsegment(1, value.Length - 2);
        if (inner.IndexOf('\\') < 0)
        {
            return inner.ToString();
        }

        var builder = new StringBuilder(inner.Length);
        for (var i = 0; i < inner.Length; i++)
        {
            if (inner[i] == '\\' && i + 1 < inner.Length && inner[i + 1] is '"' or '\\')
            {
                i++;
            }

            builder.Append(inner[i]);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Decodes an RFC 8187 <c>ext-value</c> (<c>charset'language'value-chars</c>); <see langword="null"/> when it is
    /// malformed (no two apostrophes, a bad percent escape) or names a charset other than UTF-8, ISO-8859-1 or US-ASCII.
    /// </summary>
    public static string? DecodeExtValue(string value)
    {
        var first = value.IndexOf('\'', StringComparison.Ordinal);
        var second = first < 0 ? -1 : value.IndexOf('\'', first + 1);
        if (second < 0)
        {
            return null;
        }

        var charset = value.AsSpan(0, first);
        Encoding encoding;
        if (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            encoding = StrictUtf8;
        }
        else if (charset.Equals("iso-8859-1", StringComparison.OrdinalIgnoreCase) || charset.Equals("latin1", StringComparison.OrdinalIgnoreCase))
        {
            encoding = Encoding.Latin1;
        }
        else if (charset.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            encoding = StrictAscii;
        }
        else
        {
            return null;
        }

        var encoded = value.AsSpan(second + 1);
        var bytes = encoded.Length <= 256 ? stackalloc byte[encoded.Length * 3] : new byte[encoded.Length * 3];
        var length = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '%')
            {
                if (i + 2 >= encoded.Length ||
                    !byte.TryParse(encoded.Slice(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var b))
                {
                    return null;
                }

                bytes[length++] = b;
                i += 2;
            }
            else if (c > 0x7F)
            {
                // Not an RFC 8187 value, but what a client meant by it: the character as UTF-8.
                Rune.DecodeFromUtf16(encoded[i..], out var rune, out var used);
                length += rune.EncodeToUtf8(bytes[length..]);
                i += used - 1;
            }
            else
            {
                bytes[length++] = (byte)c;
            }
        }

        return DecodeText(bytes[..length], encoding);
    }

    /// <summary>Text from bytes in <paramref name="encoding"/>, or as ISO-8859-1 when they are not valid in it.</summary>
    public static string DecodeText(ReadOnlySpan<byte> bytes, Encoding encoding)
    {
        try
        {
            return encoding.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }

    private static NameValueHeaderValue? Find(IList<NameValueHeaderValue> parameters, string name)
    {
        foreach (var parameter in parameters)
        {
            if (parameter.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return parameter;
            }
        }

        return null;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly Encoding StrictAscii = Encoding.GetEncoding(
        "us-ascii", EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
}
