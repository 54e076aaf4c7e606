using EnvoyLocality = Envoy.Config.Core.V3.Locality;

namespace Meshwork.Pilot.Model;

/// <summary>
/// Where a workload runs: region, zone and subzone, any of them possibly empty. Istio writes it as
/// the label <c>region/zone/subzone</c>; locality load balancing compares a proxy's locality with
/// its endpoints' and with the localities a DestinationRule names (which may end in <c>*</c>).
/// </summary>
public sealed record WorkloadLocality(string Region, string Zone, string SubZone)
{
    public static WorkloadLocality Empty { get; } = new(string.Empty, string.Empty, string.Empty);

    public bool IsEmpty => Region.Length == 0 && Zone.Length == 0 && SubZone.Length == 0;

    /// <summary>Istio's SplitLocalityLabel: up to three <c>/</c>-separated parts, the rest empty.</summary>
    public static WorkloadLocality Parse(string label)
    {
        if (label.Length == 0)
        {
            return Empty;
        }

        var parts = label.Split('/');
        return new WorkloadLocality(parts[0], parts.ElementAtOrDefault(1) ?? string.Empty, parts.ElementAtOrDefault(2) ?? string.Empty);
    }

    public static WorkloadLocality From(EnvoyLocality? locality) =>
        locality == null ? Empty : new WorkloadLocality(locality.Region, locality.Zone, locality.SubZone);

    /// <summary>
    /// Istio's LocalityMatch: the rule's region must be equal or <c>*</c>; a zone or subzone the
    /// rule leaves out (or writes as <c>*</c>) matches any.
    /// </summary>
    public bool Matches(string rule)
    {
        var (region, zone, subZone) = Parse(rule);
        return (region == "*" || region == Region)
            && (zone is "*" or "" || zone == Zone)
            && (subZone is "*" or "" || subZone == SubZone);
    }

    /// <summary>Istio's LocalityToString: <c>region/zone/subzone</c>, stopping at the first empty part after the region.</summary>
    public override string ToString() =>
        Zone.Length == 0 ? Region : SubZone.Length == 0 ? $"{Region}/{Zone}" : $"{Region}/{Zone}/{SubZone}";
}
