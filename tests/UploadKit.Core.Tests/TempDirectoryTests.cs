using UploadKit.Testing;

namespace UploadKit.Tests;

/// <summary>A base for tests that give an app its own temp folder, created before each test and deleted after it.</summary>
public abstract class TempDirectoryTests
{
    private TempDirectory? _temp;

    /// <summary>Gets the test's temp folder.</summary>
    protected string Temp => _temp?.Path ?? throw new InvalidOperationException("The temp folder exists during a test only.");

    [SetUp]
    public void CreateTempDirectory() => _temp = new TempDirectory();

    [TearDown]
    public void DeleteTempDirectory()
    {
        _temp?.Dispose();
        _temp = null;
    }
}
