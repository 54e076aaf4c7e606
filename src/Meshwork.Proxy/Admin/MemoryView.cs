using System.Diagnostics;
using System.Globalization;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// Envoy's <c>/memory</c>: where the proxy's resident memory goes. Envoy reports tcmalloc's
/// counters; a .NET proxy's equivalents are the GC heap (in use, committed, fragmented), the
/// process's resident set split into file-backed pages (the binary's code and data) and anonymous
/// ones, and the threads whose stacks are part of it. The sidecar's memory target is judged by
/// these numbers, so they are read from the runtime and /proc, never estimated. The heap_* figures
/// are the GC's as of its last collection (zero before the first one); allocated is live now.
/// </summary>
internal static class MemoryView
{
    public static string Json() => JsonText.Write(w =>
    {
        var gc = GC.GetGCMemoryInfo();
        w.WriteStartObject();
        w.WriteString("allocated", Bytes(GC.GetTotalMemory(forceFullCollection: false)));
        w.WriteString("heap_size", Bytes(gc.HeapSizeBytes));
        w.WriteString("heap_committed", Bytes(gc.TotalCommittedBytes));
        w.WriteString("heap_fragmented", Bytes(gc.FragmentedBytes));
        w.WriteString("total_allocated", Bytes(GC.GetTotalAllocatedBytes()));
        w.WriteNumber("gc_count_gen0", GC.CollectionCount(0));
        w.WriteNumber("gc_count_gen1", GC.CollectionCount(1));
        w.WriteNumber("gc_count_gen2", GC.CollectionCount(2));
        using var process = Process.GetCurrentProcess();
        w.WriteNumber("threads", process.Threads.Count);
        w.WriteNumber("thread_pool_threads", ThreadPool.ThreadCount);
        foreach (var (name, kb) in StatusFields())
        {
            w.WriteString(name, Bytes(kb * 1024));
        }

        w.WriteEndObject();
    }, indented: true);

    /// <summary>VmRSS, VmHWM and the resident set by kind (RssAnon, RssFile) from /proc/self/status (Linux only).</summary>
    private static IEnumerable<(string Name, long Kb)> StatusFields()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            yield break;
        }

        foreach (var line in File.ReadLines(status))
        {
            var name = line switch
            {
                _ when line.StartsWith("VmRSS:", StringComparison.Ordinal) => "resident",
                _ when line.StartsWith("VmHWM:", StringComparison.Ordinal) => "resident_peak",
                _ when line.StartsWith("RssAnon:", StringComparison.Ordinal) => "resident_anonymous",
                _ when line.StartsWith("RssFile:", StringComparison.Ordinal) => "resident_file",
                _ => null,
            };
            if (name != null && long.TryParse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb))
            {
                yield return (name, kb);
            }
        }
    }

    /// <summary>Envoy prints its memory figures as decimal strings of bytes (uint64 in proto3 JSON).</summary>
    private static string Bytes(long bytes) => bytes.ToString(CultureInfo.InvariantCulture);
}
