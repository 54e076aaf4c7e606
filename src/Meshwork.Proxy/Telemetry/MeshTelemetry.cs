using System.Collections.Concurrent;
using Microsoft.Extensions.Primitives;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// The proxy's side of Istio's telemetry, shared by every listener: who this workload is (its
/// metadata, pre-encoded once as the exchange headers carry it), the standard metrics it records,
/// and the caches that keep recording cheap: a peer header value decodes once, a label combination
/// is built once and maps straight to its series. The caches are bounded, since peers and Host
/// headers come from the network; past the bound a request is still counted, only not cached.
/// </summary>
internal sealed class MeshTelemetry
{
    /// <summary>Set to 0 to run without Istio's stats and metadata exchange (the filters are then ignored), for A/B benchmarks.</summary>
    public const string SwitchVariable = "MESH_PROXY_ISTIO_STATS";

    private const int MaxCached = 4096;

    private readonly ConcurrentDictionary<string, PeerMetadata> _peers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DestinationService> _hosts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<HttpSeriesKey, IstioMetrics.HttpSeries> _httpSeries = new();
    private readonly ConcurrentDictionary<TcpSeriesKey, IstioMetrics.TcpSeries> _tcpSeries = new();

    public MeshTelemetry(ProxyOptions options)
        : this(
            new PeerMetadata(options.Workload, options.Namespace, options.Labels, PeerMetadata.DefaultCluster, options.ServiceAccount),
            options.NodeId,
            options.Agent is { } agent ? Security.WorkloadCsr.SpiffeId(agent.TrustDomain, options.Namespace, options.ServiceAccount) : null,
            options.Agent?.TrustDomain ?? "cluster.local",
            Environment.GetEnvironmentVariable(SwitchVariable) != "0")
    {
    }

    public MeshTelemetry(PeerMetadata local, string nodeId, string? localPrincipal, string trustDomain, bool enabled)
    {
        Local = local;
        LocalPrincipal = localPrincipal;
        TrustDomain = trustDomain;
        Enabled = enabled;
        LocalHeader = new StringValues(local.Encode());
        LocalId = new StringValues(nodeId);
        TcpPreamble = TcpPeerExchange.Preamble(local, nodeId);
    }

    /// <summary>False when switched off by <see cref="SwitchVariable"/>: listeners then compile no telemetry plan.</summary>
    public bool Enabled { get; }

    public PeerMetadata Local { get; }

    /// <summary>The workload's own SPIFFE URI, or null when it has no certificate agent.</summary>
    public string? LocalPrincipal { get; }

    public string TrustDomain { get; }

    /// <summary>x-envoy-peer-metadata for this workload, encoded once.</summary>
    public StringValues LocalHeader { get; }

    /// <summary>x-envoy-peer-metadata-id: the node id.</summary>
    public StringValues LocalId { get; }

    /// <summary>This workload's TCP metadata exchange announcement (istio-peer-exchange), built once.</summary>
    public byte[] TcpPreamble { get; }

    public IstioMetrics Metrics { get; } = new();

    /// <summary>The peer a header value describes (decoded once per distinct value), or null.</summary>
    public PeerMetadata? Peer(string value)
    {
        if (_peers.TryGetValue(value, out var known))
        {
            return known;
        }

        var decoded = PeerMetadata.Decode(value);
        if (decoded != null && _peers.Count < MaxCached)
        {
            decoded = _peers.GetOrAdd(value, decoded);
        }

        return decoded;
    }

    /// <summary>
    /// Istio's Host header fallback for destination_service when the cluster names no service: the
    /// host without its port, as the service and its name, namespace unknown.
    /// </summary>
    public DestinationService HostService(string? host)
    {
        if (string.IsNullOrEmpty(host))
        {
            return DestinationService.Unknown;
        }

        if (_hosts.TryGetValue(host, out var known))
        {
            return known;
        }

        var service = new DestinationService(host, host, StandardLabels.Unknown);
        return _hosts.Count < MaxCached ? _hosts.GetOrAdd(host, service) : service;
    }

    /// <summary>The series of one label combination; its labels are built only the first time it is seen.</summary>
    public IstioMetrics.HttpSeries HttpSeries(in HttpSeriesKey key)
    {
        if (_httpSeries.TryGetValue(key, out var series))
        {
            return series;
        }

        series = Metrics.Http(key.Labels(this));
        return _httpSeries.Count < MaxCached ? _httpSeries.GetOrAdd(key, series) : series;
    }

    /// <summary>The TCP series of one label combination.</summary>
    public IstioMetrics.TcpSeries TcpSeries(in TcpSeriesKey key)
    {
        if (_tcpSeries.TryGetValue(key, out var series))
        {
            return series;
        }

        series = Metrics.Tcp(key.Labels(this));
        return _tcpSeries.Count < MaxCached ? _tcpSeries.GetOrAdd(key, series) : series;
    }

    /// <summary>The SPIFFE URI Istio's CA gives <paramref name="peer"/> (from its namespace and service account), or null when it sent no account.</summary>
    public string? PrincipalOf(PeerMetadata? peer) =>
        peer?.ServiceAccount is { Length: > 0 } account ? Security.WorkloadCsr.SpiffeId(TrustDomain, peer.Namespace, account) : null;
}
