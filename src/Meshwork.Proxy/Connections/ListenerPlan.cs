using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using EnvoyTcpProxy = Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy;
using NetworkExtAuthz = Envoy.Extensions.Filters.Network.ExtAuthz.V3.ExtAuthz;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// A listener compiled for accepting connections: the filter chain selector and, per chain, what a
/// connection on it becomes. Built whole when config is applied (a bad chain throws
/// ProxyConfigException naming listener and chain, which NACKs the update), then only read.
/// </summary>
public sealed class ListenerPlan
{
    public const string TlsInspectorFilter = "envoy.filters.listener.tls_inspector";
    public const string HttpConnectionManagerFilter = "envoy.filters.network.http_connection_manager";
    public const string TcpProxyFilter = "envoy.filters.network.tcp_proxy";
    public const string RbacFilter = "envoy.filters.network.rbac";
    public const string ExtAuthzFilter = "envoy.filters.network.ext_authz";
    public const string IstioStatsFilter = "istio.stats";

    private static readonly string[] HttpAlpn = ["h2", "http/1.1"];
    private static readonly string[] Http1Alpn = ["http/1.1"];
    private static readonly string[] Http2Alpn = ["h2"];

    private readonly ChainPlan[] _plans;

    /// <summary>Envoy's listener_filters_timeout default: how long the ClientHello may take to arrive.</summary>
    public static readonly TimeSpan DefaultInspectionTimeout = TimeSpan.FromSeconds(15);

    private ListenerPlan(string name, FilterChainSelector selector, ChainPlan[] plans, TimeSpan inspectionTimeout, bool continueOnInspectionTimeout)
    {
        Name = name;
        Selector = selector;
        _plans = plans;
        InspectionTimeout = inspectionTimeout;
        ContinueOnInspectionTimeout = continueOnInspectionTimeout;
    }

    public string Name { get; }

    public FilterChainSelector Selector { get; }

    /// <summary>Whether the ClientHello must be read before <see cref="Select"/>; false for plaintext-only listeners.</summary>
    public bool NeedsTlsInspection => Selector.NeedsTlsInspection;

    /// <summary>listener_filters_timeout: the bound on <see cref="ClientHelloPeek.PeekAsync"/>; <see cref="TimeSpan.Zero"/> means none.</summary>
    public TimeSpan InspectionTimeout { get; }

    /// <summary>continue_on_listener_filters_timeout: on timeout select as raw_buffer instead of closing the connection.</summary>
    public bool ContinueOnInspectionTimeout { get; }

    /// <summary>The plans of <c>filter_chains</c> in order, then the default chain's when there is one.</summary>
    public IReadOnlyList<ChainPlan> Plans => _plans;

    /// <summary>The plan for a connection, or null: no chain matches and there is no default, so Envoy closes it.</summary>
    public ChainPlan? Select(in ConnectionFacts facts)
    {
        var index = Selector.Select(facts);
        return index == FilterChainSelector.NoChain ? null : _plans[index];
    }

    public static ListenerPlan Compile(Listener listener)
    {
        var where = $"listener \"{listener.Name}\"";
        foreach (var filter in listener.ListenerFilters)
        {
            if (filter.Name != TlsInspectorFilter)
            {
                throw new ProxyConfigException($"{where}: listener_filters \"{filter.Name}\": unknown listener filter (mesh-proxy runs only {TlsInspectorFilter})");
            }
        }

        if (listener.UseOriginalDst == true)
        {
            throw new ProxyConfigException($"{where}: use_original_dst: redirected connections are not supported by mesh-proxy");
        }

        var selector = FilterChainSelector.Compile(listener);
        var plans = new List<ChainPlan>(listener.FilterChains.Count + 1);
        for (var i = 0; i < listener.FilterChains.Count; i++)
        {
            plans.Add(CompileChain(listener.Name, FilterChainSelector.ChainLabel(listener.FilterChains[i], i), listener.FilterChains[i]));
        }

        if (listener.DefaultFilterChain != null)
        {
            plans.Add(CompileChain(listener.Name, listener.DefaultFilterChain.Name.Length > 0 ? listener.DefaultFilterChain.Name : "default_filter_chain", listener.DefaultFilterChain));
        }

        if (plans.Count == 0)
        {
            throw new ProxyConfigException($"{where}: no filter chains");
        }

        var inspectionTimeout = listener.ListenerFiltersTimeout?.ToTimeSpan() ?? DefaultInspectionTimeout;
        if (inspectionTimeout < TimeSpan.Zero)
        {
            throw new ProxyConfigException($"{where}: listener_filters_timeout must not be negative");
        }

        return new ListenerPlan(listener.Name, selector, plans.ToArray(), inspectionTimeout, listener.ContinueOnListenerFiltersTimeout);
    }

    /// <summary>A chain's terminal filter (HCM or tcp_proxy) and its TLS, after any RBAC filters, as Pilot emits them.</summary>
    private static ChainPlan CompileChain(string listener, string label, FilterChain chain)
    {
        var where = $"listener \"{listener}\": {label}";
        if (chain.Filters.Count == 0)
        {
            throw new ProxyConfigException($"{where}: no filters");
        }

        var rbac = new List<NetworkRbac>();
        NetworkExtAuthz? extAuthz = null;
        string? peerExchange = null;
        var extAuthzAt = 0;
        var istioStats = false;
        var overrides = Telemetry.MetricOverrides.None;
        for (var i = 0; i < chain.Filters.Count - 1; i++)
        {
            var name = chain.Filters[i].Name;
            if (name == RbacFilter)
            {
                rbac.Add(Unpack<NetworkRbac>(chain.Filters[i], $"{where}: filters[{i}]"));
                continue;
            }

            if (name == Telemetry.TcpPeerExchange.FilterName)
            {
                peerExchange = Unpack<Envoy.Tcp.MetadataExchange.Config.MetadataExchange>(chain.Filters[i], $"{where}: filters[{i}]").Protocol;
                if (peerExchange.Length == 0)
                {
                    throw new ProxyConfigException($"{where}: filters[{i}] \"{name}\": protocol is required");
                }

                continue;
            }

            if (name == ExtAuthzFilter)
            {
                if (extAuthz != null)
                {
                    throw new ProxyConfigException($"{where}: filters[{i}] \"{name}\": one {ExtAuthzFilter} filter per chain is supported");
                }

                extAuthz = Unpack<NetworkExtAuthz>(chain.Filters[i], $"{where}: filters[{i}]");
                extAuthzAt = rbac.Count;
                continue;
            }

            if (name == IstioStatsFilter)
            {
                overrides = Telemetry.MetricOverrides.Compile(Unpack<Istio.Stats.PluginConfig>(chain.Filters[i], $"{where}: filters[{i}]"), $"{where}: filters[{i}] \"{name}\"");
                istioStats = true;
                continue;
            }

            throw new ProxyConfigException(name is HttpConnectionManagerFilter or TcpProxyFilter
                ? $"{where}: filter \"{name}\" is terminal and must be the last filter"
                : $"{where}: filter \"{name}\": unknown network filter (mesh-proxy runs only {Telemetry.TcpPeerExchange.FilterName}, {RbacFilter}, {ExtAuthzFilter} and {IstioStatsFilter} before {HttpConnectionManagerFilter} or {TcpProxyFilter})");
        }

        return CompileTerminal(listener, label, chain, where) with { RbacFilters = rbac, ExtAuthz = extAuthz, ExtAuthzAt = extAuthzAt, PeerExchangeProtocol = peerExchange, RecordsIstioStats = istioStats, IstioStatsOverrides = overrides };
    }

    private static ChainPlan CompileTerminal(string listener, string label, FilterChain chain, string where)
    {
        var filter = chain.Filters[^1];
        if (filter.ConfigTypeCase != Filter.ConfigTypeOneofCase.TypedConfig)
        {
            throw new ProxyConfigException($"{where}: filter \"{filter.Name}\": typed_config is required (config discovery is not supported)");
        }

        switch (filter.Name)
        {
            case HttpConnectionManagerFilter:
                var manager = Unpack<HttpConnectionManager>(filter, where);
                var tlsForHttp = chain.TransportSocket == null ? null : DownstreamTls.Compile(chain.TransportSocket, where, DefaultAlpn(manager.CodecType));
                return manager.RouteSpecifierCase switch
                {
                    HttpConnectionManager.RouteSpecifierOneofCase.RouteConfig => new HttpChainPlan(listener, label, tlsForHttp, manager, manager.RouteConfig, null),
                    HttpConnectionManager.RouteSpecifierOneofCase.Rds when manager.Rds.RouteConfigName.Length > 0 => new HttpChainPlan(listener, label, tlsForHttp, manager, null, manager.Rds.RouteConfigName),
                    _ => throw new ProxyConfigException($"{where}: {HttpConnectionManagerFilter}: needs route_config or rds.route_config_name"),
                };
            case TcpProxyFilter:
                var settings = TcpProxySettings.Compile(Unpack<EnvoyTcpProxy>(filter, where), where);
                var tlsForTcp = chain.TransportSocket == null ? null : DownstreamTls.Compile(chain.TransportSocket, where, []);
                return new TcpProxyChainPlan(listener, label, tlsForTcp, settings);
            default:
                throw new ProxyConfigException($"{where}: filter \"{filter.Name}\": unknown network filter (mesh-proxy runs only {HttpConnectionManagerFilter} and {TcpProxyFilter})");
        }
    }

    /// <summary>ALPN a terminating HTTP chain offers when its context names none: what its codec can speak.</summary>
    private static string[] DefaultAlpn(HttpConnectionManager.Types.CodecType codec) => codec switch
    {
        HttpConnectionManager.Types.CodecType.Http1 => Http1Alpn,
        HttpConnectionManager.Types.CodecType.Http2 => Http2Alpn,
        _ => HttpAlpn,
    };

    private static T Unpack<T>(Filter filter, string where)
        where T : Google.Protobuf.IMessage<T>, new()
    {
        var descriptor = new T().Descriptor;
        if (!filter.TypedConfig.Is(descriptor))
        {
            throw new ProxyConfigException($"{where}: filter \"{filter.Name}\": typed_config is {filter.TypedConfig.TypeUrl}, expected {descriptor.FullName}");
        }

        return filter.TypedConfig.Unpack<T>();
    }
}
