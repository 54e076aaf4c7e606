using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's ValidateWorkloadEntry (with FQDN addresses allowed, since the resolution of a service
/// selecting the entry is not known here), plus the CRD's length limit on <c>serviceAccount</c>.
/// </summary>
public sealed class WorkloadEntryRule : SpecRule<WorkloadEntry>
{
    /// <summary>The CRD's maxLength: a Kubernetes service account name.</summary>
    private const int MaxServiceAccountLength = 253;

    protected override void Check(WorkloadEntry spec, RuleContext context)
    {
        WorkloadEntryChecks.Check(spec, "spec", servicePorts: null, allowFqdn: true, context);
        if (spec.ServiceAccount.Length > MaxServiceAccountLength)
        {
            context.Error("spec.serviceAccount", $"must be at most {MaxServiceAccountLength} characters, got {spec.ServiceAccount.Length}");
        }
    }
}
