using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Gateway selector labels. Istio accepts any map here, so these are warnings only: a key or value
/// that is not a valid Kubernetes label can never match a gateway workload's labels.
/// </summary>
public sealed class GatewaySelectorRule : SpecRule<Gateway>
{
    protected override void Check(Gateway spec, RuleContext context)
    {
        foreach (var (key, message) in Checks.Labels(spec.Selector))
        {
            context.Warning($"spec.selector[{key}]", $"{message}: the selector can never match a workload");
        }
    }
}
