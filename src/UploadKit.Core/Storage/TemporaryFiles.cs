using System.Globalization;

namespace UploadKit;

internal static class TemporaryFiles
{
    internal const string Prefix = "uploadkit-";

    public static FileStream Create(UploadOptions options, out string path)
    {
        path = NewPath(options);
        return Create(path, options);
    }

    /// <summary>A fresh, unguessable temporary file path in <see cref="UploadOptions.TempFileDirectory"/>; nothing is created yet.</summary>
    public static string NewPath(UploadOptions options) =>
        Path.Combine(options.TempFileDirectory ?? Path.GetTempPath(), Prefix + Guid.NewGuid().ToString("N") + ".upload");

    /// <summary>Creates the temporary file at <paramref name="path"/> (from <see cref="NewPath"/>), which must not exist yet.</summary>
    public static FileStream Create(string path, UploadOptions options)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var streamOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = ParseMode(options.TempFilePermissions);
        }

        return new FileStream(path, streamOptions);
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Deleted by someone else, or still open on Windows: nothing more can be done here.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    internal static UnixFileMode ParseMode(string octal)
    {
        if (string.IsNullOrEmpty(octal) || octal.Length > 4)
        {
            throw new FormatException($"'{octal}' is not an octal file mode such as \"600\".");
        }

        var value = 0;
        foreach (var c in octal)
        {
            if (c is < '0' or > '7')
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"'{octal}' is not an octal file mode such as \"600\"."));
            }

            value = (value * 8) + (c - '0');
        }

        return (UnixFileMode)value;
    }
}
