using SharpFuzz;
using UploadKit.Fuzz;

// afl-fuzz runs this process once and feeds it inputs through SharpFuzz's fork-server loop. With a path instead,
// it replays the files of a folder (or one file) and prints each outcome: a crash found by afl-fuzz reproduces here.
if (args.Length > 0)
{
    var files = Directory.Exists(args[0]) ? Directory.GetFiles(args[0]).Order(StringComparer.Ordinal).ToArray() : [args[0]];
    foreach (var file in files)
    {
        var outcome = await FuzzTarget.RunAsync(await File.ReadAllBytesAsync(file));
        Console.WriteLine($"{outcome,-40} {Path.GetFileName(file)}");
    }

    return;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    FuzzTarget.RunAsync(copy.ToArray()).GetAwaiter().GetResult();
});
