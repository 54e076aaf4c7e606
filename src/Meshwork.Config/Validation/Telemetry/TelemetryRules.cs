using Meshwork.Config.Validation.Security;

namespace Meshwork.Config.Validation.Telemetry;

/// <summary>The validation rules for Telemetry resources, in the order they run.</summary>
public static class TelemetryRules
{
    public static IReadOnlyList<IValidationRule> All { get; } =
    [
        new PolicyTargetRule<Config.Telemetry.Telemetry>(s => s.Selector, s => s.TargetRef, s => s.TargetRefs),
        new TelemetryProvidersRule(),
        new MetricsOverridesRule(),
        new TracingRule(),
        new AccessLogFilterRule(),
    ];
}
