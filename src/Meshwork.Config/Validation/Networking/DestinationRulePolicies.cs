using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>The load balancer, pool, outlier detection and TLS of one policy (destination-, subset- or port-level), with its path.</summary>
internal readonly record struct PolicyParts(
    string Path,
    LoadBalancerSettings? LoadBalancer,
    ConnectionPoolSettings? ConnectionPool,
    OutlierDetection? OutlierDetection,
    ClientTlsSettings? Tls);

/// <summary>
/// Finds the traffic policies of a DestinationRule (destination-level, then per subset) and their
/// port-level overrides. Istio stops checking a policy whose shape is wrong (no field set, tunnel
/// with proxyProtocol), so the content rules walk only the well-shaped ones and report nothing twice.
/// </summary>
internal static class DestinationRulePolicies
{
    /// <summary>Every traffic policy, well-shaped or not.</summary>
    public static IEnumerable<(string Path, TrafficPolicy Policy)> All(DestinationRule spec)
    {
        if (spec.TrafficPolicy != null)
        {
            yield return ("spec.trafficPolicy", spec.TrafficPolicy);
        }

        for (var i = 0; i < spec.Subsets.Count; i++)
        {
            if (spec.Subsets[i].TrafficPolicy is { } policy)
            {
                yield return ($"spec.subsets[{i}].trafficPolicy", policy);
            }
        }
    }

    /// <summary>The policies whose contents Istio goes on to check.</summary>
    public static IEnumerable<(string Path, TrafficPolicy Policy)> WellShaped(DestinationRule spec) =>
        All(spec).Where(p => ShapeError(p.Policy) == null);

    /// <summary>Each well-shaped policy's own settings, then those of its port-level entries that set anything.</summary>
    public static IEnumerable<PolicyParts> Parts(DestinationRule spec)
    {
        foreach (var (path, policy) in WellShaped(spec))
        {
            yield return new PolicyParts(path, policy.LoadBalancer, policy.ConnectionPool, policy.OutlierDetection, policy.Tls);
            for (var j = 0; j < policy.PortLevelSettings.Count; j++)
            {
                var port = policy.PortLevelSettings[j];
                if (!IsEmpty(port))
                {
                    yield return new PolicyParts($"{path}.portLevelSettings[{j}]", port.LoadBalancer, port.ConnectionPool, port.OutlierDetection, port.Tls);
                }
            }
        }
    }

    /// <summary>Istio's two early exits of validateTrafficPolicy, or null when the policy's contents get checked.</summary>
    public static string? ShapeError(TrafficPolicy policy)
    {
        if (policy.LoadBalancer == null && policy.ConnectionPool == null && policy.OutlierDetection == null && policy.Tls == null
            && policy.PortLevelSettings.Count == 0 && policy.Tunnel == null && policy.ProxyProtocol == null && policy.RetryBudget == null)
        {
            return "traffic policy must have at least one field";
        }

        return policy.Tunnel != null && policy.ProxyProtocol != null ? "tunnel and proxyProtocol must not be set together" : null;
    }

    public static bool IsEmpty(PortTrafficPolicy policy) =>
        policy.LoadBalancer == null && policy.ConnectionPool == null && policy.OutlierDetection == null && policy.Tls == null;
}
