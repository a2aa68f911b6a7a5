using UploadKit.Benchmarks;

// One executable, two processes: the client starts the server as a child process, so the client's own
// allocations and collections never show in the server's figures.
if (args.Length > 0 && args[0] == "server")
{
    return await BenchServer.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "cpu")
{
    return await CpuCost.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "memory")
{
    return await MemoryBurst.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "resumable")
{
    return await ResumableBench.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "s3")
{
    return await S3StreamingBench.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "scan")
{
    return await ScanThroughput.RunAsync(args[1..]);
}

return await BenchClient.RunAsync(args);
