using System.Buffers.Binary;
using System.Text;

namespace UploadKit.Tests.Validation;

/// <summary>The first bytes of real formats, built by hand from their specifications.</summary>
internal static class SampleFiles
{
    public static byte[] Png(int width = 100, int height = 50)
    {
        var bytes = new byte[64];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 }.CopyTo(bytes, 0);
        "IHDR"u8.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), (uint)height);
        return bytes;
    }

    public static byte[] Gif(int width = 100, int height = 50)
    {
        var bytes = new byte[32];
        "GIF89a"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)height);
        return bytes;
    }

    /// <summary>A JPEG with an APP0 (JFIF) and an APP1 segment before its SOF0 frame header.</summary>
    public static byte[] Jpeg(int width = 640, int height = 480, int app1Length = 1000)
    {
        var stream = new MemoryStream();
        stream.Write([0xFF, 0xD8]);
        stream.Write([0xFF, 0xE0, 0x00, 0x10]);
        stream.Write("JFIF\0"u8);
        stream.Write(new byte[9]);
        stream.Write([0xFF, 0xE1, (byte)(app1Length >> 8), (byte)app1Length]);
        stream.Write(new byte[app1Length - 2]);
        stream.Write([0xFF, 0xC0, 0x00, 0x11, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x03]);
        stream.Write(new byte[16]);
        return stream.ToArray();
    }

    public static byte[] WebPLossless(int width = 300, int height = 200)
    {
        var bytes = Riff("WEBP", 40);
        "VP8L"u8.CopyTo(bytes.AsSpan(12));
        bytes[20] = 0x2F;
        var bits = (uint)(width - 1) | ((uint)(height - 1) << 14);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(21), bits);
        return bytes;
    }

    public static byte[] WebPLossy(int width = 300, int height = 200)
    {
        var bytes = Riff("WEBP", 40);
        "VP8 "u8.CopyTo(bytes.AsSpan(12));
        bytes[23] = 0x9D;
        bytes[24] = 0x01;
        bytes[25] = 0x2A;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(26), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(28), (ushort)height);
        return bytes;
    }

    public static byte[] WebPExtended(int width = 3000, int height = 2000)
    {
        var bytes = Riff("WEBP", 40);
        "VP8X"u8.CopyTo(bytes.AsSpan(12));
        bytes[24] = (byte)(width - 1);
        bytes[25] = (byte)((width - 1) >> 8);
        bytes[26] = (byte)((width - 1) >> 16);
        bytes[27] = (byte)(height - 1);
        bytes[28] = (byte)((height - 1) >> 8);
        bytes[29] = (byte)((height - 1) >> 16);
        return bytes;
    }

    public static byte[] Wav() => Riff("WAVE", 44);

    public static byte[] Pdf() => Encoding.ASCII.GetBytes("%PDF-1.7\n%\u00e2\u00e3\n1 0 obj\n");

    public static byte[] Zip() => [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];

    public static byte[] Mp3WithId3() => [.. "ID3"u8, 0x04, 0x00, 0x00, 0, 0, 0, 0x10, .. new byte[32]];

    /// <summary>An MPEG-1 Layer III frame header: 128 kbit/s, 44.1 kHz.</summary>
    public static byte[] Mp3FrameOnly() => [0xFF, 0xFB, 0x90, 0x64, .. new byte[32]];

    public static byte[] Mp4(string brand = "isom") => [0, 0, 0, 0x20, .. "ftyp"u8, .. Encoding.ASCII.GetBytes(brand), 0, 0, 2, 0, .. new byte[16]];

    public static byte[] Ogg() => [.. "OggS"u8, 0x00, 0x02, .. new byte[26]];

    public static byte[] Flac() => [.. "fLaC"u8, 0x00, 0x00, 0x00, 0x22, .. new byte[34]];

    public static byte[] Html() => "<!DOCTYPE html><script>alert(1)</script>"u8.ToArray();

    private static byte[] Riff(string form, int length)
    {
        var bytes = new byte[length];
        "RIFF"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(length - 8));
        Encoding.ASCII.GetBytes(form).CopyTo(bytes, 8);
        return bytes;
    }
}
