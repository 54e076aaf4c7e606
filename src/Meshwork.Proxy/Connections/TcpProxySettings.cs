using EnvoyTcpProxy = Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy;

namespace Meshwork.Proxy.Connections;

/// <summary>One upstream cluster and its share of a weighted tcp_proxy.</summary>
public sealed record WeightedTcpCluster(string Name, uint Weight);

/// <summary>
/// Envoy's tcp_proxy filter, compiled: where connections go (a cluster, or weighted clusters picked
/// per connection by a random draw over the cumulative weights), the idle timeout (Envoy's default
/// is one hour; zero turns it off), connect attempts, and the stat prefix. Fields that would change
/// behaviour mesh-proxy does not have (tunneling, subset metadata) are refused, not ignored.
/// </summary>
public sealed record TcpProxySettings
{
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);

    private ulong[] CumulativeWeights { get; init; } = [];

    public required string StatPrefix { get; init; }

    /// <summary>The single cluster; null when <see cref="WeightedClusters"/> decide.</summary>
    public string? Cluster { get; init; }

    public IReadOnlyList<WeightedTcpCluster> WeightedClusters { get; init; } = [];

    /// <summary>How long neither side may send before both are closed; <see cref="TimeSpan.Zero"/> means never.</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>Upstream connect attempts before the connection is given up (Envoy default 1).</summary>
    public int MaxConnectAttempts { get; init; } = 1;

    /// <summary>Envoy's max_downstream_connection_duration; null when unlimited.</summary>
    public TimeSpan? MaxDownstreamConnectionDuration { get; init; }

    /// <summary>The filter's access logs (Envoy's file logger), one line per connection when it closes.</summary>
    internal IReadOnlyList<Telemetry.AccessLogPlan> AccessLogs { get; init; } = [];

    public static TcpProxySettings Compile(EnvoyTcpProxy proxy, string where)
    {
        where = $"{where}: envoy.filters.network.tcp_proxy";
        if (proxy.StatPrefix.Length == 0)
        {
            throw new ProxyConfigException($"{where}: stat_prefix is required");
        }

        if (proxy.TunnelingConfig != null)
        {
            throw new ProxyConfigException($"{where}.tunneling_config: tunneling TCP over HTTP is not supported by mesh-proxy");
        }

        if (proxy.MetadataMatch != null)
        {
            throw new ProxyConfigException($"{where}.metadata_match: subset load balancing is not supported by mesh-proxy");
        }

        if (proxy.DownstreamIdleTimeout != null || proxy.UpstreamIdleTimeout != null)
        {
            throw new ProxyConfigException($"{where}: downstream_idle_timeout and upstream_idle_timeout are not supported by mesh-proxy; use idle_timeout");
        }

        var settings = new TcpProxySettings
        {
            StatPrefix = proxy.StatPrefix,
            IdleTimeout = proxy.IdleTimeout != null ? NonNegative(proxy.IdleTimeout.ToTimeSpan(), $"{where}.idle_timeout") : DefaultIdleTimeout,
            MaxConnectAttempts = proxy.MaxConnectAttempts is { } attempts ? (attempts >= 1 ? (int)attempts : throw new ProxyConfigException($"{where}.max_connect_attempts: must be at least 1")) : 1,
            MaxDownstreamConnectionDuration = proxy.MaxDownstreamConnectionDuration is { } duration ? NonNegative(duration.ToTimeSpan(), $"{where}.max_downstream_connection_duration") : null,
            AccessLogs = Telemetry.AccessLogPlan.CompileAll(proxy.AccessLog, where),
        };

        switch (proxy.ClusterSpecifierCase)
        {
            case EnvoyTcpProxy.ClusterSpecifierOneofCase.Cluster when proxy.Cluster.Length > 0:
                return settings with { Cluster = proxy.Cluster };
            case EnvoyTcpProxy.ClusterSpecifierOneofCase.WeightedClusters:
                var clusters = new List<WeightedTcpCluster>();
                foreach (var (cluster, i) in proxy.WeightedClusters.Clusters.Select((c, i) => (c, i)))
                {
                    if (cluster.Name.Length == 0)
                    {
                        throw new ProxyConfigException($"{where}.weighted_clusters.clusters[{i}]: name is required");
                    }

                    if (cluster.MetadataMatch != null)
                    {
                        throw new ProxyConfigException($"{where}.weighted_clusters.clusters[{i}].metadata_match: subset load balancing is not supported by mesh-proxy");
                    }

                    clusters.Add(new WeightedTcpCluster(cluster.Name, cluster.Weight));
                }

                if (clusters.Count == 0 || clusters.All(c => c.Weight == 0))
                {
                    throw new ProxyConfigException($"{where}.weighted_clusters: needs at least one cluster with a weight above zero");
                }

                var cumulative = new ulong[clusters.Count];
                ulong total = 0;
                for (var i = 0; i < clusters.Count; i++)
                {
                    total += clusters[i].Weight;
                    cumulative[i] = total;
                }

                return settings with { WeightedClusters = clusters, CumulativeWeights = cumulative };
            default:
                throw new ProxyConfigException($"{where}: needs cluster or weighted_clusters");
        }
    }

    /// <summary>The cluster for a new connection; <paramref name="random"/> is a draw in [0, 1) (injected so tests are deterministic).</summary>
    public string PickCluster(double random)
    {
        if (Cluster != null)
        {
            return Cluster;
        }

        var total = CumulativeWeights[^1];
        var point = (ulong)(Math.Clamp(random, 0, 1) * total);
        for (var i = 0; i < CumulativeWeights.Length; i++)
        {
            if (point < CumulativeWeights[i])
            {
                return WeightedClusters[i].Name;
            }
        }

        return WeightedClusters[^1].Name;
    }

    private static TimeSpan NonNegative(TimeSpan value, string where) =>
        value >= TimeSpan.Zero ? value : throw new ProxyConfigException($"{where}: must not be negative");
}
