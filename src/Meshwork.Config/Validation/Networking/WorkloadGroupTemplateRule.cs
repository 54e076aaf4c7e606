using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's ValidateWorkloadGroup, template and metadata part: a template is required (its fields are
/// not checked as a WorkloadEntry: address and labels are filled per instance) and the metadata labels
/// must be valid. The template's ports are held to the CRD's schema (names DNS labels, numbers in
/// 1..65535), which the API server enforces before Istio's webhook sees the resource. Warnings, beyond
/// Istio: template fields the API says must be left unset, and annotation keys Kubernetes would refuse
/// on the generated WorkloadEntries.
/// </summary>
public sealed class WorkloadGroupTemplateRule : SpecRule<WorkloadGroup>
{
    protected override void Check(WorkloadGroup spec, RuleContext context)
    {
        if (spec.Template is not { } template)
        {
            context.Error("spec.template", "template is required");
        }
        else
        {
            WorkloadEntryChecks.CheckPorts(template, "spec.template", servicePorts: null, context);
            if (template.Address.Length > 0)
            {
                context.Warning("spec.template.address", "address should not be set in the template: each WorkloadEntry gets its own");
            }

            if (!template.Labels.IsEmpty)
            {
                context.Warning("spec.template.labels", "labels should be set in metadata.labels, not in the template");
            }
        }

        if (spec.Metadata is not { } metadata)
        {
            return;
        }

        foreach (var (key, message) in Checks.Labels(metadata.Labels))
        {
            context.Error($"spec.metadata.labels[{key}]", $"invalid labels: {message}");
        }

        foreach (var (key, _) in metadata.Annotations)
        {
            if (Checks.LabelKey(key) is { } message)
            {
                context.Warning($"spec.metadata.annotations[{key}]", message.Replace("tag key", "annotation key", StringComparison.Ordinal));
            }
        }
    }
}
