using System.Globalization;

namespace UploadKit.Benchmarks;

/// <summary>Command-line options of the client.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        dotnet run -c Release --project bench/UploadKit.Benchmarks -- [options]
          --warm-up N             uploads of 4 MiB per variant before anything is measured, so that every path's code is
                                  fully compiled (tiered JIT) when the measured sizes start; 0 skips them (default 40)
          --runs N                measured runs per variant and size, after one warm-up round (default 5)
          --large-runs N          measured runs of a size of 512 MiB or more (default 3; at most --runs)
          --sizes 1k,1,10,100,1024
                                  file sizes: a number is MiB; a suffix k/KiB, m/MiB or g/GiB gives the unit (default
                                  1k,1,10,100,1024). A size under 1 MiB is the small workload: --small uploads per run
          --small N               uploads per run of a size under 1 MiB, one after the other on one kept-alive connection;
                                  adds the 1 KiB size when --sizes has no size under 1 MiB; 0 drops those sizes (default 1000)
          --batch MiB             a run of a size from 1 MiB up sends uploads one after the other until at least this many
                                  MiB, so that the server's processor time (10 ms clock ticks) is read over enough work
                                  (default 64)
          --concurrency N         simultaneous uploads in the concurrency rounds; 0 skips them (default 32)
          --concurrent-size MiB   size of each concurrent upload (default 10)
          --concurrent-runs N     measured concurrency rounds per variant, after one warm-up round (default 3)
          --concurrent-memory-runs N  concurrency rounds per variant on a fresh server, for its peak resident set
                                  (default 2; 0 skips)
          --memory-runs N         uploads of the largest size per variant on a fresh server, for the peak working set
                                  above the idle server, transport rows left out; 0 skips them (default 1)
          --variants a,b          only these variants (default all but the experiments); a transport row is named
                                  variant/settings, e.g. raw-file/nowait
          --no-peers              leave out the peers (busboy, go-multipart and their discard variants)
          --peers-dir PATH        the peers' folder, with install.sh (default bench/peers in the repository)
          --transports a,b        also run --transport-variants on a .NET server with these Kestrel socket transport
                                  settings, each flags joined by '+': nowait, inline, ioqueue=N, maxread=KiB, nospin
                                  (default nowait); "none" for none
          --transport-variants a,b  the variants run with --transports (default raw-file,multipartreader-4k,
                                  uploadkit-file,uploadkit-save)
          --transport-sizes 256,1024  sizes the transport rows run at (default 256,1024; same units as --sizes)
          --idle-connections N    memory of N idle kept-alive connections, on a fresh server of each kind (default
                                  1000; 0 skips)
          --s3-runs N             rounds of the S3 comparison, after the idle connections: a file streamed through an app
                                  into S3Storage (StorageStreamingHandler) against the AWS SDK's TransferUtility straight
                                  to s3rver, interleaved; needs node and `npm ci` in the repository, else reported as not
                                  measured; 0 skips (default 5)
          --s3-size MiB           the S3 comparison's file size (default 256)
          --collect               force a full collection in the server before each run (default off: ArrayPool.Shared
                                  trims its arrays on full collections, which a server under steady load seldom sees)
          --alloc-profile         diagnostic: log the server's allocations by type (sampled) after each run; the
                                  allocation figures of such a run include the listener's own
          --gc server|workstation the server's GC (default server, as an ASP.NET Core app)
          --data-dir PATH         where the server stores files (default: a new folder in the system temp folder)
          --out PATH              the report (default bench/RESULTS.md in the repository)
        """;

    public int WarmUpUploads { get; private set; } = 40;

    public int Runs { get; private set; } = 5;

    public int LargeRuns { get; private set; } = 3;

    public IReadOnlyList<double> SizesMiB { get; private set; } = [1.0 / 1024, 1, 10, 256, 1024];

    public int SmallCount { get; private set; } = 1000;

    public double BatchMiB { get; private set; } = 64;

    public int Concurrency { get; private set; } = 32;

    public bool Peers { get; private set; } = true;

    public string PeersDirectory { get; private set; } = "";

    public IReadOnlyList<string> Transports { get; private set; } = ["nowait"];

    public IReadOnlyList<string> TransportVariants { get; private set; } = Variant.TransportCandidates;

    public IReadOnlyList<double> TransportSizesMiB { get; private set; } = [256, 1024];

    public int IdleConnections { get; private set; } = 1000;

    public int S3Runs { get; private set; } = 5;

    public int S3SizeMiB { get; private set; } = 256;

    public double ConcurrentSizeMiB { get; private set; } = 10;

    public int ConcurrentRuns { get; private set; } = 3;

    public int MemoryRuns { get; private set; } = 1;

    public int ConcurrentMemoryRuns { get; private set; } = 2;

    public HashSet<string>? Variants { get; private set; }

    public bool Collect { get; private set; }

    public bool AllocationProfile { get; private set; }

    public bool ServerGc { get; private set; } = true;

    public string DataDirectory { get; private set; } = Path.Combine(
        Path.GetTempPath(), "uploadkit-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    public string RepositoryRoot { get; private set; } = FindRepositoryRoot();

    public string OutputPath { get; private set; } = "";

    public bool Help { get; private set; }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        var small = false;
        options.OutputPath = Path.Combine(options.RepositoryRoot, "bench", "RESULTS.md");
        options.PeersDirectory = Path.Combine(options.RepositoryRoot, "bench", "peers");
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--warm-up":
                    options.WarmUpUploads = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--runs":
                    options.Runs = PositiveInt(Value());
                    break;
                case "--large-runs":
                    options.LargeRuns = PositiveInt(Value());
                    break;
                case "--sizes":
                    options.SizesMiB = Value().Split(',').Select(ParseSize).ToList();
                    break;
                case "--small":
                    options.SmallCount = int.Parse(Value(), CultureInfo.InvariantCulture);
                    small = true;
                    break;
                case "--batch":
                    options.BatchMiB = PositiveDouble(Value());
                    break;
                case "--concurrency":
                    options.Concurrency = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--concurrent-size":
                    options.ConcurrentSizeMiB = PositiveDouble(Value());
                    break;
                case "--concurrent-runs":
                    options.ConcurrentRuns = PositiveInt(Value());
                    break;
                case "--concurrent-memory-runs":
                    options.ConcurrentMemoryRuns = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--memory-runs":
                    options.MemoryRuns = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--variants":
                    options.Variants = [.. Value().Split(',')];
                    break;
                case "--no-peers":
                    options.Peers = false;
                    break;
                case "--peers-dir":
                    options.PeersDirectory = Path.GetFullPath(Value());
                    break;
                case "--transports":
                    var transports = Value();
                    options.Transports = transports == "none"
                        ? []
                        : [.. transports.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(TransportSettings.Validate)];
                    break;
                case "--transport-variants":
                    options.TransportVariants = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries)];
                    break;
                case "--transport-sizes":
                    options.TransportSizesMiB = [.. Value().Split(',').Select(ParseSize)];
                    break;
                case "--idle-connections":
                    options.IdleConnections = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--s3-runs":
                    options.S3Runs = int.TryParse(Value(), CultureInfo.InvariantCulture, out var s3Runs) && s3Runs >= 0
                        ? s3Runs
                        : throw new ArgumentException($"--s3-runs takes a whole number from 0, not '{args[i]}'.");
                    break;
                case "--s3-size":
                    options.S3SizeMiB = PositiveInt(Value());
                    break;
                case "--collect":
                    options.Collect = true;
                    break;
                case "--alloc-profile":
                    options.AllocationProfile = true;
                    break;
                case "--gc":
                    options.ServerGc = Value() switch
                    {
                        "server" => true,
                        "workstation" => false,
                        var other => throw new ArgumentException($"--gc is server or workstation, not '{other}'."),
                    };
                    break;
                case "--data-dir":
                    options.DataDirectory = Path.GetFullPath(Value());
                    break;
                case "--out":
                    options.OutputPath = Path.GetFullPath(Value());
                    break;
                case "-h" or "--help":
                    options.Help = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'.");
            }
        }

        if (options.SmallCount <= 0)
        {
            options.SizesMiB = [.. options.SizesMiB.Where(s => s >= 1)];
        }
        else if (small && options.SizesMiB.All(s => s >= 1))
        {
            options.SizesMiB = [1.0 / 1024, .. options.SizesMiB];
        }

        if (options.SizesMiB.Count == 0)
        {
            throw new ArgumentException("No size left to measure.");
        }

        var everything = new BenchOptions { Transports = options.Transports, TransportVariants = options.TransportVariants, Variants = null };
        var names = Variant.Select(everything)
            .Concat(Variant.All)
            .Select(v => v.Name)
            .ToHashSet();
        var unknown = (options.Variants ?? []).Concat(options.TransportVariants).Where(n => !names.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException("Unknown variants: " + string.Join(", ", unknown));
        }

        return options;
    }

    /// <summary>Measured runs of a size: fewer of the largest, which take the longest.</summary>
    public int RunsOf(double sizeMiB) => sizeMiB >= 512 ? Math.Min(LargeRuns, Runs) : Runs;

    /// <summary>Uploads per measured run of a size: the small workload's count, or enough for <see cref="BatchMiB"/>.</summary>
    public int UploadsPerRun(double sizeMiB) => sizeMiB < 1 ? SmallCount : Math.Max(1, (int)Math.Ceiling(BatchMiB / sizeMiB));

    /// <summary>A size in MiB: a number of MiB, or a number with a unit (k, KiB, m, MiB, g, GiB; any case).</summary>
    private static double ParseSize(string text)
    {
        var trimmed = text.Trim();
        var digits = trimmed.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        var factor = trimmed[digits..].ToUpperInvariant() switch
        {
            "" or "M" or "MB" or "MIB" => 1.0,
            "K" or "KB" or "KIB" => 1.0 / 1024,
            "G" or "GB" or "GIB" => 1024.0,
            var other => throw new ArgumentException($"'{text}': the unit '{other}' is not k, KiB, m, MiB, g or GiB."),
        };
        return PositiveDouble(trimmed[..digits]) * factor;
    }

    private static int PositiveInt(string text) =>
        int.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"'{text}' is not a positive number.");

    private static double PositiveDouble(string text) =>
        double.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"'{text}' is not a positive number.");

    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "UploadKit.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        return Environment.CurrentDirectory;
    }
}
