using Meshwork.Config.Mesh;
using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Generators.LocalityLoadBalancing;

/// <summary>
/// Which locality load-balancing setting applies to a cluster (Istio's GetLocalityLbSetting): the
/// DestinationRule's (after its port-level and subset merge) when it has one, else MeshConfig's,
/// unless the one chosen says <c>enabled: false</c>. Istio's default MeshConfig enables it, so a
/// mesh file without the field behaves as <c>localityLbSetting: {enabled: true}</c>.
/// </summary>
public static class LocalityLbSettings
{
    /// <summary>Istio's DefaultMeshConfig localityLbSetting.</summary>
    public static LocalityLoadBalancerSetting MeshDefault { get; } = new() { Enabled = true };

    /// <summary>The setting in force, or null when locality load balancing is off for the cluster.</summary>
    public static LocalityLoadBalancerSetting? For(MeshConfig mesh, LoadBalancerSettings? loadBalancer)
    {
        if (loadBalancer?.LocalityLbSetting is { } rule)
        {
            return rule.Enabled == false ? null : rule;
        }

        var meshWide = mesh.LocalityLbSetting ?? MeshDefault;
        return meshWide.Enabled == false ? null : meshWide;
    }

    /// <summary>
    /// Failover only with outlier detection: it is what ejects the unhealthy hosts, so without it
    /// Envoy would never move traffic to a lower priority (Istio leaves the priorities alone then).
    /// </summary>
    public static bool EnablesFailover(TrafficPolicy? policy) => policy?.OutlierDetection != null;
}
