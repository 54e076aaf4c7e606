namespace Meshwork.Config.Validation.Telemetry;

/// <summary>The validation rules for Telemetry resources, in the order they run.</summary>
public static class TelemetryRules
{
    public static IReadOnlyList<IValidationRule> All { get; } =
    [
    ];
}
