using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>Outlier detection (Istio's validateOutlierDetection), with its warning on the deprecated consecutiveErrors.</summary>
public sealed class TrafficPolicyOutlierDetectionRule : SpecRule<DestinationRule>
{
    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var parts in DestinationRulePolicies.Parts(spec))
        {
            if (parts.OutlierDetection is not { } outlier)
            {
                continue;
            }

            var path = parts.Path + ".outlierDetection";
            TrafficPolicyDuration.Check(context, path + ".baseEjectionTime", outlier.BaseEjectionTime);
            if (outlier.ConsecutiveErrors != 0)
            {
                context.Warning(path + ".consecutiveErrors", "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead");
            }

            if (!outlier.SplitExternalLocalOriginErrors && outlier.ConsecutiveLocalOriginFailures > 0)
            {
                context.Error(path + ".consecutiveLocalOriginFailures", "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false");
            }

            TrafficPolicyDuration.Check(context, path + ".interval", outlier.Interval);
            if (Checks.Percent(outlier.MaxEjectionPercent) is { } maxError)
            {
                context.Error(path + ".maxEjectionPercent", maxError);
            }

            if (Checks.Percent(outlier.MinHealthPercent) is { } minError)
            {
                context.Error(path + ".minHealthPercent", minError);
            }
        }
    }
}
