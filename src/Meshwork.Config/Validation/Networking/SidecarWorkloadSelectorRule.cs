using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// The workload selector (Istio's ValidateAlphaWorkloadSelector) and the one check that follows it:
/// a Sidecar must configure something. A selector without labels selects the whole namespace: a warning.
/// </summary>
public sealed class SidecarWorkloadSelectorRule : SpecRule<Sidecar>
{
    protected override void Check(Sidecar spec, RuleContext context)
    {
        var errors = SidecarPreconditions.SelectorErrors(spec).ToList();
        foreach (var (path, message) in errors)
        {
            context.Error(path, message);
        }

        if (errors.Count > 0)
        {
            return;
        }

        if (SidecarPreconditions.IsEmpty(spec))
        {
            context.Error("spec", "empty configuration provided: set at least one of ingress, egress, outboundTrafficPolicy, inboundConnectionPool");
            return;
        }

        if (spec.WorkloadSelector is { Labels.Count: 0 })
        {
            context.Warning("spec.workloadSelector", "workload selector specified without labels, will be applied to all services in namespace");
        }
    }
}
