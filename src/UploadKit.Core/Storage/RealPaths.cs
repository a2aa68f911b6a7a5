using System.Runtime.InteropServices;
using System.Text;

namespace UploadKit;

/// <summary>
/// Resolves a path as the operating system will: every symbolic link along it followed, as <c>realpath(3)</c> does,
/// except that the part of the path that does not exist yet is kept as written (a file about to be created).
/// </summary>
internal static partial class RealPaths
{
    /// <summary>As many links as Linux follows in one path (<c>MAXSYMLINKS</c>) before giving up with <c>ELOOP</c>.</summary>
    private const int MaxLinks = 40;

    /// <summary>Returns the real path of the absolute path <paramref name="fullPath"/>.</summary>
    /// <exception cref="IOException">The path runs through more than 40 links (links pointing at each other).</exception>
    public static string Resolve(string fullPath)
    {
        var root = Path.GetPathRoot(fullPath);
        if (string.IsNullOrEmpty(root))
        {
            throw new ArgumentException("The path must be absolute.", nameof(fullPath));
        }

        return Resolve(root, fullPath[root.Length..], fullPath);
    }

    /// <summary>
    /// Returns the real path of <paramref name="relativePath"/> below <paramref name="realBase"/>, a folder whose own path
    /// is real already: only the segments below it are looked at, one system call each while they exist.
    /// </summary>
    /// <exception cref="IOException">The path runs through more than 40 links (links pointing at each other).</exception>
    public static string Resolve(string realBase, string relativePath) =>
        Resolve(realBase, relativePath, relativePath);

    private static string Resolve(string start, string relativePath, string description)
    {
        var pending = new Stack<string>();
        Push(pending, relativePath);

        // Without a trailing separator (a root keeps its own), so that ".." from a link's target goes one folder up.
        var current = Path.TrimEndingDirectorySeparator(start);
        var links = 0;
        var missing = false;
        while (pending.TryPop(out var segment))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }

            var next = Path.Join(current, segment);
            if (!missing && ReadLink(next, ref missing) is { } target)
            {
                if (++links > MaxLinks)
                {
                    throw new IOException($"Too many levels of symbolic links in '{description}'.");
                }

                // The link's target takes its place: relative to the link's folder, or from a root of its own.
                var targetRoot = Path.GetPathRoot(target);
                if (string.IsNullOrEmpty(targetRoot))
                {
                    Push(pending, target);
                }
                else
                {
                    current = targetRoot;
                    Push(pending, target[targetRoot.Length..]);
                }

                continue;
            }

            current = next;
        }

        return current;
    }

    private static string? ReadLink(string path, ref bool missing)
    {
        if (!OperatingSystem.IsWindows())
        {
            return ReadUnixLink(path, ref missing);
        }

        // The attributes come from lstat() and read -1 for a path that is not there (or has a file for a folder
        // along it): no exception on the common path of a name about to be created.
        var info = new FileInfo(path);
        var attributes = info.Attributes;
        if ((int)attributes == -1)
        {
            missing = true;
            return null;
        }

        if (!attributes.HasFlag(FileAttributes.ReparsePoint))
        {
            return null;
        }

        try
        {
            return info.LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile: nothing further along can be a link.
            missing = true;
            return null;
        }
    }

    /// <summary>
    /// One <c>readlink()</c>: the target of a link, <see langword="null"/> for anything else that is there (<c>EINVAL</c>), and
    /// <paramref name="missing"/> set for a path that is not there (or cannot be looked into). An <c>lstat()</c> first, as
    /// <see cref="FileSystemInfo.Attributes"/> makes (with a <c>geteuid()</c>), would only add calls.
    /// </summary>
    private static unsafe string? ReadUnixLink(string path, ref bool missing)
    {
        const int EINVAL = 22;
        Span<byte> buffer = stackalloc byte[4096];
        int length;
        fixed (byte* target = buffer)
        {
            length = (int)UnixReadLink(path, target, (nint)buffer.Length);
        }

        if (length >= 0)
        {
            return length < buffer.Length
                ? Encoding.UTF8.GetString(buffer[..length])
                : throw new IOException("A link's target is too long to follow.");
        }

        // EINVAL: there, and not a link. Anything else (not there, or not to be looked into) ends the lookups, as a failed
        // lstat() did: the rest of the path is kept as written.
        if (Marshal.GetLastPInvokeError() != EINVAL)
        {
            missing = true;
        }

        return null;
    }

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial nint UnixReadLink(string path, byte* buffer, nint size);

    private static void Push(Stack<string> pending, string path)
    {
        var segments = path.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        for (var i = segments.Length - 1; i >= 0; i--)
        {
            pending.Push(segments[i]);
        }
    }
}
