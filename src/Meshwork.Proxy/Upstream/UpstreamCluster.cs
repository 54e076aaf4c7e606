using System.Collections.Frozen;
using System.Net;
using Envoy.Config.Endpoint.V3;

namespace Meshwork.Proxy.Upstream;

/// <summary>What a pick needs to know about the request.</summary>
/// <param name="Hash">The route's hash policy result, for RING_HASH and MAGLEV.</param>
/// <param name="Avoid">Hosts already tried (retry's previous_hosts): picked again only if nothing else turns up.</param>
/// <param name="OriginalHost">For ORIGINAL_DST clusters: where the request was going.</param>
public readonly record struct PickContext(ulong? Hash = null, IReadOnlyCollection<UpstreamEndpoint>? Avoid = null, string? OriginalHost = null, int OriginalPort = 0);

/// <summary>One endpoint's line on /clusters.</summary>
public sealed record EndpointInfo(string Address, uint Weight, string Locality, uint Priority, string HealthFlags, long RqActive, long RqTotal, long RqError, long CxActive);

/// <summary>
/// The long-lived identity of one Envoy cluster (STYLE's *State): created when the cluster first
/// appears and kept, with its stats and per-endpoint state, for as long as the name does. Holds
/// the current config and host arrangement in one immutable <see cref="ClusterSnapshot"/> swapped
/// whole, so requests read one reference and never lock; updates (config, endpoints, DNS answers,
/// ejections) are serialized among themselves.
/// </summary>
public sealed partial class UpstreamCluster : IDisposable
{
    private readonly object _updateGate = new();
    private readonly UpstreamOptions _options;
    private readonly List<(ITimer Timer, IReadOnlyList<UpstreamTransport> Transports)> _retiring = [];
    private readonly OriginalDestinationHosts _originalDestinations;
    private volatile ClusterSnapshot _snapshot;
    private OutlierDetector? _detector;
    private EndpointAssignment _assignment = EndpointAssignment.Empty;
    private ClusterLoadAssignment? _assignmentSource;
    private bool _disposed;
    private bool _initialized;
    private ITimer? _slowStartTimer;

    internal UpstreamCluster(ClusterModel model, EndpointAssignment? edsAssignment, ClusterLoadAssignment? edsSource, UpstreamOptions options)
    {
        _options = options;
        Name = model.Name;
        Breaker = new CircuitBreaker(Stats);
        _snapshot = new ClusterSnapshot(model, [], [], HostSelection.Empty, FrozenDictionary<string, EndpointState>.Empty);
        Update(model, edsAssignment, edsSource);
        _originalDestinations = new OriginalDestinationHosts(options.Time);
    }

    public string Name { get; }

    public ClusterStats Stats { get; } = new();

    public UpstreamDiscovery Discovery => _snapshot.Model.Discovery;

    public UpstreamLbPolicy LbPolicy => _snapshot.Model.LoadBalancing.Policy;

    /// <summary>The hosts now in the cluster (ORIGINAL_DST: none; its hosts are per request).</summary>
    public IReadOnlyList<UpstreamEndpoint> Endpoints => _snapshot.Endpoints;

    internal CircuitBreaker Breaker { get; }

    internal ClusterModel Model => _snapshot.Model;

    internal HostSelection Selection => _snapshot.Selection;

    internal IReadOnlyList<UpstreamTransport> Transports => _snapshot.Transports;

    /// <summary>
    /// A healthy, non-ejected host by the cluster's policy, or null when there is none (503 UH).
    /// ORIGINAL_DST clusters return the request's original destination. Check
    /// <see cref="UpstreamTransport.UnavailableReason"/> on the result before sending.
    /// </summary>
    public UpstreamEndpoint? Pick(in PickContext context)
    {
        var snapshot = _snapshot;
        if (snapshot.Model.Discovery == UpstreamDiscovery.OriginalDst)
        {
            return context.OriginalHost is { Length: > 0 } host && context.OriginalPort > 0
                ? _originalDestinations.Get(snapshot, host, context.OriginalPort)
                : null;
        }

        return snapshot.Selection.Pick(context.Hash, context.Avoid);
    }

    /// <summary>Admits a request under the circuit breaker; false = overflow (answer 503 UO at once). Dispose the lease when the request ends.</summary>
    public bool TryStartRequest(out RequestLease lease)
    {
        var model = _snapshot.Model;
        var multiplexed = model.Connection.Protocol == UpstreamProtocol.Http2;
        if (Breaker.TryStart(model.Limits, multiplexed))
        {
            lease = new RequestLease(this, model.Limits, multiplexed);
            return true;
        }

        lease = default;
        return false;
    }

    /// <summary>Admits a retry under max_retries (or the retry budget); counts upstream_rq_retry or upstream_rq_retry_overflow. Call <see cref="EndRetry"/> when the retry ends.</summary>
    public bool TryStartRetry() => Breaker.TryStartRetry(_snapshot.Model.Limits);

    public void EndRetry() => Breaker.EndRetry();

    /// <summary>The HTTP version and policy for the upstream request, given the downstream's version.</summary>
    public (Version Version, HttpVersionPolicy Policy) HttpVersion(Version downstream) => _snapshot.Model.Connection.Protocol switch
    {
        UpstreamProtocol.Http2 => (System.Net.HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact),
        UpstreamProtocol.SameAsDownstream when downstream.Major >= 2 => (System.Net.HttpVersion.Version20, HttpVersionPolicy.RequestVersionExact),
        _ => (System.Net.HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact),
    };

    /// <summary>Per-endpoint lines for /clusters, with Envoy's health flags.</summary>
    public IEnumerable<EndpointInfo> DescribeEndpoints()
    {
        var snapshot = _snapshot;
        IEnumerable<UpstreamEndpoint> endpoints = snapshot.Model.Discovery == UpstreamDiscovery.OriginalDst ? _originalDestinations.All : snapshot.Endpoints;
        foreach (var e in endpoints)
        {
            var eds = e.ConfiguredHealthy ? string.Empty : e.Health == Envoy.Config.Core.V3.HealthStatus.Degraded ? "/degraded_eds_health" : "/failed_eds_health";
            var flags = (e.IsEjected ? "/failed_outlier_check" : string.Empty) + eds;
            yield return new EndpointInfo(
                e.Address,
                e.Weight,
                e.Locality.ToString(),
                e.Priority,
                flags.Length == 0 ? "healthy" : flags,
                Interlocked.Read(ref e.State.ActiveRequests),
                Interlocked.Read(ref e.State.TotalRequests),
                Interlocked.Read(ref e.State.ErrorRequests),
                Interlocked.Read(ref e.State.ActiveConnections));
        }
    }

    /// <summary>Takes a new compiled config and/or EDS assignment; unchanged parts keep their pools and state.</summary>
    internal void Update(ClusterModel model, EndpointAssignment? edsAssignment, ClusterLoadAssignment? edsSource)
    {
        lock (_updateGate)
        {
            var current = _snapshot;
            var first = !_initialized;
            _initialized = true;
            var configChanged = first || !current.Model.Source.Equals(model.Source);
            if (!configChanged)
            {
                model = current.Model;
            }

            var eds = model.Discovery == UpstreamDiscovery.Eds;
            var assignment = eds ? edsAssignment ?? EndpointAssignment.Empty : model.InlineEndpoints ?? EndpointAssignment.Empty;
            var source = eds ? edsSource : null;
            if (!configChanged && !(eds && !Equals(_assignmentSource, source)))
            {
                return;
            }

            var transports = current.Transports;
            if (configChanged)
            {
                if (first || !SamePools(current.Model, model))
                {
                    transports = model.Transports
                        .Select(t => UpstreamTransport.Create(t, model.Connection, model.Limits, Stats, StateFor, _options.MaxPooledConnectionIdleTime, model.DnsFamily, _options.Secrets, _options.Time, _options.Http1FastPath))
                        .ToArray();
                    Retire(current.Transports);
                }

                if (_detector?.Settings != model.Outlier)
                {
                    _detector?.Dispose();
                    _detector = model.Outlier is { } outlier ? new OutlierDetector(outlier, _options.Time, _options.Random, Stats, RebuildSelection) : null;
                }
            }

            _assignment = assignment;
            _assignmentSource = source;
            var specs = model.Discovery == UpstreamDiscovery.StrictDns ? ResolvedSpecs(assignment) : assignment.Endpoints;
            Publish(model, transports, assignment, specs, current.States);
            if (configChanged)
            {
                RestartDns(model);
            }
        }
    }

    /// <summary>Builds endpoints (reusing state by address), hands them to outlier detection, arranges them for picking, and swaps.</summary>
    private void Publish(ClusterModel model, UpstreamTransport[] transports, EndpointAssignment assignment, IReadOnlyList<EndpointSpec> specs, FrozenDictionary<string, EndpointState> previous)
    {
        var states = new Dictionary<string, EndpointState>(StringComparer.Ordinal);
        var endpoints = new UpstreamEndpoint[specs.Count];
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            var address = UpstreamEndpoint.FormatAddress(spec.Host, spec.Port);
            if (!states.TryGetValue(address, out var state))
            {
                state = previous.GetValueOrDefault(address) ?? new EndpointState(address, _options.Time.GetTimestamp());
                states[address] = state;
            }

            var group = assignment.Groups[spec.Group];
            endpoints[i] = new UpstreamEndpoint(spec.Host, spec.Port, spec.Weight, group.Locality, group.Priority, spec.ConfiguredHealthy, spec.Health, transports[spec.Transport], state)
            {
                LocalityGroup = spec.Group,
                LocalityWeight = group.Weight,
                Workload = spec.Workload,
            };
        }

        var frozen = states.ToFrozenDictionary(StringComparer.Ordinal);
        if (_detector == null)
        {
            // Outlier detection was turned off: nothing will bring ejected hosts back, so they are back now.
            foreach (var state in frozen.Values)
            {
                state.Ejected = false;
            }

            Interlocked.Exchange(ref Stats.OutlierEjectionsActive, 0);
        }

        _detector?.SetHosts(frozen.Values.ToArray());
        var selection = HostSelection.Build(endpoints, model.LoadBalancing, assignment.OverprovisioningFactor, _options.Random, WeightFunction(model.LoadBalancing, endpoints));
        _snapshot = new ClusterSnapshot(model, transports, endpoints, selection, frozen);
        Interlocked.Exchange(ref Stats.MembershipTotal, selection.TotalCount);
        Interlocked.Exchange(ref Stats.MembershipHealthy, selection.HealthyCount);
    }

    /// <summary>
    /// Configured weights, or with slow start each host's weight scaled by its age (in hundredths,
    /// so the ramp has resolution). While some host is still ramping, a timer rebuilds the
    /// arrangement every tenth of the window; Envoy recomputes per pick, which a precomputed
    /// schedule cannot, so the ramp here moves in ten steps.
    /// </summary>
    private Func<UpstreamEndpoint, uint> WeightFunction(LoadBalancingSettings lb, UpstreamEndpoint[] endpoints)
    {
        if (lb.SlowStart is not { } slowStart)
        {
            StopSlowStartTimer();
            return static e => e.Weight;
        }

        var time = _options.Time;
        var ramping = endpoints.Any(e => time.GetElapsedTime(e.State.CreatedTimestamp) < slowStart.Window);
        if (ramping)
        {
            var step = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, slowStart.Window.Ticks / 10));
            _slowStartTimer ??= time.CreateTimer(_ => RebuildSelection(), null, step, step);
        }
        else
        {
            StopSlowStartTimer();
        }

        return e => (uint)Math.Clamp(Math.Round(e.Weight * 100.0 * slowStart.Factor(time.GetElapsedTime(e.State.CreatedTimestamp))), 1, uint.MaxValue);
    }

    private void StopSlowStartTimer()
    {
        _slowStartTimer?.Dispose();
        _slowStartTimer = null;
    }

    /// <summary>
    /// A config change keeps the connection pools (and their warm connections) unless something
    /// they are built from changed: the transports, the connection settings or max_connections.
    /// </summary>
    private static bool SamePools(ClusterModel current, ClusterModel next) =>
        current.Connection == next.Connection
        && current.DnsFamily == next.DnsFamily
        && current.Limits.MaxConnections == next.Limits.MaxConnections
        && current.Transports.Select(t => t.Source).SequenceEqual(next.Transports.Select(t => t.Source));

    /// <summary>Health changed (an ejection or its end): same endpoints, new arrangement.</summary>
    private void RebuildSelection()
    {
        lock (_updateGate)
        {
            var current = _snapshot;
            var selection = HostSelection.Build(current.Endpoints, current.Model.LoadBalancing, _assignment.OverprovisioningFactor, _options.Random, WeightFunction(current.Model.LoadBalancing, current.Endpoints));
            _snapshot = current with { Selection = selection };
            Interlocked.Exchange(ref Stats.MembershipHealthy, selection.HealthyCount);
        }
    }

    private EndpointState? StateFor(string host, int port) =>
        _snapshot.States.GetValueOrDefault(UpstreamEndpoint.FormatAddress(host, port)) ?? _originalDestinations?.StateFor(host, port);

    /// <summary>Old pools stay usable for requests in flight and are disposed after the grace period.</summary>
    private void Retire(IReadOnlyList<UpstreamTransport> transports)
    {
        if (transports.Count == 0)
        {
            return;
        }

        lock (_retiring)
        {
            ITimer? timer = null;
            timer = _options.Time.CreateTimer(_ => RetireNow(timer!), null, _options.RemovedClusterGracePeriod, Timeout.InfiniteTimeSpan);
            _retiring.Add((timer, transports));
        }
    }

    private void RetireNow(ITimer timer)
    {
        IReadOnlyList<UpstreamTransport> transports;
        lock (_retiring)
        {
            var index = _retiring.FindIndex(r => ReferenceEquals(r.Timer, timer));
            if (index < 0)
            {
                return;
            }

            transports = _retiring[index].Transports;
            _retiring.RemoveAt(index);
        }

        timer.Dispose();
        foreach (var t in transports)
        {
            t.Dispose();
        }
    }

    /// <summary>True while some old pool still waits out its grace period.</summary>
    internal bool HasRetiringPools
    {
        get
        {
            lock (_retiring)
            {
                return _retiring.Count > 0;
            }
        }
    }

    /// <summary>Stops timers and schedules the pools' disposal after the grace period (requests may still be using them).</summary>
    public void Dispose()
    {
        lock (_updateGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _detector?.Dispose();
            _dnsTimer?.Dispose();
            _dnsCancel?.Cancel();
            StopSlowStartTimer();
            _originalDestinations.Dispose();
            Retire(_snapshot.Transports);
        }
    }

    /// <summary>Disposes everything now, including pools; for process shutdown.</summary>
    internal void DisposeNow()
    {
        Dispose();
        List<ITimer> timers;
        lock (_retiring)
        {
            timers = _retiring.Select(r => r.Timer).ToList();
        }

        foreach (var timer in timers)
        {
            RetireNow(timer);
        }
    }

    internal sealed record ClusterSnapshot(
        ClusterModel Model,
        UpstreamTransport[] Transports,
        UpstreamEndpoint[] Endpoints,
        HostSelection Selection,
        FrozenDictionary<string, EndpointState> States);
}
