using System.Globalization;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Retry budget: the CRD bounds percent to [0, 100]; a budget interval, when not 0 (Envoy's
/// "count only in-flight requests"), is a duration of at least 1ms.
/// </summary>
public sealed class TrafficPolicyRetryBudgetRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var (policyPath, policy) in DestinationRulePolicies.WellShaped(spec))
        {
            if (policy.RetryBudget is not { } budget)
            {
                continue;
            }

            var path = policyPath + ".retryBudget";
            if (budget.Percent is { } percent && percent is < 0 or > 100)
            {
                context.Error(path + ".percent", $"percent must be in range 0..100, got {percent.ToString(CultureInfo.InvariantCulture)}");
            }

            if (budget.BudgetInterval is { } interval && interval != TimeSpan.Zero)
            {
                TrafficPolicyDuration.Check(context, path + ".budgetInterval", interval);
            }
        }
    }
}
