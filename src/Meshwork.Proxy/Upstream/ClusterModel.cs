using System.Collections.Frozen;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;

namespace Meshwork.Proxy.Upstream;

/// <summary>Envoy's cluster discovery types, as the cluster finds its hosts.</summary>
public enum UpstreamDiscovery { Static, Eds, StrictDns, LogicalDns, OriginalDst }

/// <summary>Envoy's lb_policy values the proxy implements (CLUSTER_PROVIDED = ORIGINAL_DST's own choice).</summary>
public enum UpstreamLbPolicy { RoundRobin, LeastRequest, Random, RingHash, Maglev, ClusterProvided }

/// <summary>Which HTTP version upstream requests use.</summary>
public enum UpstreamProtocol { Http1, Http2, SameAsDownstream }

/// <summary>
/// One Envoy cluster compiled once when CDS arrives: everything a request needs is resolved
/// (defaults applied, durations converted, TLS contexts deduplicated), so per-request code reads
/// plain fields. Kept with the proto it came from, whose equality decides whether an update
/// changed the cluster at all.
/// </summary>
internal sealed record ClusterModel(
    string Name,
    Cluster Source,
    UpstreamDiscovery Discovery,
    string EdsServiceName,
    LoadBalancingSettings LoadBalancing,
    CircuitBreakerLimits Limits,
    OutlierSettings? Outlier,
    ConnectionSettings Connection,
    IReadOnlyList<TransportModel> Transports,
    IReadOnlyList<TransportMatchModel> TransportMatches,
    int DefaultTransport,
    TimeSpan DnsRefreshRate,
    System.Net.Sockets.AddressFamily DnsFamily,
    TimeSpan OriginalDstCleanupInterval,
    EndpointAssignment? InlineEndpoints)
{
    /// <summary>The first service of Istio's <c>istio.services</c> cluster metadata (destination_service*), or null when none is named.</summary>
    public Telemetry.DestinationService? Service { get; init; }

    /// <summary>Istio's <c>istio.external</c>: the cluster leads outside the mesh (no peer metadata goes there).</summary>
    public bool MeshExternal { get; init; }

    /// <summary>The ALPN on which the cluster's <c>istio.metadata_exchange</c> upstream filter exchanges peer metadata over TCP, or null without one.</summary>
    public string? PeerExchangeProtocol { get; init; }
}

/// <param name="PanicThresholdPercent">Below this share of healthy hosts a priority level balances over all its hosts (0 turns panic mode off).</param>
/// <param name="LocalityWeighted">Pick a locality by its weight first (common_lb_config.locality_weighted_lb_config).</param>
/// <param name="ChoiceCount">LEAST_REQUEST's random candidates per pick.</param>
internal sealed record LoadBalancingSettings(
    UpstreamLbPolicy Policy,
    double PanicThresholdPercent,
    bool LocalityWeighted,
    int ChoiceCount,
    ulong MinRingSize,
    ulong MaxRingSize,
    int MaglevTableSize,
    SlowStart? SlowStart);

/// <summary>
/// ROUND_ROBIN and LEAST_REQUEST slow start: a host's weight ramps over <see cref="Window"/> after
/// it appears, as weight × max(min %, (age / window)^(1 / aggression)).
/// </summary>
internal sealed record SlowStart(TimeSpan Window, double Aggression, double MinWeightPercent)
{
    public double Factor(TimeSpan age)
    {
        if (age >= Window)
        {
            return 1.0;
        }

        var time = Math.Max(0.001, age.TotalMilliseconds) / Window.TotalMilliseconds;
        var ramp = Aggression == 1.0 ? time : Math.Pow(time, 1.0 / Aggression);
        return Math.Max(ramp, MinWeightPercent / 100.0);
    }
}

/// <summary>
/// The default-priority circuit-breaker thresholds. <see cref="RetryBudgetPercent"/> replaces
/// <see cref="MaxRetries"/> when set, as in Envoy.
/// </summary>
internal sealed record CircuitBreakerLimits(
    long MaxConnections,
    long MaxPendingRequests,
    long MaxRequests,
    long MaxRetries,
    double? RetryBudgetPercent,
    long MinRetryConcurrency)
{
    /// <summary>Envoy's defaults when a cluster sets no thresholds.</summary>
    public static CircuitBreakerLimits EnvoyDefaults { get; } = new(1024, 1024, 1024, 3, null, 3);
}

/// <summary>Outlier detection with Envoy's defaults filled in; enforcing values are percentages.</summary>
internal sealed record OutlierSettings(
    TimeSpan Interval,
    TimeSpan BaseEjectionTime,
    TimeSpan MaxEjectionTime,
    double MaxEjectionPercent,
    uint Consecutive5xx,
    double Enforcing5xx,
    uint ConsecutiveGatewayFailure,
    double EnforcingGatewayFailure,
    bool SplitLocalOriginErrors,
    uint ConsecutiveLocalOriginFailure,
    double EnforcingLocalOriginFailure,
    bool AlwaysEjectOneHost);

/// <param name="PooledIdleTimeout">The upstream idle timeout, capped (see <see cref="UpstreamOptions.MaxPooledConnectionIdleTime"/>).</param>
/// <param name="MaxRequestsPerConnection">0 = unlimited.</param>
/// <param name="MaxConnectionDuration">Null = unlimited.</param>
internal sealed record ConnectionSettings(
    TimeSpan ConnectTimeout,
    TimeSpan PooledIdleTimeout,
    TimeSpan? MaxConnectionDuration,
    int MaxRequestsPerConnection,
    UpstreamProtocol Protocol,
    TcpKeepalive? Keepalive);

/// <summary>
/// How bytes reach an endpoint: plaintext, or TLS originated with <see cref="Tls"/>. Clusters
/// get one connection pool per distinct transport (auto mTLS gives a cluster two).
/// </summary>
/// <param name="Source">The transport socket as sent; its proto equality deduplicates transports.</param>
/// <param name="ProxyProtocolVersion">Set when the socket was wrapped in upstream PROXY protocol, which the pool cannot send yet (its requests fail as unavailable).</param>
internal sealed record TransportModel(TransportSocket? Source, TlsOrigination? Tls, int? ProxyProtocolVersion)
{
    public static TransportModel Plaintext { get; } = new(null, null, null);

    public bool IsTls => Tls != null;
}

/// <summary>A transport_socket_matches entry: every field of <see cref="Match"/> must equal the endpoint's <c>envoy.transport_socket_match</c> metadata.</summary>
internal sealed record TransportMatchModel(string Name, FrozenDictionary<string, Google.Protobuf.WellKnownTypes.Value> Match, int Transport);
