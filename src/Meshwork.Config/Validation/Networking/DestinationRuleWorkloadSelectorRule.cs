using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>The workload selector: no empty keys, no wildcards; an empty selector is only a warning (Istio's validateWorkloadSelector).</summary>
public sealed class DestinationRuleWorkloadSelectorRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        if (spec.WorkloadSelector is not { } selector)
        {
            return;
        }

        foreach (var (key, value) in selector.MatchLabels)
        {
            var path = $"spec.workloadSelector.matchLabels[{key}]";
            if (key.Length == 0)
            {
                context.Error(path, $"empty key is not supported in selector: \"{key}={value}\"");
            }

            if (key.Contains('*', StringComparison.Ordinal) || value.Contains('*', StringComparison.Ordinal))
            {
                context.Error(path, $"wildcard is not supported in selector: \"{key}={value}\"");
            }
        }

        if (selector.MatchLabels.Count == 0)
        {
            context.Warning("spec.workloadSelector", "workload selector specified without labels");
        }
    }
}
