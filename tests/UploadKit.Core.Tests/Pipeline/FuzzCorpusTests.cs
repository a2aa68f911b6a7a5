using UploadKit.Fuzz;

namespace UploadKit.Tests.Pipeline;

/// <summary>
/// Replays the committed fuzz corpus (fuzz/corpus: the seeds, every regression body, and what afl-fuzz found)
/// through the parser and handler chain, as fuzz/run.sh does: each input ends in a form or a 400/413 problem.
/// </summary>
public class FuzzCorpusTests
{
    private static readonly string CorpusDirectory = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus");

    private static IEnumerable<TestCaseData> Inputs() =>
        Directory.GetFiles(CorpusDirectory)
            .Order(StringComparer.Ordinal)
            .Select(path => new TestCaseData(Path.GetFileName(path)).SetArgDisplayNames(Path.GetFileName(path)));

    [Test]
    public void Corpus_HasTheRegressionSeeds() =>
        Assert.That(
            Directory.GetFiles(CorpusDirectory).Select(Path.GetFileName),
            Is.SupersetOf(new[] { "base64-file", "empty", "unnamed-files", "nested-mixed", "long-boundary" }));

    [TestCaseSource(nameof(Inputs))]
    public async Task RunAsync_CorpusInput_EndsInAFormOrA400Or413(string name)
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(CorpusDirectory, name));

        // FuzzTarget lets any other exception escape, which fails the test as it crashes the fuzzer.
        var outcome = await FuzzTarget.RunAsync(input);

        Assert.That(outcome, Does.Match("^(200|400|413) "));
    }
}
