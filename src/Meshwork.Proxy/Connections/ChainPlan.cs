using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// What a connection becomes once its filter chain is chosen: HTTP served by an
/// HttpConnectionManager, or bytes relayed by tcp_proxy; either may first terminate TLS
/// (<see cref="Tls"/> not null). SNI passthrough is a TCP plan without TLS. Built once per config.
/// </summary>
public abstract record ChainPlan(string ListenerName, string ChainLabel, DownstreamTls? Tls)
{
    /// <summary>The <c>envoy.filters.network.rbac</c> filters ahead of the terminal filter, in order (compiled with the listener's stats).</summary>
    public IReadOnlyList<Envoy.Extensions.Filters.Network.Rbac.V3.RBAC> RbacFilters { get; init; } = [];

    /// <summary>The <c>envoy.filters.network.ext_authz</c> filter, if any, and how many RBAC filters run before it (Istio: the CUSTOM shadow rules).</summary>
    public Envoy.Extensions.Filters.Network.ExtAuthz.V3.ExtAuthz? ExtAuthz { get; init; }

    /// <summary>Index in <see cref="RbacFilters"/> of the first RBAC filter after <see cref="ExtAuthz"/>.</summary>
    public int ExtAuthzAt { get; init; }

    /// <summary>The ALPN on which the chain's <c>istio.metadata_exchange</c> network filter exchanges peer metadata over TCP, or null without one.</summary>
    public string? PeerExchangeProtocol { get; init; }

    /// <summary>Istio's <c>istio.stats</c> network filter is in the chain: a tcp_proxy connection records the istio_tcp_* metrics.</summary>
    public bool RecordsIstioStats { get; init; }

    /// <summary>That filter's metric overrides: the metrics it drops and the labels it changes.</summary>
    internal Telemetry.MetricOverrides IstioStatsOverrides { get; init; } = Telemetry.MetricOverrides.None;
}

/// <summary>
/// An HTTP chain: the connection manager as sent (the pipeline reads its filters, timeouts and
/// upgrade configs) and where its routes come from: <see cref="InlineRoutes"/> or the RDS name.
/// </summary>
public sealed record HttpChainPlan(
    string ListenerName,
    string ChainLabel,
    DownstreamTls? Tls,
    HttpConnectionManager Manager,
    RouteConfiguration? InlineRoutes,
    string? RdsRouteName) : ChainPlan(ListenerName, ChainLabel, Tls)
{
    public string StatPrefix => Manager.StatPrefix;
}

/// <summary>A TCP chain: tcp_proxy's settings (one cluster or weighted clusters, idle timeout, stat prefix).</summary>
public sealed record TcpProxyChainPlan(
    string ListenerName,
    string ChainLabel,
    DownstreamTls? Tls,
    TcpProxySettings Settings) : ChainPlan(ListenerName, ChainLabel, Tls);
