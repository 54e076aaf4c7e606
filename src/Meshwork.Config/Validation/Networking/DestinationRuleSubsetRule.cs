using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>Subsets: unique DNS-1123 label names and valid endpoint labels (Istio's validateSubset).</summary>
public sealed class DestinationRuleSubsetRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Subsets.Count; i++)
        {
            var subset = spec.Subsets[i];
            var path = $"spec.subsets[{i}]";
            if (!names.TryAdd(subset.Name, i))
            {
                context.Error(path + ".name", $"duplicate subset name \"{subset.Name}\" (also subsets[{names[subset.Name]}])");
            }

            if (subset.Name.Length == 0)
            {
                context.Error(path + ".name", "subset name cannot be empty");
            }
            else if (!Checks.IsDns1123Label(subset.Name))
            {
                context.Error(path + ".name", $"subset name is invalid: \"{subset.Name}\" is not a DNS-1123 label");
            }

            foreach (var (key, message) in Checks.Labels(subset.Labels))
            {
                context.Error($"{path}.labels[{key}]", message);
            }
        }
    }
}
