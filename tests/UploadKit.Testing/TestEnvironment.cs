namespace UploadKit.Testing;

/// <summary>Where the repository and the shared test data are, and what a missing service means.</summary>
public static class TestEnvironment
{
    /// <summary>True under CI (<c>CI=true</c>): a missing service or test data folder is a failure there, never a skip.</summary>
    public static bool IsCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The repository root: the folder holding UploadKit.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>
    /// The shared test vectors folder: <c>UPLOADKIT_TESTDATA</c> if set, else <c>../shared/testdata</c> beside the repository.
    /// </summary>
    public static string TestDataDirectory =>
        Environment.GetEnvironmentVariable("UPLOADKIT_TESTDATA") is { Length: > 0 } configured
            ? configured
            : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "testdata"));

    /// <summary>
    /// Ends the current test because something it needs is not there: a failure under CI, an ignored test with
    /// the reason elsewhere (a user's clone without the shared vectors or emulators).
    /// </summary>
    /// <param name="reason">What is missing and how to provide it.</param>
    public static void Unavailable(string reason)
    {
        if (IsCI)
        {
            Assert.Fail(reason + " (required under CI=true)");
        }

        Assert.Ignore(reason);
    }

    /// <summary>Returns the path of a file under the test data folder, or ends the test as <see cref="Unavailable"/>.</summary>
    /// <param name="relativePath">The file's path below the test data folder.</param>
    /// <returns>The full path.</returns>
    public static string RequireTestData(string relativePath)
    {
        var path = Path.Combine(TestDataDirectory, relativePath);
        if (!File.Exists(path))
        {
            Unavailable($"Test data '{path}' is missing; set UPLOADKIT_TESTDATA to the shared testdata folder.");
        }

        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UploadKit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("UploadKit.sln was not found above " + AppContext.BaseDirectory);
    }
}
