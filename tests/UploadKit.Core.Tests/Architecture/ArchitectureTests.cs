using System.Text;

namespace UploadKit.Tests.Architecture;

/// <summary>
/// Keeps UploadKit.Core's floor plan: the ASP.NET Core edge is the only folder that touches HTTP types, and the
/// folders depend on each other in one direction only, from the edge down to storage.
/// </summary>
[TestFixture]
public sealed class ArchitectureTests
{
    /// <summary>The edge: endpoints, binding, DI and problem details. Nothing else may touch HTTP types.</summary>
    private const string Edge = "AspNetCore";

    /// <summary>
    /// Core's folders from the top down. A folder may reference folders below it, never one above it. Folders on
    /// the same line are peers and reference neither each other.
    /// </summary>
    private static readonly string[][] Layers =
    [
        [Edge],
        ["DirectUploads"],
        ["Resumable"],
        ["Scanning"],
        ["Pipeline"],
        ["Handlers"],
        ["Validation"],
        ["Files"],
        ["Presigning", "Stores"],
        ["Storage"],
        ["Diagnostics"],
        [CoreTypeGraph.RootFolder],
    ];

    /// <summary>External types only the edge may reference, by full-name prefix.</summary>
    private static readonly string[] EdgeOnlyTypes =
    [
        "Microsoft.AspNetCore.Http.HttpContext",
        "Microsoft.AspNetCore.Http.HttpRequest",
        "Microsoft.AspNetCore.Http.HttpResponse",
        "Microsoft.AspNetCore.Http.IHttpContextAccessor",
        "Microsoft.AspNetCore.Http.IResult",
        "Microsoft.AspNetCore.Http.Endpoint",
        "Microsoft.AspNetCore.Http.RouteHandlerBuilder",
        "Microsoft.AspNetCore.Http.IFormFeature",
        "Microsoft.AspNetCore.Builder.",
        "Microsoft.AspNetCore.Routing.",
        "Microsoft.AspNetCore.Mvc.",
        "Microsoft.AspNetCore.Antiforgery.",
        "Microsoft.AspNetCore.Authorization.",
        "Microsoft.AspNetCore.OpenApi.",
    ];

    private static readonly Lazy<CoreTypeGraph> Graph = new(() => CoreTypeGraph.Load(
        typeof(UploadOptions).Assembly.Location,
        CoreTypeGraph.CoreSourceFolder,
        Edge));

    [Test]
    public void EveryCoreTypeIsDeclaredInOneFolder()
    {
        Assert.That(Graph.Value.Problems, Is.Empty);
        Assert.That(Graph.Value.Folders, Has.Count.GreaterThan(50), "the graph read Core's types");
    }

    [Test]
    public void EveryFolderHasAPlaceInTheLayers()
    {
        var known = Layers.SelectMany(l => l).ToHashSet(StringComparer.Ordinal);
        var unplaced = Graph.Value.Folders.Values.Distinct().Where(f => !known.Contains(f)).Order().ToList();
        Assert.That(unplaced, Is.Empty, "add the folder to ArchitectureTests.Layers and to the layout map in the Core README");
    }

    [Test]
    public void FoldersFormNoCycle()
    {
        var cycles = CoreTypeGraph.FindCycles(Graph.Value.FolderEdges().Keys);
        Assert.That(cycles.Select(c => string.Join(" <-> ", c)), Is.Empty, Describe(Graph.Value.FolderEdges()));
    }

    [Test]
    public void FoldersOnlyReferenceFoldersBelowThem()
    {
        var rank = Layers.SelectMany((layer, i) => layer.Select(folder => (folder, i)))
            .ToDictionary(x => x.folder, x => x.i, StringComparer.Ordinal);
        var upward = Graph.Value.FolderEdges()
            .Where(e => rank.TryGetValue(e.Key.From, out var from) && rank.TryGetValue(e.Key.To, out var to) && to < from)
            .ToDictionary(e => e.Key, e => e.Value);
        var sideways = Graph.Value.FolderEdges()
            .Where(e => rank.TryGetValue(e.Key.From, out var from) && rank.TryGetValue(e.Key.To, out var to) && from == to)
            .ToDictionary(e => e.Key, e => e.Value);

        Assert.Multiple(() =>
        {
            Assert.That(upward, Is.Empty, "references from a folder to one above it:\n" + Describe(upward));
            Assert.That(sideways, Is.Empty, "references between peer folders:\n" + Describe(sideways));
        });
    }

    [Test]
    public void OnlyTheEdgeTouchesHttpTypes()
    {
        var violations = Graph.Value.ExternalReferences
            .Where(t => Graph.Value.Folders[t.Key] != Edge)
            .SelectMany(t => t.Value
                .Where(reference => EdgeOnlyTypes.Any(p => reference.StartsWith(p, StringComparison.Ordinal)))
                .Select(reference => $"{Graph.Value.Folders[t.Key]}/{t.Key} -> {reference}"))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.That(violations, Is.Empty);
    }

    [Test]
    public void CoreTypesOutsideTheEdgeDoNotReferenceTheEdge()
    {
        var violations = Graph.Value.FolderEdges().Where(e => e.Key.To == Edge).SelectMany(e => e.Value).ToList();
        Assert.That(violations, Is.Empty);
    }

    private static string Describe<T>(IReadOnlyDictionary<(string From, string To), T> edges)
        where T : IEnumerable<string>
    {
        var text = new StringBuilder();
        foreach (var ((from, to), references) in edges.OrderBy(e => e.Key.From).ThenBy(e => e.Key.To))
        {
            text.Append(from).Append(" -> ").Append(to).Append(": ").AppendJoin(", ", references.Take(6)).AppendLine();
        }

        return text.ToString();
    }

    private static string Describe(Dictionary<(string From, string To), IReadOnlyList<string>> edges) =>
        Describe((IReadOnlyDictionary<(string, string), IReadOnlyList<string>>)edges);
}
