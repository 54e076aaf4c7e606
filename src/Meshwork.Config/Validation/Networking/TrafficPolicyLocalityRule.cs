using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Locality load balancing (Istio's agent.ValidateLocalityLbSetting): distribute or failover but
/// not both, weights in [1, 100] summing to 100, non-overlapping localities with a trailing
/// wildcard only, region-only failover, and a warning when failover has no outlier detection.
/// </summary>
public sealed class TrafficPolicyLocalityRule : SpecRule<DestinationRule>
{
    private static readonly HashSet<string> TopologyLabels =
        ["topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"];

    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var parts in DestinationRulePolicies.Parts(spec))
        {
            if (parts.LoadBalancer?.LocalityLbSetting is { } locality)
            {
                CheckLocality(context, parts.Path + ".loadBalancer.localityLbSetting", locality, parts.OutlierDetection);
            }
        }
    }

    private static void CheckLocality(RuleContext context, string path, LocalityLoadBalancerSetting lb, OutlierDetection? outlier)
    {
        if (lb.Distribute.Count > 0 && lb.Failover.Count > 0)
        {
            context.Error(path, "can not simultaneously specify 'distribute' and 'failover'");
            return;
        }

        if (lb.Failover.Count > 0)
        {
            for (var i = 0; i < lb.FailoverPriority.Count; i++)
            {
                if (TopologyLabels.Contains(lb.FailoverPriority[i]))
                {
                    context.Error($"{path}.failoverPriority[{i}]", $"can not simultaneously set 'failover' and topology label '{lb.FailoverPriority[i]}' in 'failover_priority'");
                    return;
                }
            }
        }

        var sources = new List<(string Path, string Locality)>();
        for (var i = 0; i < lb.Distribute.Count; i++)
        {
            var distribute = lb.Distribute[i];
            var at = $"{path}.distribute[{i}]";
            sources.Add((at + ".from", distribute.From));
            uint total = 0;
            var destinations = new List<(string Path, string Locality)>();
            foreach (var (to, weight) in distribute.To)
            {
                destinations.Add(($"{at}.to[{to}]", to));
                if (weight is 0 or > 100)
                {
                    context.Error($"{at}.to[{to}]", $"locality weight must be in range [1, 100], got {weight}");
                    return;
                }

                total += weight;
            }

            if (total != 100)
            {
                context.Error(at + ".to", $"total locality weight {total} != 100");
                return;
            }

            ReportLocalities(context, destinations);
        }

        ReportLocalities(context, sources);

        if ((lb.Failover.Count > 0 || lb.FailoverPriority.Count > 0) && outlier == null)
        {
            context.Warning(path, "outlier detection policy must be provided for failover");
        }

        for (var i = 0; i < lb.Failover.Count; i++)
        {
            var failover = lb.Failover[i];
            var at = $"{path}.failover[{i}]";
            if (failover.From == failover.To)
            {
                context.Error(at, "locality lb failover settings must specify different regions");
            }

            if (failover.From.Contains('/', StringComparison.Ordinal) || failover.To.Contains('/', StringComparison.Ordinal))
            {
                context.Error(at, "locality lb failover only specify region");
            }

            if (failover.From.Contains('*', StringComparison.Ordinal) || failover.To.Contains('*', StringComparison.Ordinal))
            {
                context.Error(at, "locality lb failover region should not contain '*' wildcard");
            }
        }
    }

    private static void ReportLocalities(RuleContext context, List<(string Path, string Locality)> localities)
    {
        if (LocalitiesError(localities) is { } error)
        {
            context.Error(error.Path, error.Message);
        }
    }

    /// <summary>Istio's validateLocalities: the first locality that is malformed or overlaps an earlier one.</summary>
    private static (string Path, string Message)? LocalitiesError(List<(string Path, string Locality)> localities)
    {
        // region -> zone -> subzones; "*" at a level means the whole level is taken.
        var taken = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        foreach (var (path, locality) in localities)
        {
            var stars = locality.Count(c => c == '*');
            if (stars > 1 || (stars == 1 && !locality.EndsWith('*')))
            {
                return (path, $"locality {locality} wildcard '*' number can not exceed 1 and must be in the end");
            }

            var overlap = (path, $"locality {locality} overlap with previous specified ones");
            if (taken.ContainsKey("*"))
            {
                return overlap;
            }

            var items = locality.Split('/', 3);
            if (items.Any(item => item.Length == 0))
            {
                return (path, $"locality {locality} must not contain empty region/zone/subzone info");
            }

            var region = items[0];
            switch (items.Length)
            {
                case 1:
                    if (taken.ContainsKey(region))
                    {
                        return overlap;
                    }

                    taken[region] = new(StringComparer.Ordinal) { ["*"] = ["*"] };
                    break;
                case 2:
                    if (taken.TryGetValue(region, out var zones))
                    {
                        if (zones.ContainsKey("*") || zones.ContainsKey(items[1]))
                        {
                            return overlap;
                        }

                        zones[items[1]] = ["*"];
                    }
                    else
                    {
                        taken[region] = new(StringComparer.Ordinal) { [items[1]] = ["*"] };
                    }

                    break;
                default:
                    if (taken.TryGetValue(region, out var regionZones))
                    {
                        if (regionZones.ContainsKey("*"))
                        {
                            return overlap;
                        }

                        if (regionZones.TryGetValue(items[1], out var subzones))
                        {
                            if (subzones.Contains("*") || !subzones.Add(items[2]))
                            {
                                return overlap;
                            }
                        }
                        else
                        {
                            regionZones[items[1]] = [items[2]];
                        }
                    }
                    else
                    {
                        taken[region] = new(StringComparer.Ordinal) { [items[1]] = [items[2]] };
                    }

                    break;
            }
        }

        return null;
    }
}
