using System.Diagnostics;
using System.Globalization;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Grpc.Net.Client;

namespace Meshwork.Bench.ControlPlane;

/// <summary>One change's propagation: per proxy, milliseconds from the file write to its ACK of the response carrying it.</summary>
public sealed record ChangeResult(string Kind, int Repeat, int Received, int Proxies, double[] Ms, double CpuSeconds, double ClientCpuSeconds)
{
    /// <summary>The first change of each kind warms meshd's code paths up (JIT); it is listed but left out of the summary.</summary>
    public bool Warmup => Repeat == 0;
}

/// <summary>What one (N proxies, S services) run measured.</summary>
public sealed record CellResult(int Proxies, int Services)
{
    public string? Error { get; set; }
    public double SyncSeconds { get; set; }
    public int SyncedProxies { get; set; }
    public ProcSample Idle { get; set; }
    public ProcSample Synced { get; set; }
    public ProcSample End { get; set; }
    public (int Clusters, int Listeners, int Endpoints, int Routes) HeldPerProxy { get; set; }
    /// <summary>Serialized config one proxy received to sync (proxy 0).</summary>
    public double ConfigKbPerProxy { get; set; }
    /// <summary>meshd's managed heap after sync (prometheus-net's dotnet_total_memory_bytes), MB; NaN when unavailable.</summary>
    public double HeapMb { get; set; } = double.NaN;
    public double IdleHeapMb { get; set; } = double.NaN;
    public long StreamErrors { get; set; }
    public string? FirstStreamError { get; set; }
    public List<ChangeResult> Changes { get; } = [];
}

public sealed record BenchSettings(string MeshdDll, string WorkDir, string? PidFile, int Repeat, int StreamsPerChannel, TimeSpan? SyncTimeout, TimeSpan? ChangeTimeout, string? MemoryCgroup = null);

/// <summary>One cell: a fresh meshd with S services, N proxies connected and synced, then the changes.</summary>
public sealed class Cell(BenchSettings settings, int proxies, int services, Action<string> log)
{
    private readonly FleetState _fleet = new();
    private readonly List<SimulatedProxy> _proxies = [];
    private readonly List<Task> _streams = [];
    private readonly List<GrpcChannel> _channels = [];

    public async Task<CellResult> RunAsync(CancellationToken cancellationToken)
    {
        var result = new CellResult(proxies, services);
        var dir = Path.Combine(settings.WorkDir, $"n{proxies}-s{services}");
        var configDir = Path.Combine(dir, "config");
        var caDir = Path.Combine(dir, "ca");
        Directory.CreateDirectory(caDir);
        MeshConfig.Write(configDir, services);
        log($"N={proxies} S={services}: {Directory.GetFiles(configDir).Length} config files in {configDir}; starting meshd");
        using var meshd = MeshdRunner.Start(settings.MeshdDll, configDir, caDir, Path.Combine(dir, "meshd.log"), settings.PidFile, settings.MemoryCgroup);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await meshd.WaitReadyAsync(TimeSpan.FromSeconds(120)).ConfigureAwait(false);
            await Task.Delay(2000, cancellationToken).ConfigureAwait(false);
            result.Idle = meshd.Sample();
            result.IdleHeapMb = await meshd.ManagedHeapMbAsync().ConfigureAwait(false);
            log($"  meshd ready (PID {meshd.Pid}): RSS {result.Idle.RssMb:0} MB idle; connecting {proxies} proxies over {(proxies + settings.StreamsPerChannel - 1) / settings.StreamsPerChannel} channels");

            var syncStart = Stopwatch.GetTimestamp();
            Connect(meshd.XdsPort, stop.Token);
            var syncTimeout = settings.SyncTimeout ?? TimeSpan.FromSeconds(Math.Max(120, proxies * (double)services / 5000));
            var (synced, lastResponse) = await WaitSyncedAsync(meshd, syncStart, syncTimeout, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            result.SyncedProxies = synced;
            result.SyncSeconds = Stopwatch.GetElapsedTime(syncStart, lastResponse).TotalSeconds;
            result.Synced = meshd.Sample();
            result.HeldPerProxy = _proxies[0].Held();
            result.ConfigKbPerProxy = _proxies[0].BytesReceived / 1024.0;
            result.HeapMb = await meshd.ManagedHeapMbAsync().ConfigureAwait(false);
            log($"  {synced}/{proxies} synced in {result.SyncSeconds:0.0} s (last response before 2 s quiet); meshd RSS {result.Synced.RssMb:0} MB, HWM {result.Synced.HwmMb:0} MB, CPU {result.Synced.CpuSeconds - result.Idle.CpuSeconds:0.0} s; proxy 0 holds {result.HeldPerProxy} ({result.ConfigKbPerProxy:0} KB); meshd managed heap {result.IdleHeapMb:0} → {result.HeapMb:0} MB");
            if (synced < proxies)
            {
                throw new InvalidOperationException($"only {synced} of {proxies} proxies synced within {syncTimeout.TotalSeconds:0} s");
            }

            var changeTimeout = settings.ChangeTimeout ?? TimeSpan.FromSeconds(Math.Max(30, proxies * (double)services / 50_000));
            var withProxies = Math.Min(services, proxies);
            for (var r = 0; r <= settings.Repeat; r++)
            {
                // A new v1 weight each time (85, 80, 75, ...): the RDS response that carries it is unmistakable.
                var weight = 85 - (5 * r % 80);
                var pattern = MeshConfig.WeightPattern(0, weight);
                var change = await MeasureAsync(meshd, Kinds.VirtualService, r, XdsTypes.Route, null, pattern,
                    () => WriteAtomically(Path.Combine(configDir, "vs-svc-0.yaml"), MeshConfig.VirtualService(0, weight)), changeTimeout, cancellationToken).ConfigureAwait(false);
                result.Changes.Add(change);
                log($"  RDS, VirtualService weights {(r == 0 ? "(warm-up)" : r.ToString(CultureInfo.InvariantCulture))}: {Summary(change)}");
            }

            for (var r = 0; r <= settings.Repeat; r++)
            {
                // One more endpoint from config: a VM's WorkloadEntry for a service that has proxies.
                var service = (1 + r) % withProxies;
                var address = string.Create(CultureInfo.InvariantCulture, $"10.200.{r / 250}.{(r % 250) + 1}");
                var change = await MeasureAsync(meshd, Kinds.WorkloadEntry, r, XdsTypes.Endpoint, MeshConfig.Cluster(service, ""), MeshConfig.AddressPattern(address),
                    () => WriteAtomically(Path.Combine(configDir, $"we-{r}.yaml"), MeshConfig.WorkloadEntry($"vm-{r}", address, service)), changeTimeout, cancellationToken).ConfigureAwait(false);
                result.Changes.Add(change);
                log($"  EDS, WorkloadEntry added {(r == 0 ? "(warm-up)" : r.ToString(CultureInfo.InvariantCulture))}: {Summary(change)}");
            }

            for (var r = 0; r <= settings.Repeat; r++)
            {
                // One more endpoint from the registry: another sidecar of a service connects and registers.
                var service = (2 + r) % withProxies;
                var ip = string.Create(CultureInfo.InvariantCulture, $"127.19.{r / 250}.{(r % 250) + 1}");
                var change = await MeasureAsync(meshd, Kinds.ProxyJoined, r, XdsTypes.Endpoint, MeshConfig.Cluster(service, ""), MeshConfig.AddressPattern(ip),
                    () => StartProxy(proxies + r, ip, service, meshd.XdsPort, stop.Token), changeTimeout, cancellationToken).ConfigureAwait(false);
                result.Changes.Add(change);
                log($"  EDS, sidecar joined {(r == 0 ? "(warm-up)" : r.ToString(CultureInfo.InvariantCulture))}: {Summary(change)}");
            }

            result.End = meshd.Sample();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            result.Error = meshd.HasExited ? $"meshd exited ({e.Message}); see {Path.Combine(dir, "meshd.log")}" : e.Message;
            log($"  FAILED: {result.Error}");
            if (!meshd.HasExited)
            {
                result.End = meshd.Sample();
            }
        }
        finally
        {
            result.StreamErrors = Interlocked.Read(ref _fleet.StreamErrors);
            result.FirstStreamError = _fleet.FirstError;
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAny(Task.WhenAll(_streams), Task.Delay(10_000)).ConfigureAwait(false);
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }
        }

        if (result.StreamErrors > 0)
        {
            log($"  {result.StreamErrors} stream(s) failed; first: {result.FirstStreamError}");
        }

        return result;
    }

    private void Connect(int xdsPort, CancellationToken cancellationToken)
    {
        CallInvoker? client = null;
        for (var i = 0; i < proxies; i++)
        {
            if (i % settings.StreamsPerChannel == 0)
            {
                // A channel is one HTTP/2 connection. Each Envoy has its own, so by default each
                // simulated proxy has its own too. Packing 100 streams on one connection flatters
                // meshd: its frame writer batches their frames into fewer sends (at 1000 × 1000 a
                // VirtualService change cost meshd 1.0-1.2 CPU s packed, 1.5-1.6 s one per proxy).
                // --streams-per-channel N (at most 100, Kestrel's limit) packs them, to compare
                // with runs made that way.
                var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{xdsPort}", new GrpcChannelOptions
                {
                    MaxReceiveMessageSize = null,
                    HttpHandler = EnvoyLikeHandler(),
                });
                _channels.Add(channel);
                client = channel.CreateCallInvoker();
            }

            var service = i % services;
            var ip = string.Create(CultureInfo.InvariantCulture, $"127.{20 + (i / 62500)}.{i / 250 % 250}.{(i % 250) + 1}");
            var node = Nodes.Sidecar(ip, $"svc-{service}-v1-{i}", MeshConfig.Namespace, $"svc-{service}", "v1", MeshConfig.Port);
            var proxy = new SimulatedProxy(i, node, _fleet);
            _proxies.Add(proxy);
            var c = client!;
            _streams.Add(Task.Run(() => proxy.RunAsync(c, cancellationToken), CancellationToken.None));
        }
    }

    /// <summary>
    /// HTTP/2 as Envoy's xds-grpc cluster has it: Envoy opens every stream with a 256 MiB window, so a
    /// large response is never held back waiting for WINDOW_UPDATEs; 16 MiB is the most this client
    /// allows, more than any response here.
    /// </summary>
    private static SocketsHttpHandler EnvoyLikeHandler() => new()
    {
        EnableMultipleHttp2Connections = true,
        KeepAlivePingDelay = TimeSpan.FromMinutes(5),
        InitialHttp2StreamWindowSize = 16 * 1024 * 1024,
    };

    /// <summary>A sidecar that joins later, on its own channel; it is not one of the N whose ACKs are measured.</summary>
    private void StartProxy(int index, string ip, int service, int xdsPort, CancellationToken cancellationToken)
    {
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{xdsPort}", new GrpcChannelOptions { MaxReceiveMessageSize = null, HttpHandler = EnvoyLikeHandler() });
        _channels.Add(channel);
        var client = channel.CreateCallInvoker();
        var node = Nodes.Sidecar(ip, $"svc-{service}-v1-{index}", MeshConfig.Namespace, $"svc-{service}", "v1", MeshConfig.Port);
        var proxy = new SimulatedProxy(index, node, _fleet);
        _streams.Add(Task.Run(() => proxy.RunAsync(client, cancellationToken), CancellationToken.None));
    }

    /// <summary>Waits until every proxy is synced and no response has come for <paramref name="quiet"/>.</summary>
    private async Task<(int Synced, long LastResponse)> WaitSyncedAsync(MeshdRunner meshd, long start, TimeSpan timeout, TimeSpan quiet, CancellationToken cancellationToken)
    {
        var nextLog = TimeSpan.FromSeconds(10);
        while (true)
        {
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var synced = _proxies.Count(p => p.Synced);
            var last = Volatile.Read(ref _fleet.LastResponseTimestamp);
            var quietFor = last == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(last);
            if (synced == _proxies.Count && quietFor >= quiet)
            {
                return (synced, last);
            }

            if (meshd.HasExited)
            {
                throw new InvalidOperationException("meshd exited while proxies were syncing");
            }

            if (_proxies.All(p => p.Ended))
            {
                throw new InvalidOperationException($"every stream ended before syncing ({_fleet.FirstError})");
            }

            if (elapsed > timeout)
            {
                return (synced, last);
            }

            if (elapsed > nextLog)
            {
                var sample = meshd.Sample();
                log($"    {elapsed.TotalSeconds:0} s: {synced}/{_proxies.Count} synced, {Interlocked.Read(ref _fleet.Responses)} responses, meshd RSS {sample.RssMb:0} MB, CPU {sample.CpuSeconds:0.0} s");
                nextLog += TimeSpan.FromSeconds(10);
            }
        }
    }

    private async Task<ChangeResult> MeasureAsync(MeshdRunner meshd, string kind, int repeat, string typeUrl, string? resourceName, byte[] pattern, Action write, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var before = meshd.Sample();
        var clientBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var probe = new Probe(typeUrl, resourceName, pattern, Stopwatch.GetTimestamp(), _proxies.Count);
        _fleet.Probe = probe;
        write();
        var clock = Stopwatch.StartNew();
        while (probe.Received < _proxies.Count && clock.Elapsed < timeout && !meshd.HasExited)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        // Let the push (and anything it set off) finish before the next change.
        while (Stopwatch.GetElapsedTime(Volatile.Read(ref _fleet.LastResponseTimestamp)) < TimeSpan.FromSeconds(1) && clock.Elapsed < timeout + TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        _fleet.Probe = null;
        var after = meshd.Sample();
        var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientBefore).TotalSeconds;
        var ms = probe.AckedMs.Where(v => !double.IsNaN(v)).Order().ToArray();
        return new ChangeResult(kind, repeat, ms.Length, _proxies.Count, ms, after.CpuSeconds - before.CpuSeconds, clientCpu);
    }

    /// <summary>Writes a temporary file and renames it over the target, as config tools do (no half-written file is read).</summary>
    private static void WriteAtomically(string path, string text)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    public static string Summary(ChangeResult c) => c.Received == 0
        ? $"received by 0/{c.Proxies}"
        : string.Create(CultureInfo.InvariantCulture, $"received by {c.Received}/{c.Proxies}, first {c.Ms[0]:0} ms, p50 {Stats.Percentile(c.Ms, 50):0} ms, p99 {Stats.Percentile(c.Ms, 99):0} ms, max {c.Ms[^1]:0} ms, meshd CPU {c.CpuSeconds:0.00} s, simulated proxies CPU {c.ClientCpuSeconds:0.00} s");
}

public static class Kinds
{
    public const string VirtualService = "VirtualService weights (RDS)";
    public const string WorkloadEntry = "WorkloadEntry added (EDS)";
    public const string ProxyJoined = "sidecar joined (EDS)";
    public static readonly string[] All = [VirtualService, WorkloadEntry, ProxyJoined];
}

public static class Stats
{
    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
