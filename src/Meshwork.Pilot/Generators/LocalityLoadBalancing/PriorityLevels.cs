using Envoy.Config.Endpoint.V3;

namespace Meshwork.Pilot.Generators.LocalityLoadBalancing;

/// <summary>
/// Priorities must run from 0 without gaps: Envoy treats a missing level as empty, and gRPC
/// clients NACK the assignment. Ranking the distinct raw values keeps their order.
/// </summary>
public static class PriorityLevels
{
    /// <summary>Sets each group's priority to the rank of its raw priority among the distinct raw priorities.</summary>
    public static void Renumber(IList<LocalityLbEndpoints> groups, IReadOnlyList<uint> raw)
    {
        var rank = raw.Distinct().Order().Select((value, index) => (value, index)).ToDictionary(p => p.value, p => (uint)p.index);
        for (var i = 0; i < groups.Count; i++)
        {
            groups[i].Priority = rank[raw[i]];
        }
    }
}
