using Meshwork.Config.Security;

namespace Meshwork.Config.Validation.Security;

/// <summary>
/// PeerAuthentication port-level mTLS (Istio's ValidatePeerAuthentication): ports are container
/// ports, so overrides need a workload selector to say whose ports they are.
/// </summary>
public sealed class PortLevelMtlsRule : SpecRule<PeerAuthentication>
{
    protected override void Check(PeerAuthentication spec, RuleContext context)
    {
        var emptySelector = spec.Selector == null || spec.Selector.MatchLabels.IsEmpty;
        if (emptySelector && !spec.PortLevelMtls.IsEmpty)
        {
            context.Error("spec.portLevelMtls", "mesh/namespace peer authentication cannot have port level mTLS; set selector.matchLabels");
        }

        if (spec.PortLevelMtls.IsEmpty && context.IsSet("spec.portLevelMtls"))
        {
            context.Error("spec.portLevelMtls", "port level mTLS, if defined, must have at least one element");
        }

        foreach (var port in spec.PortLevelMtls.Keys)
        {
            if (Checks.Port(port) is { } error)
            {
                context.Error($"spec.portLevelMtls[{port}]", error);
            }
        }
    }
}
