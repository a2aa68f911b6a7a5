using System.Globalization;

namespace UploadKit;

/// <summary>Sizes as a person reads them, in binary units named as such: <c>12 bytes</c>, <c>1.5 KiB</c>, <c>100 MiB</c>.</summary>
internal static class ByteSize
{
    private static readonly string[] Units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];

    /// <summary>Formats <paramref name="bytes"/> with at most one decimal and none when it is zero.</summary>
    public static string Format(long bytes)
    {
        if (bytes < 1024)
        {
            return bytes == 1 ? "1 byte" : string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes");
        }

        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        // 1023.96 KiB rounds to "1024 KiB"; say "1 MiB" instead.
        var rounded = Math.Round(value, 1);
        if (rounded >= 1024 && unit < Units.Length - 1)
        {
            rounded = Math.Round(rounded / 1024, 1);
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{rounded:0.#} {Units[unit]}");
    }

    /// <summary>
    /// Formats an exact length: the readable size with the byte count beside it (<c>1 MiB (1,048,577 bytes)</c>), so that
    /// two lengths that differ never read the same.
    /// </summary>
    public static string FormatExact(long bytes) =>
        bytes < 1024 ? Format(bytes) : string.Create(CultureInfo.InvariantCulture, $"{Format(bytes)} ({bytes:N0} bytes)");
}
