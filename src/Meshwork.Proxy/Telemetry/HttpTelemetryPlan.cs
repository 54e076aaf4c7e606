using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using ExchangeConfig = Istio.Http.PeerMetadata.Config;
using Istio.Stats;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Istio's two telemetry HTTP filters of one connection manager, compiled when its listener arrives:
/// <c>istio.metadata_exchange</c> (which sides' x-envoy-peer-metadata headers are read, removed and
/// added) and <c>istio.stats</c> (whether requests are recorded, as which reporter, whether the
/// Host header may name the destination service, and the metric overrides). A manager without
/// them exchanges and records nothing; with the exchange filter, the headers never pass through in
/// either direction.
/// </summary>
internal sealed class HttpTelemetryPlan
{
    public const string ExchangeFilter = "istio.metadata_exchange";
    public const string StatsFilter = "istio.stats";

    private HttpTelemetryPlan(MeshTelemetry mesh, bool inbound)
    {
        Mesh = mesh;
        Inbound = inbound;
    }

    public MeshTelemetry Mesh { get; }

    /// <summary>The reporter: destination for a sidecar's inbound listener, source otherwise (outbound and gateways), as Istio infers it.</summary>
    public bool Inbound { get; }

    /// <summary>The exchange filter is present: its headers are always removed where they arrive.</summary>
    public bool Exchanges { get; private init; }

    public bool DiscoversDownstream { get; private init; }

    public bool PropagatesDownstream { get; private init; }

    public bool DiscoversUpstream { get; private init; }

    public bool PropagatesUpstream { get; private init; }

    /// <summary>Clusters marked <c>istio.external</c> never get this workload's metadata.</summary>
    public bool SkipsExternalClusters { get; private init; }

    /// <summary>The stats filter is present: requests are recorded.</summary>
    public bool Records { get; private init; }

    public bool DisableHostHeaderFallback { get; private init; }

    /// <summary>The stats filter's metric overrides (Telemetry <c>disabled</c> and <c>tagOverrides</c>).</summary>
    public MetricOverrides Overrides { get; private init; } = MetricOverrides.None;

    /// <summary>What the standard series does not record: the dropped metrics and those recorded under overridden labels.</summary>
    public StandardMetric Dropped { get; private init; }

    /// <summary>The plan for <paramref name="manager"/>, or null when it has neither filter (or telemetry is switched off).</summary>
    public static HttpTelemetryPlan? Compile(HttpConnectionManager manager, bool inbound, MeshTelemetry? mesh, string where)
    {
        ExchangeConfig? exchange = null;
        PluginConfig? stats = null;
        var overrides = MetricOverrides.None;
        for (var i = 0; i < manager.HttpFilters.Count; i++)
        {
            var filter = manager.HttpFilters[i];
            if (filter.Name is not (ExchangeFilter or StatsFilter))
            {
                continue;
            }

            var at = $"{where}: http_filters[{i}] \"{filter.Name}\"";
            if (filter.Name == ExchangeFilter)
            {
                exchange = filter.TypedConfig != null && filter.TypedConfig.TryUnpack<ExchangeConfig>(out var parsed)
                    ? parsed
                    : throw new ProxyConfigException($"{at}: typed_config must be {ExchangeConfig.Descriptor.FullName}");
            }
            else
            {
                stats = filter.TypedConfig != null && filter.TypedConfig.TryUnpack<PluginConfig>(out var parsed)
                    ? parsed
                    : throw new ProxyConfigException($"{at}: typed_config must be {PluginConfig.Descriptor.FullName}");
                if (stats.Reporter == Reporter.ServerGateway)
                {
                    throw new ProxyConfigException($"{at}: reporter SERVER_GATEWAY (waypoints) is not supported by mesh-proxy");
                }

                overrides = MetricOverrides.Compile(stats, at);
            }
        }

        if ((exchange == null && stats == null) || mesh is not { Enabled: true })
        {
            return null;
        }

        var upstream = exchange?.UpstreamPropagation.FirstOrDefault(p => p.IstioHeaders != null)?.IstioHeaders;
        return new HttpTelemetryPlan(mesh, inbound)
        {
            Exchanges = exchange != null,
            DiscoversDownstream = exchange?.DownstreamDiscovery.Any(d => d.IstioHeaders != null) == true,
            PropagatesDownstream = exchange?.DownstreamPropagation.Any(p => p.IstioHeaders != null) == true,
            DiscoversUpstream = exchange?.UpstreamDiscovery.Any(d => d.IstioHeaders != null) == true,
            PropagatesUpstream = upstream != null,
            SkipsExternalClusters = upstream?.SkipExternalClusters == true,
            Records = stats != null,
            DisableHostHeaderFallback = stats?.DisableHostHeaderFallback == true,
            Overrides = overrides,
            Dropped = overrides.Dropped | overrides.Relabelled,
        };
    }
}
