using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// exportTo entries (Istio's validateExportTo for a non-ServiceEntry): <c>.</c>, <c>*</c> or a
/// namespace, no duplicates, <c>*</c> alone, and a rule with a workload selector only in its own namespace.
/// </summary>
public sealed class DestinationRuleExportToRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        if (spec.ExportTo.Count == 0)
        {
            return;
        }

        var exported = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.ExportTo.Count; i++)
        {
            var entry = spec.ExportTo[i];
            var path = $"spec.exportTo[{i}]";

            // "." means the rule's own namespace, so ". and default" in namespace default is a duplicate.
            var key = entry == "." ? context.Namespace : entry;
            if (exported.Contains(key))
            {
                context.Error(path, key != entry
                    ? $"duplicate entries in exportTo: . and current namespace {context.Namespace}"
                    : $"duplicate entries in exportTo for entry {entry}");
            }
            else if (VisibilityError(key) is { } error)
            {
                context.Error(path, error);
            }
            else
            {
                exported.Add(key);
            }
        }

        if (spec.WorkloadSelector != null && exported.Count > 0)
        {
            if (!exported.Contains(context.Namespace))
            {
                context.Error("spec.exportTo", "destination rule with workload selector cannot have exportTo beyond current namespace");
            }
            else if (exported.Count > 1)
            {
                context.Error("spec.exportTo", "destination rule with workload selector cannot have multiple entries in exportTo");
            }
        }

        if (exported.Contains("*") && spec.ExportTo.Count > 1)
        {
            context.Error("spec.exportTo", "cannot have both public (*) and non-public exportTo values for a resource");
        }
    }

    /// <summary>Istio's visibility.Instance.Validate.</summary>
    private static string? VisibilityError(string entry) => entry switch
    {
        "." or "*" => null,
        "~" => "exportTo ~ (none) is not allowed for Istio configuration objects",
        _ when Checks.IsDns1123Label(entry) => null,
        _ => $"only ., *, or a valid DNS 1123 label is allowed as exportTo entry, got \"{entry}\"",
    };
}
