using Envoy.Config.Endpoint.V3;
using Meshwork.Pilot.Model;
using IstioLocalityFailover = Meshwork.Config.Networking.LocalityFailover;

namespace Meshwork.Pilot.Generators.LocalityLoadBalancing;

/// <summary>
/// Locality failover (Istio's applyLocalityFailover): each locality's priority by how close it is
/// to the proxy (same subzone 0, same zone 1, same region 2, another region 3), where a region
/// that <c>failover</c> names for the proxy's region stays at 3 and every other region drops to
/// 4. Priorities already set (by <c>failoverPriority</c>) stay the major key, then all are
/// renumbered from 0 without gaps, as Envoy and gRPC require.
/// </summary>
public static class LocalityFailover
{
    /// <summary>Distinct closeness levels: priorities already assigned are scaled by this before adding the level.</summary>
    private const uint Levels = 5;

    public static void Apply(ClusterLoadAssignment assignment, WorkloadLocality proxy, IReadOnlyList<IstioLocalityFailover> failover)
    {
        var raw = assignment.Endpoints
            .Select(group => (group.Priority * Levels) + Level(proxy, WorkloadLocality.From(group.Locality), failover))
            .ToList();
        PriorityLevels.Renumber(assignment.Endpoints, raw);
    }

    /// <summary>The closeness level of an endpoint locality as seen from the proxy, 0 (same subzone) to 4 (a region nobody fails over to).</summary>
    public static uint Level(WorkloadLocality proxy, WorkloadLocality endpoint, IReadOnlyList<IstioLocalityFailover> failover)
    {
        var level = Proximity(proxy, endpoint);
        if (level == 3 && failover.FirstOrDefault(f => f.From == proxy.Region) is { } rule && endpoint.Region != rule.To)
        {
            level = 4;
        }

        return level;
    }

    /// <summary>Istio's LbPriority: 0 same region, zone and subzone; 1 same zone; 2 same region; 3 otherwise.</summary>
    public static uint Proximity(WorkloadLocality proxy, WorkloadLocality endpoint)
    {
        if (proxy.Region != endpoint.Region)
        {
            return 3;
        }

        if (proxy.Zone != endpoint.Zone)
        {
            return 2;
        }

        return proxy.SubZone == endpoint.SubZone ? 0u : 1u;
    }
}
