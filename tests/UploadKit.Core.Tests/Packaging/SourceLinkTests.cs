using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Text.Json;
using UploadKit.Testing;

namespace UploadKit.Tests.Packaging;

/// <summary>The symbols shipped in the .snupkg packages (the PDBs built in src/) point a debugger at the sources.</summary>
public class SourceLinkTests
{
    /// <summary>The kind of the custom debug information that holds Source Link's JSON, from the Portable PDB specification.</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    private static IEnumerable<string> Packages() =>
        Directory.GetDirectories(Path.Combine(TestEnvironment.RepositoryRoot, "src"))
            .Where(d => File.Exists(Path.Combine(d, Path.GetFileName(d) + ".csproj")))
            .Select(Path.GetFileName)!;

    [TestCaseSource(nameof(Packages))]
    public void Pdb_HasSourceLinkToTheRepositoryAtTheBuiltCommit(string package)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;   // bin/<configuration>/net10.0/
        var pdb = Path.Combine(TestEnvironment.RepositoryRoot, "src", package, "bin", configuration, "net10.0", package + ".pdb");
        Assert.That(File.Exists(pdb), Is.True, $"{pdb} is built with the solution");

        using var stream = File.OpenRead(pdb);
        using var provider = MetadataReaderProvider.FromPortablePdbStream(stream);
        var reader = provider.GetMetadataReader();
        var sourceLink = reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition)
            .Select(reader.GetCustomDebugInformation)
            .Where(info => reader.GetGuid(info.Kind) == SourceLinkKind)
            .Select(info => reader.GetBlobBytes(info.Value))
            .SingleOrDefault();

        Assert.That(sourceLink, Is.Not.Null, $"{package}.pdb carries no Source Link");
        using var json = JsonDocument.Parse(sourceLink!);
        var targets = json.RootElement.GetProperty("documents").EnumerateObject().Select(d => d.Value.GetString()).ToList();
        Assert.That(targets, Is.Not.Empty);
        Assert.That(targets, Has.All.Match(@"^https://raw\.githubusercontent\.com/uploadkit/uploadkit/[0-9a-f]{40}/\*$"));
    }
}
