using System.Text.RegularExpressions;
using UploadKit.Testing;

namespace UploadKit.Samples.Tests;

/// <summary>The README's promises that code can check without running anything.</summary>
public partial class ReadmeTests
{
    /// <summary>Names in the table that are not UploadKit's: .NET's own, a configuration key, an example suffix.</summary>
    private static readonly HashSet<string> NotUploadKitNames = ["IFormFile", "InvalidOperationException", "Insert", "Storages", "Ab3xZ9q"];

    [Test]
    public void DjangoTable_EveryUploadKitName_IsInThePublicApi()
    {
        var readme = File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "README.md"));
        var start = readme.IndexOf("## Django → UploadKit", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "the README has its Django → UploadKit table");
        var end = readme.IndexOf("\n## ", start + 5, StringComparison.Ordinal);
        var rows = readme[start..end].Split('\n').Where(l => l.StartsWith('|')).Skip(2).ToArray();
        var api = string.Join(
            '\n',
            Directory.EnumerateFiles(Path.Combine(TestEnvironment.RepositoryRoot, "src"), "PublicAPI.*.txt", SearchOption.AllDirectories)
                .Select(File.ReadAllText));
        var known = Identifier().Matches(api).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

        var names = rows
            .Select(row => row.Split('|')[2])
            .SelectMany(cell => Code().Matches(cell).Select(m => m.Groups[1].Value))
            .SelectMany(code => PascalName().Matches(code).Select(m => m.Value))
            .Distinct()
            .ToArray();
        var missing = names.Where(n => !known.Contains(n) && !NotUploadKitNames.Contains(n)).ToArray();

        Assert.That(rows, Has.Length.GreaterThan(15));
        Assert.That(names, Has.Length.GreaterThan(50));
        Assert.That(missing, Is.Empty, "names in the README's Django → UploadKit table that no package declares in its public API");
    }

    [GeneratedRegex("[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Identifier();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex("[A-Z][A-Za-z0-9]+")]
    private static partial Regex PascalName();
}
