using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Mesh;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// The clusters for traffic no service claims (Istio's buildBlackHoleCluster and
/// buildDefaultPassthroughCluster): BlackHoleCluster drops it (REGISTRY_ONLY, unmatched routes),
/// PassthroughCluster forwards it to where it was going (ALLOW_ANY), and InboundPassthroughCluster
/// does so for inbound traffic to ports no service declares.
/// </summary>
internal static class CatchAllClusters
{
    /// <summary>Idle upstream connections to unknown destinations close after 5 minutes, as in Istio.</summary>
    private static readonly TimeSpan PassthroughIdleTimeout = TimeSpan.FromMinutes(5);

    public static Cluster BlackHole(MeshConfig mesh) => new()
    {
        Name = ClusterNames.BlackHole,
        Type = DiscoveryType.Static,
        ConnectTimeout = Duration.FromTimeSpan(mesh.EffectiveConnectTimeout),
        LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
    };

    /// <summary>Original destination, the downstream's HTTP protocol kept, Istio's default circuit breakers.</summary>
    public static Cluster Passthrough(MeshConfig mesh, string name = ClusterNames.Passthrough)
    {
        var cluster = new Cluster
        {
            Name = name,
            Type = DiscoveryType.OriginalDst,
            LbPolicy = Cluster.Types.LbPolicy.ClusterProvided,
        };
        var http = new UpstreamHttpOptions();
        http.Common().IdleTimeout = Duration.FromTimeSpan(PassthroughIdleTimeout);
        http.UseDownstreamProtocol();
        ClusterTrafficPolicy.ApplyConnectionPool(cluster, http, settings: null, mesh);
        http.WriteTo(cluster);
        return cluster;
    }
}
