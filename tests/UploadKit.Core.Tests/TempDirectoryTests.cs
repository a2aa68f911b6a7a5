namespace UploadKit.Tests;

/// <summary>A base for tests that give an app its own temp folder, created before each test and deleted after it.</summary>
public abstract class TempDirectoryTests
{
    /// <summary>Gets the test's temp folder.</summary>
    protected string Temp { get; private set; } = null!;

    [SetUp]
    public void CreateTempDirectory()
    {
        Temp = Path.Combine(Path.GetTempPath(), "uploadkit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Temp);
    }

    [TearDown]
    public void DeleteTempDirectory() => Directory.Delete(Temp, recursive: true);
}
