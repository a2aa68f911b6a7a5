using System.Runtime.InteropServices;

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

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string oldPath, string newPath);
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
