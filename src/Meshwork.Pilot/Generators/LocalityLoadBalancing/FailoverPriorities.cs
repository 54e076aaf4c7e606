using Envoy.Config.Endpoint.V3;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.Endpoints;

namespace Meshwork.Pilot.Generators.LocalityLoadBalancing;

/// <summary>
/// <c>failoverPriority</c> (Istio's applyFailoverPriorities): an ordered list of label keys, each
/// optionally <c>key=value</c> to compare endpoints with that value instead of the proxy's own.
/// An endpoint matching every label gets priority 0; one whose first mismatch is the label at
/// index j of n gets n - j, so the earlier the mismatch the lower the priority. Each locality is
/// split into one group per priority its endpoints have (weights re-summed), then all priorities
/// are renumbered from 0 without gaps.
/// </summary>
public static class FailoverPriorities
{
    private const char OverrideSeparator = '=';

    /// <summary>Does nothing without proxy labels or endpoints to compare, as Istio.</summary>
    public static void Apply(ClusterLoadAssignment assignment, IReadOnlyList<LocalityGroup> groups, ValueMap<string, string> proxyLabels, IReadOnlyList<string> failoverPriority)
    {
        if (proxyLabels.IsEmpty || groups.Count == 0)
        {
            return;
        }

        var labels = Parse(failoverPriority);
        var split = groups.SelectMany(g => Split(g, labels, proxyLabels)).ToList();
        PriorityLevels.Renumber(split, split.Select(g => g.Priority).ToList());
        assignment.Endpoints.Clear();
        assignment.Endpoints.AddRange(split);
    }

    /// <summary>The raw priority of an endpoint with <paramref name="endpointLabels"/>: 0 when every label matches, else n minus the index of the first mismatch.</summary>
    public static uint PriorityOf(IReadOnlyList<(string Key, string? Value)> labels, ValueMap<string, string> proxyLabels, IReadOnlyDictionary<string, string> endpointLabels)
    {
        for (var j = 0; j < labels.Count; j++)
        {
            var (key, overridden) = labels[j];
            var wanted = overridden ?? proxyLabels.GetValueOrDefault(key, string.Empty);
            if (wanted != endpointLabels.GetValueOrDefault(key, string.Empty))
            {
                return (uint)(labels.Count - j);
            }
        }

        return 0;
    }

    /// <summary>Istio's priorityLabelOverrides: <c>key</c>, or <c>key=value</c> (exactly one <c>=</c>) to compare with <c>value</c>.</summary>
    public static IReadOnlyList<(string Key, string? Value)> Parse(IReadOnlyList<string> failoverPriority) =>
        failoverPriority
            .Select(entry => entry.Split(OverrideSeparator))
            .Select(parts => (parts[0], parts.Length == 2 ? parts[1] : null))
            .ToList();

    /// <summary>Istio's applyFailoverPriorityPerLocality: one copy of the locality per raw priority, in increasing order.</summary>
    private static IEnumerable<LocalityLbEndpoints> Split(LocalityGroup group, IReadOnlyList<(string Key, string? Value)> labels, ValueMap<string, string> proxyLabels)
    {
        var byPriority = group.Sources
            .Select((endpoint, index) => (Priority: PriorityOf(labels, proxyLabels, endpoint.Labels), Index: index))
            .GroupBy(e => e.Priority)
            .OrderBy(g => g.Key);
        foreach (var level in byPriority)
        {
            var copy = group.Envoy.Clone();
            copy.LbEndpoints.Clear();
            copy.LbEndpoints.AddRange(level.Select(e => group.Envoy.LbEndpoints[e.Index]));
            copy.Priority = level.Key;
            copy.LoadBalancingWeight = (uint)Math.Min(uint.MaxValue, copy.LbEndpoints.Sum(e => (long)(e.LoadBalancingWeight ?? 0)));
            yield return copy;
        }
    }
}
