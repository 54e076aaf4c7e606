using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// The shape of each traffic policy: something set, not tunnel with proxyProtocol, and every
/// port-level entry naming a port and setting something. Istio checks no further into a policy
/// that fails here; a port listed twice is accepted, but only its first entry ever applies.
/// </summary>
public sealed class TrafficPolicyShapeRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var (path, policy) in DestinationRulePolicies.All(spec))
        {
            if (DestinationRulePolicies.ShapeError(policy) is { } error)
            {
                context.Error(path, error);
                continue;
            }

            var firstByPort = new Dictionary<uint, int>();
            for (var j = 0; j < policy.PortLevelSettings.Count; j++)
            {
                var entry = policy.PortLevelSettings[j];
                var at = $"{path}.portLevelSettings[{j}]";
                if (entry.Port == null)
                {
                    context.Error(at + ".port", "portTrafficPolicy must have valid port");
                }
                else if (!firstByPort.TryAdd(entry.Port.Number, j))
                {
                    context.Warning(at + ".port.number", $"duplicate port {entry.Port.Number}: only the first entry for it (portLevelSettings[{firstByPort[entry.Port.Number]}]) applies");
                }

                if (DestinationRulePolicies.IsEmpty(entry))
                {
                    context.Error(at, "port traffic policy must have at least one field");
                }
            }
        }
    }
}
