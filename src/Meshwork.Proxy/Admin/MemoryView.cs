using System.Globalization;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// Envoy's <c>/memory</c>: where the proxy's resident memory goes. Envoy reports tcmalloc's
/// counters; a .NET proxy's equivalents are the GC heap (in use, committed, fragmented), the
/// process's resident set split into file-backed pages (the binary's code and data) and anonymous
/// ones, and the threads whose stacks are part of it. The sidecar's memory target is judged by
/// these numbers, so they are read from the runtime and /proc, never estimated. The heap_* figures
/// are the GC's as of its last collection (zero before the first one); allocated is live now.
/// Reading them must not itself grow the process much: the thread count comes from /proc, not from
/// <c>Process</c>, which would build an object per thread and page in its code.
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
        // Per generation after the last collection: what survives (gen2 holds start-up leftovers until
        // a full collection) and the large and pinned (socket buffer) heaps.
        w.WriteStartObject("heap_generations");
        var generations = gc.GenerationInfo;
        for (var i = 0; i < generations.Length && i < GenerationNames.Length; i++)
        {
            w.WriteStartObject(GenerationNames[i]);
            w.WriteString("size", Bytes(generations[i].SizeAfterBytes));
            w.WriteString("fragmented", Bytes(generations[i].FragmentationAfterBytes));
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteNumber("thread_pool_threads", ThreadPool.ThreadCount);
        foreach (var (name, value) in StatusFields())
        {
            if (name == "threads")
            {
                w.WriteNumber(name, value);
            }
            else
            {
                w.WriteString(name, Bytes(value * 1024));
            }
        }

        w.WriteEndObject();
    }, indented: true);

    private static readonly string[] GenerationNames = ["gen0", "gen1", "gen2", "large_object_heap", "pinned_object_heap"];

    /// <summary>
    /// VmRSS, VmHWM and the resident set by kind (RssAnon, RssFile) in KB, and the thread count, from
    /// /proc/self/status (Linux only).
    /// </summary>
    private static IEnumerable<(string Name, long Value)> StatusFields()
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
                _ when line.StartsWith("Threads:", StringComparison.Ordinal) => "threads",
                _ => null,
            };
            if (name != null && long.TryParse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                yield return (name, value);
            }
        }
    }

    /// <summary>Envoy prints its memory figures as decimal strings of bytes (uint64 in proto3 JSON).</summary>
    private static string Bytes(long bytes) => bytes.ToString(CultureInfo.InvariantCulture);
}
