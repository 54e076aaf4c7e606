using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Istio.Stats;
using ExchangeConfig = Istio.Http.PeerMetadata.Config;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// Istio's telemetry filters on every HTTP connection manager and tcp_proxy chain of a sidecar or
/// gateway (Istio's default Prometheus provider): <c>istio.metadata_exchange</c> first in the HTTP
/// filters and <c>istio.stats</c> just before the router, or <c>istio.stats</c> before tcp_proxy.
/// The reporter follows the listener's direction (inbound: destination; outbound and gateways:
/// source). A sidecar's inbound side reads the caller's metadata and answers with its own; the
/// outbound side and gateways send theirs to mesh clusters and read the answer. A gateway never
/// reads metadata from its downstream (that side is outside the mesh), and, as on the inbound
/// side, does not take destination_service from the Host header.
/// </summary>
internal static class TelemetryFilters
{
    public const string ExchangeFilter = "istio.metadata_exchange";
    public const string StatsFilter = "istio.stats";

    /// <summary>Adds the filters to every HCM and tcp_proxy of <paramref name="listener"/>, with the metric overrides the Telemetry resources make on its side.</summary>
    public static void AddTo(Listener listener, bool gateway, TelemetryMetrics? metrics = null)
    {
        var inbound = listener.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound;
        var overrides = inbound ? (metrics ?? TelemetryMetrics.Default).Server : (metrics ?? TelemetryMetrics.Default).Client;
        var chains = listener.FilterChains.Append(listener.DefaultFilterChain).OfType<FilterChain>();
        foreach (var chain in chains)
        {
            var terminal = chain.Filters.Count > 0 ? chain.Filters[^1] : null;
            if (terminal?.TypedConfig?.TryUnpack<HttpConnectionManager>(out var manager) == true)
            {
                AddHttp(manager, inbound, gateway, overrides);
                terminal.TypedConfig = Any.Pack(manager);
            }
            else if (terminal?.Name == NetworkFilters.TcpProxyFilter)
            {
                chain.Filters.Insert(chain.Filters.Count - 1, new Filter { Name = StatsFilter, TypedConfig = Any.Pack(WithOverrides(new PluginConfig(), overrides)) });
            }
        }
    }

    private static void AddHttp(HttpConnectionManager manager, bool inbound, bool gateway, IReadOnlyList<MetricOverride> overrides)
    {
        var headers = new ExchangeConfig.Types.IstioHeaders();
        var exchange = new ExchangeConfig();
        if (inbound)
        {
            exchange.DownstreamDiscovery.Add(new ExchangeConfig.Types.DiscoveryMethod { IstioHeaders = headers });
            exchange.DownstreamPropagation.Add(new ExchangeConfig.Types.PropagationMethod { IstioHeaders = headers });
        }
        else
        {
            var toMesh = new ExchangeConfig.Types.IstioHeaders { SkipExternalClusters = true };
            exchange.UpstreamDiscovery.Add(new ExchangeConfig.Types.DiscoveryMethod { IstioHeaders = headers });
            exchange.UpstreamPropagation.Add(new ExchangeConfig.Types.PropagationMethod { IstioHeaders = toMesh });
        }

        manager.HttpFilters.Insert(0, new HttpFilter { Name = ExchangeFilter, TypedConfig = Any.Pack(exchange) });
        var stats = WithOverrides(new PluginConfig { DisableHostHeaderFallback = inbound || gateway }, overrides);
        var router = manager.HttpFilters.Count > 0 && manager.HttpFilters[^1].Name == HttpConnectionManagers.RouterFilter ? manager.HttpFilters.Count - 1 : manager.HttpFilters.Count;
        manager.HttpFilters.Insert(router, new HttpFilter { Name = StatsFilter, TypedConfig = Any.Pack(stats) });
    }

    /// <summary>Istio's metric overrides of this side: drops, dimensions and tags to remove per metric.</summary>
    private static PluginConfig WithOverrides(PluginConfig config, IReadOnlyList<MetricOverride> overrides)
    {
        config.Metrics.AddRange(TelemetryMetrics.ToStatsConfig(overrides));
        return config;
    }
}
