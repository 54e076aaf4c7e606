using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Meshwork.Bench.ControlPlane;

// cp-bench: Meshwork's control-plane benchmark (issue 5). Usually started by bench/controlplane/run,
// which builds meshd and this program in Release and passes these options:
//   --meshd PATH/meshd.dll  --n "100 1000 2000"  --s "100 1000"  --repeat 3
//   --work DIR (temp configs and logs)  --pid-file PATH (meshd's PID, for the wrapper's cleanup)
//   --doc PATH|-  (docs/benchmarks.md: its "Control plane" section is replaced, the rest kept)
//   --streams-per-channel 1  --sync-timeout S  --change-timeout S
//   --memory-cgroup DIR  (meshd runs in this cgroup v1 memory directory, made by the wrapper with a limit)
var options = Args.Parse(args);
var meshdDll = options.Get("meshd") ?? throw new ArgumentException("--meshd PATH/meshd.dll is required");
var ns = Args.Ints(options.Get("n") ?? "100 1000 2000");
var ss = Args.Ints(options.Get("s") ?? "100 1000");
var work = options.Get("work") ?? Directory.CreateTempSubdirectory("meshwork-cp-bench-").FullName;
var doc = options.Get("doc") ?? "-";
var settings = new BenchSettings(
    Path.GetFullPath(meshdDll),
    work,
    options.Get("pid-file"),
    int.Parse(options.Get("repeat") ?? "3", CultureInfo.InvariantCulture),
    int.Parse(options.Get("streams-per-channel") ?? "1", CultureInfo.InvariantCulture),
    options.Get("sync-timeout") is { } st ? TimeSpan.FromSeconds(double.Parse(st, CultureInfo.InvariantCulture)) : null,
    options.Get("change-timeout") is { } ct ? TimeSpan.FromSeconds(double.Parse(ct, CultureInfo.InvariantCulture)) : null,
    options.Get("memory-cgroup"));

static void Log(string message) => Console.Error.WriteLine($"[cp-bench {DateTime.Now:HH:mm:ss}] {message}");

// Ctrl-C / SIGTERM: cancel; the running cell stops its proxies and ends meshd (by PID) on its way out.
using var cts = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });

var machine = Machine.Describe();
var started = DateTime.UtcNow;
Log($"machine: {machine.Text}; cells: N = {string.Join(", ", ns)} × S = {string.Join(", ", ss)}, {settings.Repeat} change(s) of each kind");
var results = new List<CellResult>();
try
{
    foreach (var s in ss)
    {
        foreach (var n in ns)
        {
            cts.Token.ThrowIfCancellationRequested();
            results.Add(await new Cell(settings, n, s, Log).RunAsync(cts.Token));
        }
    }
}
catch (OperationCanceledException)
{
    Log("interrupted; meshd was stopped");
    return 130;
}

var loadEnd = File.ReadAllText("/proc/loadavg").Split(' ')[..3];
var report = Report.Build(results, machine, started, string.Join(" ", loadEnd), settings);
Console.WriteLine(report.Table);
if (doc != "-")
{
    Report.WriteSection(doc, report.Section);
    Log($"wrote the \"Control plane\" section of {doc}");
}

return results.Any(r => r.Error != null) ? 1 : 0;

internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Args Parse(string[] args)
    {
        var parsed = new Args();
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument \"{args[i]}\" (options are --name value)");
            }

            parsed._values[args[i][2..]] = args[++i];
        }

        return parsed;
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public static int[] Ints(string text) => text.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
}

internal sealed record Machine(string Text, string LoadAtStart, string Runtime)
{
    public static Machine Describe()
    {
        var model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var load = string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]);
        var text = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} CPUs ({model}), {double.Parse(memKb, CultureInfo.InvariantCulture) / 1024 / 1024:0.0} GiB RAM, Linux {kernel}");
        return new Machine(text, load, RuntimeInformation.FrameworkDescription);
    }
}

internal static class Report
{
    public const string Heading = "# Control plane";

    public static (string Table, string Section) Build(List<CellResult> results, Machine machine, DateTime started, string loadEnd, BenchSettings settings)
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new StringBuilder();
        table.AppendLine("| proxies N | services S | all synced in | config per proxy | meshd RSS idle → synced (HWM) | managed heap idle → synced | RSS per proxy | CPU per proxy (connect + sync) | VirtualService weights → RDS ACK: p50 / p99 / max, received | WorkloadEntry added → EDS ACK | sidecar joined → EDS ACK | meshd CPU s per change (VS / WE / join) | stream errors |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            var perProxyRss = (r.Synced.RssMb - r.Idle.RssMb) * 1024 / r.Proxies;
            var perProxyCpu = (r.Synced.CpuSeconds - r.Idle.CpuSeconds) * 1000 / r.Proxies;
            var synced = r.SyncedProxies == r.Proxies ? $"{r.SyncSeconds:0.0} s" : $"{r.SyncedProxies}/{r.Proxies} in {r.SyncSeconds:0} s";
            table.AppendLine(string.Create(inv, $"| {r.Proxies:N0} | {r.Services:N0} | {synced} | {r.ConfigKbPerProxy:N0} KB | {r.Idle.RssMb:0} → {r.Synced.RssMb:0} MB ({r.Synced.HwmMb:0}) | {r.IdleHeapMb:0} → {r.HeapMb:0} MB | {perProxyRss:0} KB | {perProxyCpu:0.0} ms | {Change(r, Kinds.VirtualService)} | {Change(r, Kinds.WorkloadEntry)} | {Change(r, Kinds.ProxyJoined)} | {Cpu(r, Kinds.VirtualService)} / {Cpu(r, Kinds.WorkloadEntry)} / {Cpu(r, Kinds.ProxyJoined)} | {r.StreamErrors} |"));
        }

        var failures = results.Where(r => r.Error != null).Select(r => $"- N={r.Proxies} S={r.Services}: **failed**: {r.Error}").ToList();
        var section = new StringBuilder();
        section.AppendLine(Heading);
        section.AppendLine();
        section.AppendLine("Written by `bench/controlplane/run` (method: ../shared/PERFORMANCE.md, \"Control plane\"). Simulated sidecars on delta ADS");
        section.AppendLine("against one Release meshd on the same machine; each run replaces this section only.");
        section.AppendLine();
        var small = results.All(r => r.Proxies < 1000 && r.Services < 1000);
        if (small)
        {
            section.AppendLine("> **Smoke run** (small sizes only): these numbers show that the benchmark works; they are not the scale measurement.");
            section.AppendLine();
        }

        section.AppendLine(string.Create(inv, $"- Date: {started:yyyy-MM-dd HH:mm} UTC"));
        section.AppendLine($"- Machine: {machine.Text}; load average at start {machine.LoadAtStart}, at end {loadEnd}");
        section.AppendLine($"- meshd: Release, `dotnet meshd.dll --secure-address off`, {machine.Runtime}, {GcMode(settings.MeshdDll)}; the simulated proxies run in one other process on the same cores");
        if (settings.MemoryCgroup is { } cgroup)
        {
            var limit = long.Parse(File.ReadAllText(Path.Combine(cgroup, "memory.limit_in_bytes")).Trim(), CultureInfo.InvariantCulture);
            section.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- meshd ran in a memory cgroup limited to {limit / 1048576} MB, as a container with that memory limit does: the runtime sizes its heap from the limit (75% of it by default) and the kernel ends meshd if it goes over"));
        }
        section.AppendLine($"- Changes: {settings.Repeat} of each kind per cell after one warm-up change (listed under \"Every change\", left out of the summary); percentiles are over every proxy's ACK of every measured change; \"received\" is the fewest proxies that ACKed one change");
        section.AppendLine();
        section.AppendLine("## Results");
        section.AppendLine();
        section.Append(table);
        section.AppendLine();
        section.AppendLine("## Targets");
        section.AppendLine();
        section.AppendLine("| target | measured | |");
        section.AppendLine("|---|---|---|");
        var target = results.FirstOrDefault(r => r.Proxies == 1000 && r.Services == 1000);
        if (target == null || target.Error != null && target.Changes.Count == 0)
        {
            var why = target == null ? "not measured in this run" : $"run failed: {target.Error}";
            section.AppendLine($"| 1000 proxies × 1000 services: VirtualService change ACKed by all, p99 ≤ 1 s | {why} | — |");
            section.AppendLine($"| meshd RSS ≤ 1 GB at 1000 × 1000 | {why} | — |");
        }
        else
        {
            var vs = target.Changes.Where(c => c.Kind == Kinds.VirtualService && !c.Warmup).ToList();
            var all = vs.SelectMany(c => c.Ms).Order().ToArray();
            var received = vs.Count > 0 && vs.All(c => c.Received == c.Proxies);
            var p99 = Stats.Percentile(all, 99);
            var met = received && p99 <= 1000;
            section.AppendLine(string.Create(inv, $"| 1000 proxies × 1000 services: VirtualService change ACKed by all, p99 ≤ 1 s | p99 {p99:0} ms, received by all in {vs.Count(c => c.Received == c.Proxies)}/{vs.Count} changes | {(met ? "met" : "NOT met")} |"));
            var rss = Math.Max(target.Synced.RssMb, target.End.RssMb);
            section.AppendLine(string.Create(inv, $"| meshd RSS ≤ 1 GB at 1000 × 1000 | {rss:0} MB (HWM {Math.Max(target.Synced.HwmMb, target.End.HwmMb):0} MB) | {(rss <= 1024 ? "met" : "NOT met")} |"));
        }

        section.AppendLine();
        section.AppendLine("## Every change");
        section.AppendLine();
        section.AppendLine("| N | S | change | # | received | p50 ms | p99 ms | max ms | meshd CPU s | simulated proxies CPU s |");
        section.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            foreach (var c in r.Changes)
            {
                section.AppendLine(string.Create(inv, $"| {r.Proxies} | {r.Services} | {c.Kind} | {(c.Warmup ? "warm-up" : c.Repeat.ToString(inv))} | {c.Received}/{c.Proxies} | {Stats.Percentile(c.Ms, 50):0} | {Stats.Percentile(c.Ms, 99):0} | {(c.Ms.Length > 0 ? c.Ms[^1] : double.NaN):0} | {c.CpuSeconds:0.00} | {c.ClientCpuSeconds:0.00} |"));
            }
        }

        section.AppendLine();
        section.AppendLine("## Notes");
        section.AppendLine();
        section.AppendLine("- Mesh: S ServiceEntries (MESH_INTERNAL, STATIC, port 9080 HTTP, workloadSelector app=svc-i), a DestinationRule with subsets v1/v2/v3,");
        section.AppendLine("  connection pool and outlier detection per service, and for every second service a VirtualService like Bookinfo's reviews");
        section.AppendLine("  (end-user: jason → v2, else v1/v3 by weight, timeout, retries); one YAML file per service and per VirtualService.");
        section.AppendLine("- Proxies: N delta-ADS streams, each on its own gRPC channel (HTTP/2 connection) as each Envoy has its own, each an Istio sidecar node");
        section.AppendLine("  (`sidecar~127.20.x.y~svc-i-v1-k.bench~...`, metadata NAMESPACE, LABELS app=svc-(k mod S) version=v1, SERVICE_ACCOUNT,");
        section.AppendLine("  INSTANCE_IPS, WORKLOAD_NAME, POD_PORTS) so each registers as a workload of its service. Each subscribes to wildcard CDS and LDS,");
        section.AppendLine("  then to the EDS and RDS names those reference, and ACKs every response (nonce, no error) as Envoy does. All connect at once.");
        section.AppendLine("  A stream that fails (say, an HTTP/2 handshake not completed while thousands connect) is opened again after a jittered");
        section.AppendLine("  backoff from 0.5 s, as Envoy retries, and that proxy syncs afresh; \"stream errors\" counts those failures.");
        section.AppendLine("- Synced in: from the first connection to the last response before 2 s without any (every proxy holding every resource it subscribed).");
        section.AppendLine("  RSS per proxy and CPU per proxy: meshd's (VmRSS after sync − VmRSS idle) / N and (utime+stime after sync − idle) / N.");
        section.AppendLine("- Config per proxy: the serialized resources one proxy received until synced (all four types). Managed heap: meshd's");
        section.AppendLine("  `dotnet_total_memory_bytes` from /metrics, idle and after sync (RSS grows more than the heap: server GC keeps committed memory).");
        section.AppendLine("- VirtualService change: svc-0's file is rewritten (rename) with a new v1/v3 weight; each proxy's time is from just before the write");
        section.AppendLine("  to its ACK of the RDS response holding the new weight (meshd's file-watch debounce and push debounce of 100 ms each included).");
        section.AppendLine("  WorkloadEntry added: a new file with a VM's WorkloadEntry for one service (a config change); sidecar joined: one more simulated sidecar");
        section.AppendLine("  of a service connects and registers (a registry change, meshd's incremental EDS path; timed from its stream's start). Both: the time");
        section.AppendLine("  to each of the N proxies' ACK of that service's EDS update holding the new address.");
        section.AppendLine("- The load generator shares the machine's cores with meshd, and the machine is shared: absolute times include that contention.");
        if (failures.Count > 0)
        {
            section.AppendLine();
            section.AppendLine("## Failures");
            section.AppendLine();
            failures.ForEach(f => section.AppendLine(f));
        }

        return (table.ToString(), section.ToString());
    }

    private static string Change(CellResult r, string kind)
    {
        var changes = r.Changes.Where(c => c.Kind == kind && !c.Warmup).ToList();
        if (changes.Count == 0)
        {
            return "—";
        }

        var all = changes.SelectMany(c => c.Ms).Order().ToArray();
        var minReceived = changes.Min(c => c.Received);
        return all.Length == 0
            ? $"none received ({changes.Count} changes)"
            : string.Create(CultureInfo.InvariantCulture, $"{Stats.Percentile(all, 50):0} / {Stats.Percentile(all, 99):0} / {all[^1]:0} ms, {minReceived}/{r.Proxies}{(changes.Count > 1 ? " (fewest)" : string.Empty)}");
    }

    private static string Cpu(CellResult r, string kind)
    {
        var changes = r.Changes.Where(c => c.Kind == kind && !c.Warmup).ToList();
        return changes.Count == 0 ? "—" : changes.Average(c => c.CpuSeconds).ToString("0.00", CultureInfo.InvariantCulture);
    }

    private static string GcMode(string meshdDll)
    {
        var config = Path.ChangeExtension(meshdDll, ".runtimeconfig.json");
        try
        {
            var text = File.ReadAllText(config);
            var server = text.Contains("\"System.GC.Server\": true", StringComparison.Ordinal) ? "server GC" : "workstation GC";
            var concurrent = text.Contains("\"System.GC.Concurrent\": false", StringComparison.Ordinal) ? "non-concurrent" : "concurrent";
            return $"{server}, {concurrent} (runtimeconfig)";
        }
        catch (IOException)
        {
            return "GC mode unknown";
        }
    }

    /// <summary>Replaces the "# Control plane" section of the document (to the next top-level heading or the end), or appends it; the rest stays as it is.</summary>
    public static void WriteSection(string path, string section)
    {
        var lines = File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
        var start = lines.FindIndex(l => l.TrimEnd() == Heading);
        var replacement = section.TrimEnd('\n').Split('\n');
        if (start < 0)
        {
            while (lines.Count > 0 && lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            if (lines.Count > 0)
            {
                lines.Add(string.Empty);
            }

            lines.AddRange(replacement);
        }
        else
        {
            var end = lines.FindIndex(start + 1, l => l.StartsWith("# ", StringComparison.Ordinal));
            var count = (end < 0 ? lines.Count : end) - start;
            lines.RemoveRange(start, count);
            var insert = replacement.ToList();
            if (end >= 0)
            {
                insert.Add(string.Empty);
            }

            lines.InsertRange(start, insert);
        }

        File.WriteAllText(path, string.Join("\n", lines) + "\n");
    }
}
