using System.Text.RegularExpressions;
using Mono.Cecil;
using Mono.Cecil.Cil;
using UploadKit.Testing;

namespace UploadKit.Tests.Architecture;

/// <summary>
/// The types of UploadKit.Core, the folder each one is declared in, and every type each one references, read from the
/// compiled assembly (signatures, attributes and method bodies, compiler-generated closures and state machines included)
/// and from the declarations in the source.
/// </summary>
internal sealed partial class CoreTypeGraph
{
    /// <summary>The name used for files directly in the project folder.</summary>
    public const string RootFolder = "(root)";

    /// <summary>Names the edge part of a type split between a folder and the edge.</summary>
    public const string EdgePartSuffix = " (edge part)";

    private CoreTypeGraph(
        IReadOnlyDictionary<string, string> folders,
        IReadOnlyDictionary<string, IReadOnlySet<string>> coreReferences,
        IReadOnlyDictionary<string, IReadOnlySet<string>> externalReferences,
        IReadOnlyList<string> problems)
    {
        Folders = folders;
        CoreReferences = coreReferences;
        ExternalReferences = externalReferences;
        Problems = problems;
    }

    /// <summary>Core type (full name of the outermost type) to the folder that declares it.</summary>
    public IReadOnlyDictionary<string, string> Folders { get; }

    /// <summary>Core type to the other Core types it references.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> CoreReferences { get; }

    /// <summary>Core type to the types of other assemblies it references.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> ExternalReferences { get; }

    /// <summary>Types that could not be placed in exactly one folder.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>Folder to folder edges, each with the type references that make it.</summary>
    public IReadOnlyDictionary<(string From, string To), IReadOnlyList<string>> FolderEdges()
    {
        var edges = new Dictionary<(string, string), List<string>>();
        foreach (var (type, references) in CoreReferences)
        {
            var from = Folders[type];
            foreach (var reference in references)
            {
                var to = Folders[reference];
                if (from == to)
                {
                    continue;
                }

                if (!edges.TryGetValue((from, to), out var list))
                {
                    edges[(from, to)] = list = [];
                }

                list.Add($"{type} -> {reference}");
            }
        }

        return edges.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value.Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// Loads the graph of the given Core assembly (its PDB beside it), whose sources are in
    /// <paramref name="sourceFolder"/>; <paramref name="edgeFolder"/> is the folder of the ASP.NET Core edge.
    /// </summary>
    public static CoreTypeGraph Load(string assemblyPath, string sourceFolder, string edgeFolder)
    {
        var declarations = ReadDeclarations(sourceFolder);
        using var module = ModuleDefinition.ReadModule(assemblyPath, new ReaderParameters { ReadSymbols = true });
        var folders = new Dictionary<string, string>(StringComparer.Ordinal);
        var problems = new List<string>();
        var core = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        var external = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);

        foreach (var type in module.Types)
        {
            if (IsGenerated(type))
            {
                continue;
            }

            var simpleName = StripArity(type.Name);
            if (!declarations.TryGetValue(simpleName, out var declaredIn) || declaredIn.Count == 0)
            {
                problems.Add($"{type.FullName}: no declaration found under {sourceFolder}");
                continue;
            }

            // A type may keep its ASP.NET Core binding hook in a partial file at the edge (minimal APIs find BindAsync
            // on the parameter's type): that part counts as an edge node of its own, named "Type (edge part)".
            var split = declaredIn.Count == 2 && declaredIn.Contains(edgeFolder);
            if (declaredIn.Count > 1 && !split)
            {
                problems.Add($"{type.FullName}: declared in more than one folder ({string.Join(", ", declaredIn)})");
                continue;
            }

            folders[type.FullName] = declaredIn.Single(f => !split || f != edgeFolder);
            var collector = new ReferenceCollector(module, split ? edgeFolder : null);
            collector.AddType(type, edgeWhole: false);
            core[type.FullName] = collector.Core;
            external[type.FullName] = collector.External;
            if (split)
            {
                var edgePart = type.FullName + EdgePartSuffix;
                folders[edgePart] = edgeFolder;
                core[edgePart] = collector.EdgeCore;
                external[edgePart] = collector.EdgeExternal;
            }
        }

        foreach (var (type, references) in core)
        {
            var self = type.EndsWith(EdgePartSuffix, StringComparison.Ordinal) ? type[..^EdgePartSuffix.Length] : type;
            ((HashSet<string>)references).RemoveWhere(r => r == self || r == type || !folders.ContainsKey(r));
        }

        return new CoreTypeGraph(folders, core, external, problems);
    }

    /// <summary>The folders that take part in a cycle, one list per strongly connected group (Tarjan).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> FindCycles(IEnumerable<(string From, string To)> edges)
    {
        var graph = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (from, to) in edges)
        {
            (graph.TryGetValue(from, out var next) ? next : graph[from] = []).Add(to);
            graph.TryAdd(to, []);
        }

        var index = 0;
        var indices = new Dictionary<string, int>();
        var lowLinks = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var groups = new List<IReadOnlyList<string>>();

        void Visit(string node)
        {
            indices[node] = lowLinks[node] = index++;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in graph[node])
            {
                if (!indices.ContainsKey(next))
                {
                    Visit(next);
                    lowLinks[node] = Math.Min(lowLinks[node], lowLinks[next]);
                }
                else if (onStack.Contains(next))
                {
                    lowLinks[node] = Math.Min(lowLinks[node], indices[next]);
                }
            }

            if (lowLinks[node] == indices[node])
            {
                var group = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    group.Add(member);
                }
                while (member != node);

                if (group.Count > 1)
                {
                    groups.Add(group.Order(StringComparer.Ordinal).ToList());
                }
            }
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (!indices.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return groups;
    }

    /// <summary>The folder of the Core project's sources.</summary>
    public static string CoreSourceFolder => Path.Combine(TestEnvironment.RepositoryRoot, "src", "UploadKit.Core");

    private static bool IsGenerated(TypeDefinition type) =>
        type.Name.StartsWith('<')
        || type.Namespace.StartsWith("System", StringComparison.Ordinal)
        || type.Namespace.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal)
        || type.CustomAttributes.Any(a => a.AttributeType.Name == "CompilerGeneratedAttribute");

    private static string StripArity(string name)
    {
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    private static Dictionary<string, HashSet<string>> ReadDeclarations(string sourceFolder)
    {
        var declarations = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(sourceFolder, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(sourceFolder, file);
            var segments = relative.Split(Path.DirectorySeparatorChar);
            if (segments[0] is "bin" or "obj")
            {
                continue;
            }

            var folder = segments.Length == 1 ? RootFolder : segments[0];
            var code = CommentsAndStrings().Replace(File.ReadAllText(file), " ");
            var depth = 0;
            var position = 0;
            foreach (System.Text.RegularExpressions.Match match in Declaration().Matches(code))
            {
                // Only outermost types: count braces up to the declaration.
                for (; position < match.Index; position++)
                {
                    depth += code[position] switch { '{' => 1, '}' => -1, _ => 0 };
                }

                if (depth > 0)
                {
                    continue;
                }

                var name = match.Groups["name"].Value;
                (declarations.TryGetValue(name, out var set) ? set : declarations[name] = []).Add(folder);
            }
        }

        return declarations;
    }

    [GeneratedRegex("""//[^\n]*|/\*.*?\*/|@"(?:[^"]|"")*"|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)'""", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    [GeneratedRegex(@"(?<![\w.])(?:(?:record\s+)?(?:class|struct)|interface|enum|record)\s+(?<name>[A-Za-z_]\w*)")]
    private static partial Regex Declaration();

    /// <summary>
    /// The folder of the source file a path names (a PDB document or a file under the project), or
    /// <see langword="null"/> for generated code.
    /// </summary>
    private static string? FolderOfDocument(string path)
    {
        const string project = "/src/UploadKit.Core/";
        path = path.Replace('\\', '/');
        var at = path.IndexOf(project, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var segments = path[(at + project.Length)..].Split('/');
        return segments.Length == 1 ? RootFolder : segments[0] is "obj" or "bin" ? null : segments[0];
    }

    /// <summary>
    /// Collects every type a type definition and its nested types reference. For a type split with the edge, what the
    /// code in edge files references (methods, and nested types such as closures and state machines made from them,
    /// and the ASP.NET Core interfaces that code implements) goes to the edge sets.
    /// </summary>
    private sealed class ReferenceCollector(ModuleDefinition module, string? edgeFolder)
    {
        private readonly HashSet<(TypeReference, bool)> _seen = [];
        private bool _edge;

        public HashSet<string> Core { get; } = new(StringComparer.Ordinal);

        public HashSet<string> External { get; } = new(StringComparer.Ordinal);

        public HashSet<string> EdgeCore { get; } = new(StringComparer.Ordinal);

        public HashSet<string> EdgeExternal { get; } = new(StringComparer.Ordinal);

        public void AddType(TypeDefinition type, bool edgeWhole)
        {
            _edge = edgeWhole;
            Add(type.BaseType);
            foreach (var implemented in type.Interfaces)
            {
                _edge = edgeWhole ||
                    (edgeFolder is not null && implemented.InterfaceType.Namespace.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
                Add(implemented.InterfaceType);
            }

            _edge = edgeWhole;
            AddAttributes(type);
            AddGenericParameters(type);
            foreach (var field in type.Fields)
            {
                Add(field.FieldType);
                AddAttributes(field);
            }

            foreach (var property in type.Properties)
            {
                Add(property.PropertyType);
                AddAttributes(property);
            }

            foreach (var @event in type.Events)
            {
                Add(@event.EventType);
            }

            foreach (var method in type.Methods)
            {
                _edge = edgeWhole || IsEdgeCode(method);
                AddMethod(method);
            }

            foreach (var nested in type.NestedTypes)
            {
                var documented = nested.Methods.Where(m => m.DebugInformation.HasSequencePoints).ToList();
                AddType(nested, edgeWhole || (documented.Count > 0 && documented.All(IsEdgeCode)));
            }

            _edge = edgeWhole;
        }

        private bool IsEdgeCode(MethodDefinition method)
        {
            if (edgeFolder is null)
            {
                return false;
            }

            if (!method.DebugInformation.HasSequencePoints)
            {
                // An async or iterator method's own body is a stub without lines: its code is in the state machine.
                var machine = method.CustomAttributes
                    .FirstOrDefault(a => a.AttributeType.Name is "AsyncStateMachineAttribute" or "IteratorStateMachineAttribute" or
                        "AsyncIteratorStateMachineAttribute")
                    ?.ConstructorArguments[0].Value as TypeReference;
                var moveNext = machine?.Resolve()?.Methods.FirstOrDefault(m => m.Name == "MoveNext");
                return moveNext is not null && IsEdgeCode(moveNext);
            }

            return FolderOfDocument(method.DebugInformation.SequencePoints[0].Document.Url) == edgeFolder;
        }

        private void AddMethod(MethodDefinition method)
        {
            AddAttributes(method);
            AddGenericParameters(method);
            AddSignature(method);
            if (!method.HasBody)
            {
                return;
            }

            foreach (var variable in method.Body.Variables)
            {
                Add(variable.VariableType);
            }

            foreach (var handler in method.Body.ExceptionHandlers)
            {
                Add(handler.CatchType);
            }

            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference type:
                        Add(type);
                        break;
                    case MethodReference called:
                        Add(called.DeclaringType);
                        AddSignature(called);
                        if (called is GenericInstanceMethod generic)
                        {
                            foreach (var argument in generic.GenericArguments)
                            {
                                Add(argument);
                            }
                        }

                        break;
                    case FieldReference field:
                        Add(field.DeclaringType);
                        Add(field.FieldType);
                        break;
                    case CallSite site:
                        AddSignature(site);
                        break;
                }
            }
        }

        private void AddSignature(IMethodSignature method)
        {
            Add(method.ReturnType);
            foreach (var parameter in method.Parameters)
            {
                Add(parameter.ParameterType);
                if (parameter.HasCustomAttributes)
                {
                    AddAttributes(parameter);
                }
            }
        }

        private void AddGenericParameters(IGenericParameterProvider provider)
        {
            foreach (var parameter in provider.GenericParameters)
            {
                foreach (var constraint in parameter.Constraints)
                {
                    Add(constraint.ConstraintType);
                }
            }
        }

        private void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
                foreach (var argument in attribute.ConstructorArguments.Concat(attribute.Properties.Select(p => p.Argument)))
                {
                    if (argument.Value is TypeReference typeArgument)
                    {
                        Add(typeArgument);
                    }
                }
            }
        }

        private void Add(TypeReference? type)
        {
            if (type is null || !_seen.Add((type, _edge)))
            {
                return;
            }

            switch (type)
            {
                case GenericInstanceType generic:
                    Add(generic.ElementType);
                    foreach (var argument in generic.GenericArguments)
                    {
                        Add(argument);
                    }

                    return;
                case TypeSpecification specification:
                    Add(specification.ElementType);
                    return;
                case GenericParameter:
                    return;
            }

            var outermost = type;
            while (outermost.DeclaringType is not null)
            {
                outermost = outermost.DeclaringType;
            }

            var inCore = outermost is TypeDefinition definition ? definition.Module == module : outermost.Scope == module;
            (inCore ? (_edge ? EdgeCore : Core) : (_edge ? EdgeExternal : External)).Add(outermost.FullName);
        }
    }
}
