using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Model;

/// <summary>
/// Which parts of a DestinationRule's traffic policy apply to one port and one subset, by Istio's
/// rules (networking/util GetPortLevelTrafficPolicy and MergeSubsetTrafficPolicy): a port-level
/// setting replaces the whole top-level policy (what it leaves out falls back to the defaults, not to
/// the top level), and a subset's policy overrides the top level field by field, except that a subset
/// port-level setting replaces all four fields.
/// </summary>
public static class TrafficPolicies
{
    /// <summary>The policy for <paramref name="port"/>: its port-level setting when one names the port, else the policy itself.</summary>
    public static TrafficPolicy? ForPort(TrafficPolicy? policy, uint port) => ForPort(policy, port, out _);

    /// <summary>The policy for one subset on one port: the subset's, merged over the destination's.</summary>
    public static TrafficPolicy? ForSubset(TrafficPolicy? destination, TrafficPolicy? subset, uint port)
    {
        var original = ForPort(destination, port);
        if (subset == null)
        {
            return original;
        }

        var own = ForPort(subset, port, out var portLevel);
        if (original == null)
        {
            return own;
        }

        own ??= new TrafficPolicy();
        return new TrafficPolicy
        {
            ConnectionPool = own.ConnectionPool != null || portLevel ? own.ConnectionPool : original.ConnectionPool,
            OutlierDetection = own.OutlierDetection != null || portLevel ? own.OutlierDetection : original.OutlierDetection,
            LoadBalancer = own.LoadBalancer != null || portLevel ? own.LoadBalancer : original.LoadBalancer,
            Tls = own.Tls != null || portLevel ? own.Tls : original.Tls,
            Tunnel = own.Tunnel ?? original.Tunnel,
            ProxyProtocol = own.ProxyProtocol ?? original.ProxyProtocol,
            RetryBudget = own.RetryBudget ?? original.RetryBudget,
        };
    }

    private static TrafficPolicy? ForPort(TrafficPolicy? policy, uint port, out bool portLevel)
    {
        portLevel = false;
        if (policy == null)
        {
            return null;
        }

        var settings = policy.PortLevelSettings.FirstOrDefault(p => p.Port != null && p.Port.Number == port);
        if (settings == null)
        {
            return policy with { PortLevelSettings = default };
        }

        portLevel = true;
        return new TrafficPolicy
        {
            ConnectionPool = settings.ConnectionPool,
            LoadBalancer = settings.LoadBalancer,
            OutlierDetection = settings.OutlierDetection,
            Tls = settings.Tls,
        };
    }
}
