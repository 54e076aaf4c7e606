using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>Connection pool limits of every traffic policy and port-level override (Istio's validateConnectionPool).</summary>
public sealed class TrafficPolicyConnectionPoolRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var parts in DestinationRulePolicies.Parts(spec))
        {
            TrafficPolicyConnectionPoolChecks.Check(context, parts.Path + ".connectionPool", parts.ConnectionPool);
        }
    }
}
