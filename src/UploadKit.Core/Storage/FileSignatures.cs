using System.Buffers.Binary;

namespace UploadKit;

/// <summary>A kind of content recognised by its magic bytes, with the media types and extensions that name it.</summary>
internal sealed record FileKind(string Name, string[] MediaTypes, string[] Extensions, string[]? MediaTypePrefixes = null)
{
    public bool MatchesMediaType(string mediaType) =>
        MediaTypes.Contains(mediaType, StringComparer.OrdinalIgnoreCase) ||
        (MediaTypePrefixes?.Any(p => mediaType.StartsWith(p, StringComparison.OrdinalIgnoreCase)) ?? false);

    public bool MatchesExtension(string extension) => Extensions.Contains(extension, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Content sniffing from magic bytes, and image dimensions read from headers only.</summary>
internal static class FileSignatures
{
    /// <summary>The bytes needed to recognise every kind.</summary>
    public const int HeadLength = 16;

    public static readonly FileKind Png = new("PNG", ["image/png", "image/x-png"], ["png"]);
    public static readonly FileKind Jpeg = new("JPEG", ["image/jpeg", "image/pjpeg", "image/jpg"], ["jpg", "jpeg", "jpe", "jfif"]);
    public static readonly FileKind Gif = new("GIF", ["image/gif"], ["gif"]);
    public static readonly FileKind WebP = new("WebP", ["image/webp"], ["webp"]);
    public static readonly FileKind Pdf = new("PDF", ["application/pdf", "application/x-pdf"], ["pdf"]);
    public static readonly FileKind Zip = new(
        "ZIP",
        ["application/zip", "application/x-zip-compressed", "application/x-zip", "application/epub+zip", "application/java-archive"],
        ["zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar", "apk"],
        ["application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument."]);
    public static readonly FileKind Mp3 = new("MP3", ["audio/mpeg", "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3", "audio/x-mp3"], ["mp3"]);
    public static readonly FileKind Mp4 = new(
        "MP4", ["video/mp4", "audio/mp4", "audio/x-m4a", "audio/m4a", "application/mp4", "video/x-m4v"], ["mp4", "m4a", "m4v", "m4b"]);
    public static readonly FileKind Wav = new("WAV", ["audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave"], ["wav", "wave"]);
    public static readonly FileKind Ogg = new(
        "OGG", ["audio/ogg", "video/ogg", "application/ogg", "audio/opus"], ["ogg", "oga", "ogv", "opus", "spx"]);
    public static readonly FileKind Flac = new("FLAC", ["audio/flac", "audio/x-flac"], ["flac"]);

    public static readonly FileKind[] All = [Png, Jpeg, Gif, WebP, Pdf, Zip, Mp3, Mp4, Wav, Ogg, Flac];

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Recognises content from its first bytes.</summary>
    /// <returns>The kind, or <see langword="null"/> if the bytes match none.</returns>
    public static FileKind? Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(PngSignature))
        {
            return Png;
        }

        if (head.Length >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
        {
            return Jpeg;
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return Gif;
        }

        if (head.Length >= 12 && head.StartsWith("RIFF"u8))
        {
            if (head[8..12].SequenceEqual("WEBP"u8))
            {
                return WebP;
            }

            if (head[8..12].SequenceEqual("WAVE"u8))
            {
                return Wav;
            }
        }

        if (head.StartsWith("%PDF-"u8))
        {
            return Pdf;
        }

        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8) || head.StartsWith("PK\x07\x08"u8))
        {
            return Zip;
        }

        if (head.StartsWith("ID3"u8) || IsMpegAudioLayer3Frame(head))
        {
            return Mp3;
        }

        if (head.Length >= 12 && head[4..8].SequenceEqual("ftyp"u8) && IsMp4Brand(head[8..12]))
        {
            return Mp4;
        }

        if (head.StartsWith("OggS"u8))
        {
            return Ogg;
        }

        if (head.StartsWith("fLaC"u8))
        {
            return Flac;
        }

        return null;
    }

    /// <summary>Finds the kinds a media type or extension names.</summary>
    public static bool IsKnownMediaType(string mediaType) => All.Any(k => k.MatchesMediaType(mediaType));

    /// <summary>Finds whether an extension names a kind this class recognises.</summary>
    public static bool IsKnownExtension(string extension) => All.Any(k => k.MatchesExtension(extension));

    /// <summary>Reads an image's width and height from its header (PNG, GIF, WebP, JPEG).</summary>
    /// <returns><see langword="true"/> if the dimensions were found in <paramref name="head"/>.</returns>
    public static bool TryGetImageSize(ReadOnlySpan<byte> head, out int width, out int height)
    {
        width = height = 0;
        var kind = Detect(head);
        if (kind == Png && head.Length >= 24 && head[12..16].SequenceEqual("IHDR"u8))
        {
            width = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(head[16..]), int.MaxValue);
            height = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(head[20..]), int.MaxValue);
            return true;
        }

        if (kind == Gif && head.Length >= 10)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(head[6..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(head[8..]);
            return true;
        }

        if (kind == WebP && head.Length >= 30)
        {
            return TryGetWebPSize(head, out width, out height);
        }

        if (kind == Jpeg)
        {
            return TryGetJpegSize(head, out width, out height);
        }

        return false;
    }

    private static bool IsMpegAudioLayer3Frame(ReadOnlySpan<byte> head) =>
        head.Length >= 3 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 &&
        ((head[1] >> 3) & 0x3) != 0x1 &&       // version bits: 01 is reserved
        ((head[1] >> 1) & 0x3) == 0x1 &&       // layer bits: 01 is Layer III
        (head[2] >> 4) != 0xF &&               // bitrate index 1111 is invalid
        ((head[2] >> 2) & 0x3) != 0x3;         // sample rate index 11 is reserved

    private static bool IsMp4Brand(ReadOnlySpan<byte> brand) =>
        brand.SequenceEqual("isom"u8) || brand.SequenceEqual("iso2"u8) || brand.SequenceEqual("iso4"u8) ||
        brand.SequenceEqual("iso5"u8) || brand.SequenceEqual("iso6"u8) || brand.SequenceEqual("mp41"u8) ||
        brand.SequenceEqual("mp42"u8) || brand.SequenceEqual("avc1"u8) || brand.SequenceEqual("dash"u8) ||
        brand.SequenceEqual("M4A "u8) || brand.SequenceEqual("M4B "u8) || brand.SequenceEqual("M4V "u8) ||
        brand.SequenceEqual("M4P "u8) || brand.SequenceEqual("MSNV"u8) || brand.SequenceEqual("f4v "u8);

    private static bool TryGetWebPSize(ReadOnlySpan<byte> head, out int width, out int height)
    {
        width = height = 0;
        var chunk = head[12..16];
        if (chunk.SequenceEqual("VP8 "u8) && head[23] == 0x9D && head[24] == 0x01 && head[25] == 0x2A)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(head[26..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(head[28..]) & 0x3FFF;
            return true;
        }

        if (chunk.SequenceEqual("VP8L"u8) && head[20] == 0x2F)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(head[21..]);
            width = (int)(bits & 0x3FFF) + 1;
            height = (int)((bits >> 14) & 0x3FFF) + 1;
            return true;
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            width = (head[24] | (head[25] << 8) | (head[26] << 16)) + 1;
            height = (head[27] | (head[28] << 8) | (head[29] << 16)) + 1;
            return true;
        }

        return false;
    }

    private static bool TryGetJpegSize(ReadOnlySpan<byte> head, out int width, out int height)
    {
        width = height = 0;
        var position = 2;
        while (position + 1 < head.Length)
        {
            if (head[position] != 0xFF)
            {
                return false;
            }

            var marker = head[position + 1];
            if (marker == 0xFF)
            {
                position++;                        // fill byte
                continue;
            }

            position += 2;
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue;                          // markers without a length
            }

            if (marker is 0xD9 or 0xDA || position + 2 > head.Length)
            {
                return false;                      // end of image or start of scan before a frame header
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(head[position..]);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (position + 7 > head.Length)
                {
                    return false;
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(head[(position + 3)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(head[(position + 5)..]);
                return true;
            }

            if (length < 2)
            {
                return false;
            }

            position += length;
        }

        return false;
    }
}
