using Envoy.Config.Endpoint.V3;
using Meshwork.Config.Networking;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.LocalityLoadBalancing;

/// <summary>
/// <c>distribute</c> (Istio's applyLocalityWeights): the first rule whose <c>from</c> matches the
/// proxy's locality sets the locality weights. Each <c>to</c> entry's percentage is split over the
/// localities it matches (not yet claimed by an earlier entry) in proportion to their own weights,
/// rounded up; localities no entry matches keep their weight but lose their endpoints, so no
/// traffic goes there. Priorities are left alone.
/// </summary>
public static class LocalityWeights
{
    public static void Apply(ClusterLoadAssignment assignment, WorkloadLocality proxy, IReadOnlyList<LocalityDistribute> distribute)
    {
        var rule = distribute.FirstOrDefault(d => proxy.Matches(d.From));
        if (rule == null)
        {
            return;
        }

        var groups = assignment.Endpoints;
        var unmatched = new SortedSet<int>(Enumerable.Range(0, groups.Count));
        foreach (var (destination, percent) in rule.To)
        {
            var matched = unmatched.Where(i => WorkloadLocality.From(groups[i].Locality).Matches(destination)).ToList();
            var original = matched.ToDictionary(i => i, i => (ulong)(groups[i].LoadBalancingWeight ?? 1));
            var total = original.Values.Aggregate(0UL, (sum, w) => sum + w);
            foreach (var i in matched)
            {
                unmatched.Remove(i);
                var weight = Math.Ceiling(original[i] * (double)percent / total);
                if (weight > 0)
                {
                    groups[i].LoadBalancingWeight = (uint)Math.Min(uint.MaxValue, weight);
                }
            }
        }

        foreach (var i in unmatched)
        {
            groups[i].LbEndpoints.Clear();
        }
    }
}
