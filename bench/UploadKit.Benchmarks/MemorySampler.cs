using System.Buffers.Text;
using Microsoft.Win32.SafeHandles;

namespace UploadKit.Benchmarks;

/// <summary>
/// Samples the process's working set (resident set) every 10 ms on its own thread and keeps the peak since
/// the last reset. It reads <c>/proc/self/statm</c> into a fixed buffer, so sampling allocates nothing and does
/// not pollute the allocation figures. Where the kernel allows it, the exact high-water mark (<c>VmHWM</c>)
/// is read too, reset through <c>/proc/self/clear_refs</c>.
/// </summary>
internal sealed class MemorySampler : IDisposable
{
    private readonly SafeFileHandle _statm;
    private readonly byte[] _statmBuffer = new byte[512];
    private readonly byte[] _statusBuffer = new byte[8192];
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;
    private readonly object _readLock = new();
    private long _peak;

    public MemorySampler()
    {
        _statm = File.OpenHandle("/proc/self/statm");
        _peak = Current();
        _thread = new Thread(Sample) { IsBackground = true, Name = "working-set sampler", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
        HighWaterMarkResettable = TryResetHighWaterMark();
    }

    /// <summary>Gets whether <see cref="HighWaterMark"/> can be reset, making it a per-request figure.</summary>
    public bool HighWaterMarkResettable { get; }

    public long Peak => Interlocked.Read(ref _peak);

    /// <summary>The resident set size now, in bytes.</summary>
    public long Current()
    {
        lock (_readLock)
        {
            var read = RandomAccess.Read(_statm, _statmBuffer, 0);
            // "size resident shared text lib data dt", in pages.
            var span = _statmBuffer.AsSpan(0, read);
            var space = span.IndexOf((byte)' ');
            span = span[(space + 1)..];
            Utf8Parser.TryParse(span, out long pages, out _);
            return pages * Environment.SystemPageSize;
        }
    }

    /// <summary>The kernel's peak resident set size since the last reset (VmHWM), in bytes, or -1.</summary>
    public long HighWaterMark()
    {
        try
        {
            using var status = File.OpenHandle("/proc/self/status");
            var read = RandomAccess.Read(status, _statusBuffer, 0);
            var span = _statusBuffer.AsSpan(0, read);
            var at = span.IndexOf("VmHWM:"u8);
            if (at < 0)
            {
                return -1;
            }

            span = span[(at + 6)..].TrimStart((byte)' ').TrimStart((byte)'\t').TrimStart((byte)' ');
            return Utf8Parser.TryParse(span, out long kib, out _) ? kib * 1024 : -1;
        }
        catch (IOException)
        {
            return -1;
        }
    }

    /// <summary>Starts a new peak from the working set now; returns that working set.</summary>
    public long ResetPeak()
    {
        if (HighWaterMarkResettable)
        {
            TryResetHighWaterMark();
        }

        var now = Current();
        Interlocked.Exchange(ref _peak, now);
        return now;
    }

    private static bool TryResetHighWaterMark()
    {
        try
        {
            // "5" resets the peak resident set size to the current one (proc(5), clear_refs).
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Sample()
    {
        while (!_stop.Wait(10))
        {
            var now = Current();
            var peak = Interlocked.Read(ref _peak);
            while (now > peak)
            {
                var seen = Interlocked.CompareExchange(ref _peak, now, peak);
                if (seen == peak)
                {
                    break;
                }

                peak = seen;
            }
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _statm.Dispose();
        _stop.Dispose();
    }
}
