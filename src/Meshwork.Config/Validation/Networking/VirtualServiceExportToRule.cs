using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// VirtualService exportTo (validateExportTo): <c>.</c>, <c>*</c> or namespace names, no duplicates
/// (<c>.</c> counts as the resource's own namespace), and <c>*</c> alone.
/// </summary>
public sealed class VirtualServiceExportToRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.ExportTo.Count; i++)
        {
            var entry = spec.ExportTo[i];
            var key = entry == "." ? context.Namespace : entry;
            var path = $"spec.exportTo[{i}]";
            if (seen.Contains(key))
            {
                context.Error(path, key != entry
                    ? $"duplicate entries in exportTo: . and current namespace {context.Namespace}"
                    : $"duplicate entries in exportTo for entry {entry}");
            }
            else if (Visibility(key) is { } error)
            {
                context.Error(path, error);
            }
            else
            {
                seen.Add(key);
            }
        }

        if (seen.Contains("*") && spec.ExportTo.Count > 1)
        {
            context.Error("spec.exportTo", "cannot have both public (*) and non-public exportTo values for a resource");
        }
    }

    /// <summary>visibility.Instance.Validate.</summary>
    private static string? Visibility(string value) => value switch
    {
        "." or "*" => null,
        "~" => "exportTo ~ (none) is not allowed for Istio configuration objects",
        _ when Checks.IsDns1123Label(value) => null,
        _ => $"invalid exportTo entry \"{value}\": only ., * or a namespace name (a DNS-1123 label) is allowed",
    };
}
