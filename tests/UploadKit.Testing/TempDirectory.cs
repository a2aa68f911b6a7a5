namespace UploadKit.Testing;

/// <summary>A new, empty folder in the system's temp folder, deleted with everything in it on disposal.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <summary>Creates the folder.</summary>
    /// <param name="prefix">The start of the folder's name, which says which tests left it if it outlives them.</param>
    public TempDirectory(string prefix = "uploadkit-tests-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>Deletes the folder and everything in it, if it is still there.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Path;
}
