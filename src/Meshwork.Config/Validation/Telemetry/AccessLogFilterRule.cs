namespace Meshwork.Config.Validation.Telemetry;

/// <summary>Access log filters are CEL expressions (Istio's validateTelemetryFilter parses them with cel-go).</summary>
public sealed class AccessLogFilterRule : SpecRule<Config.Telemetry.Telemetry>
{
    protected override void Check(Config.Telemetry.Telemetry spec, RuleContext context)
    {
        for (var i = 0; i < spec.AccessLogging.Count; i++)
        {
            if (spec.AccessLogging[i].Filter is { } filter && CelSyntax.Error(filter.Expression) is { } error)
            {
                context.Error($"spec.accessLogging[{i}].filter.expression", $"must be a valid CEL expression, {error}");
            }
        }
    }
}
