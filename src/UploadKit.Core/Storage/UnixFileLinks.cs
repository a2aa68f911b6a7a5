using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace UploadKit;

/// <summary>
/// Creates hard links on Unix: the one way to give a file a name there only if that name is free, atomically.
/// <c>rename()</c> always replaces, and <see cref="File.Move(string, string, bool)"/> without overwrite checks the
/// name first and then renames, so two savers can both "win" and the second silently replaces the first.
/// </summary>
internal static partial class UnixFileLinks
{
    private const int EPERM = 1;
    private const int EEXIST = 17;
    private const int EXDEV = 18;
    private const int LinuxEOPNOTSUPP = 95;
    private const int LinuxENOSYS = 38;
    private const int BsdENOTSUP = 45;
    private const int BsdEOPNOTSUPP = 102;
    private const int ENOENT = 2;
    private const int OWronly = 1;
    private const int OCloexec = 0x80000;

    /// <summary>Gives <paramref name="source"/> the additional name <paramref name="destination"/> if that is free.</summary>
    /// <returns>What happened; an unexpected failure throws.</returns>
    /// <exception cref="IOException">The link failed for another reason than a taken name or a file system without links.</exception>
    public static LinkResult TryLink(string source, string destination)
    {
        if (Link(source, destination) == 0)
        {
            return LinkResult.Linked;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST)
        {
            return LinkResult.NameTaken;
        }

        if (errno is EPERM or EXDEV || (OperatingSystem.IsLinux() ? errno is LinuxEOPNOTSUPP or LinuxENOSYS : errno is BsdENOTSUP or BsdEOPNOTSUPP))
        {
            return LinkResult.NotSupported;
        }

        throw new IOException($"The file could not be committed: {Marshal.GetPInvokeErrorMessage(errno)}.", errno);
    }

    /// <summary>
    /// Opens a new, nameless file in <paramref name="directory"/> for writing (<c>O_TMPFILE</c>): it takes a name only
    /// through <see cref="TryLinkNameless"/>, and vanishes with its handle if it never does, so a failed save leaves nothing
    /// even when the process dies.
    /// </summary>
    /// <param name="directory">The folder whose file system holds the file; the name it takes must be in the same file system.</param>
    /// <param name="mode">The file's permissions (less the process's umask).</param>
    /// <param name="failure">Why no file was opened.</param>
    /// <returns>The handle, or <see langword="null"/> where the system or the file system has no nameless files, or on any other
    /// failure: the caller falls back to a named temporary file, which reports the real error if there is one.</returns>
    public static SafeFileHandle? TryOpenNameless(string directory, UnixFileMode mode, out NamelessFailure failure)
    {
        const int EISDIR = 21;
        const int EINVAL = 22;
        failure = NamelessFailure.Unsupported;
        if (NamelessFlags() is not { } flags)
        {
            return null;
        }

        var fd = Open(directory, flags, (int)mode);
        if (fd >= 0)
        {
            failure = NamelessFailure.None;
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        // A kernel or file system without O_TMPFILE answers EOPNOTSUPP, EISDIR (it took the flag for O_DIRECTORY) or EINVAL.
        failure = Marshal.GetLastPInvokeError() switch
        {
            ENOENT => NamelessFailure.DirectoryMissing,
            LinuxEOPNOTSUPP or EISDIR or EINVAL => NamelessFailure.Unsupported,
            _ => NamelessFailure.Other,
        };
        return null;
    }

    /// <summary>
    /// Creates <paramref name="path"/> for writing, failing if anything has that name (<c>O_CREAT | O_EXCL</c>) or else emptying
    /// the file there (<c>O_TRUNC</c>); Linux only. One system call, where a <see cref="FileStream"/> adds a lock, a seek and a stat.
    /// </summary>
    /// <exception cref="IOException">The file could not be created; a missing folder comes as <see cref="DirectoryNotFoundException"/>.</exception>
    public static SafeFileHandle Create(string path, UnixFileMode mode, bool exclusive)
    {
        const int OCreat = 0x40;
        const int OExcl = 0x80;
        const int OTrunc = 0x200;
        var fd = Open(path, OWronly | OCreat | (exclusive ? OExcl : OTrunc) | OCloexec, (int)mode);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        var errno = Marshal.GetLastPInvokeError();
        var message = $"The file could not be created: {Marshal.GetPInvokeErrorMessage(errno)}.";
        throw errno == ENOENT ? new DirectoryNotFoundException(message) : new IOException(message, errno);
    }

    /// <summary>Gives the nameless file <paramref name="file"/> the name <paramref name="destination"/> if that is free.</summary>
    /// <returns>What happened: any failure but a taken name is <see cref="LinkResult.NotSupported"/> (no <c>/proc</c>, another
    /// file system, a vanished folder), for the caller to fall back to a named temporary file, which reports a real error.</returns>
    public static LinkResult TryLinkNameless(SafeFileHandle file, string destination)
    {
        // linkat() of the descriptor's /proc path with AT_SYMLINK_FOLLOW: AT_EMPTY_PATH would need a capability.
        const int AtFdCwd = -100;
        const int AtSymlinkFollow = 0x400;
        var source = "/proc/self/fd/" + file.DangerousGetHandle().ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (LinkAt(AtFdCwd, source, AtFdCwd, destination, AtSymlinkFollow) == 0)
        {
            return LinkResult.Linked;
        }

        return Marshal.GetLastPInvokeError() == EEXIST ? LinkResult.NameTaken : LinkResult.NotSupported;
    }

    /// <summary>The <c>open()</c> flags of a nameless file, where they are known: Linux on x64 and Arm64 (where <c>open()</c>'s
    /// optional mode argument is passed as a fixed one).</summary>
    private static int? NamelessFlags()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // O_TMPFILE is __O_TMPFILE (020000000) | O_DIRECTORY, whose value differs between architectures.
        const int OTmpfileBase = 0x400000;
        return RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => OTmpfileBase | 0x10000 | OWronly | OCloexec,
            Architecture.Arm64 => OTmpfileBase | 0x4000 | OWronly | OCloexec,
            _ => null,
        };
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkAt(int oldDirectory, string oldPath, int newDirectory, string newPath, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);
}

/// <summary>The outcome of <see cref="UnixFileLinks.TryLink"/>.</summary>
internal enum LinkResult
{
    /// <summary>The file now also has the new name.</summary>
    Linked,

    /// <summary>Something already has the new name; nothing changed.</summary>
    NameTaken,

    /// <summary>The file system does not support hard links.</summary>
    NotSupported,
}

/// <summary>Why <see cref="UnixFileLinks.TryOpenNameless"/> opened no file.</summary>
internal enum NamelessFailure
{
    /// <summary>It did open one.</summary>
    None,

    /// <summary>The system or the folder's file system has no nameless files.</summary>
    Unsupported,

    /// <summary>The folder does not exist.</summary>
    DirectoryMissing,

    /// <summary>Another failure (such as a folder that may not be written), which a named file reports again.</summary>
    Other,
}
