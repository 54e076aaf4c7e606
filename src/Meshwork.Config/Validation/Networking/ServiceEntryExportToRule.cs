using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateExportTo for a ServiceEntry: entries are <c>.</c>, <c>*</c>, <c>~</c> (visible to no
/// one but the service's own proxies) or namespace names, without duplicates (<c>.</c> counts as the
/// resource's namespace), and neither <c>*</c> nor <c>~</c> alongside other entries.
/// </summary>
public sealed class ServiceEntryExportToRule : SpecRule<ServiceEntry>
{
    protected override void Check(ServiceEntry spec, RuleContext context)
    {
        var exportTo = spec.ExportTo;
        if (exportTo.IsEmpty)
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < exportTo.Count; i++)
        {
            var entry = exportTo[i];
            var key = entry == "." ? context.Namespace : entry;
            var path = $"spec.exportTo[{i}]";
            if (seen.Contains(key))
            {
                context.Error(path, key != entry
                    ? $"duplicate entries in exportTo: . and current namespace {context.Namespace}"
                    : $"duplicate entries in exportTo for entry {entry}");
            }
            else if (entry == "~" || key == "*" || Checks.IsDns1123Label(key))
            {
                seen.Add(key);
            }
            else
            {
                context.Error(path, $"invalid exportTo entry \"{entry}\": only ., *, ~ or a namespace name (DNS-1123 label) is allowed");
            }
        }

        if (seen.Contains("*") && exportTo.Count > 1)
        {
            context.Error("spec.exportTo", "cannot have both public (*) and non-public exportTo values for a resource");
        }

        if (seen.Contains("~") && exportTo.Count > 1)
        {
            context.Error("spec.exportTo", "cannot export service entry to no one (~) and someone");
        }
    }
}
