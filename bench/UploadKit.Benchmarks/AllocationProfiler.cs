using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace UploadKit.Benchmarks;

/// <summary>
/// A diagnostic (<c>--alloc-profile</c>): listens to the runtime's GC allocation-tick events, each raised after about
/// 100 KB of allocations and naming the type of the object that crossed the mark, and sums them by type. A sample,
/// not a count, but enough to tell where the bytes of a large upload go. The listener allocates itself, so the
/// allocation figures of a run with it on are not comparable with those of a normal run.
/// </summary>
internal sealed class AllocationProfiler : EventListener
{
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    public void Reset() => _bytes.Clear();

    public IEnumerable<KeyValuePair<string, long>> Top(int count) =>
        _bytes.OrderByDescending(e => e.Value).Take(count);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true
            || eventData.Payload is null
            || eventData.PayloadNames is null)
        {
            return;
        }

        var type = "?";
        long amount = 0;
        for (var i = 0; i < eventData.PayloadNames.Count; i++)
        {
            switch (eventData.PayloadNames[i])
            {
                case "TypeName":
                    type = eventData.Payload[i] as string ?? "?";
                    break;
                case "AllocationAmount64":
                    amount = Convert.ToInt64(eventData.Payload[i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "AllocationAmount" when amount == 0:
                    amount = Convert.ToInt64(eventData.Payload[i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
            }
        }

        _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
    }
}
