using Meshwork.Config.Telemetry;

namespace Meshwork.Config.Validation.Telemetry;

/// <summary>
/// Metric overrides (Istio's validateTelemetryMetrics and the Telemetry CRD): tag overrides whose
/// value matches the operation, non-empty custom metric names, and a reporting interval of at least 1ms.
/// </summary>
public sealed class MetricsOverridesRule : SpecRule<Config.Telemetry.Telemetry>
{
    protected override void Check(Config.Telemetry.Telemetry spec, RuleContext context)
    {
        for (var i = 0; i < spec.Metrics.Count; i++)
        {
            var metrics = spec.Metrics[i];
            var path = $"spec.metrics[{i}]";
            if (metrics.ReportingInterval is { } interval && interval < TimeSpan.FromMilliseconds(1))
            {
                context.Error($"{path}.reportingInterval", "duration must be greater than 1ms");
            }

            for (var j = 0; j < metrics.Overrides.Count; j++)
            {
                CheckOverride(metrics.Overrides[j], $"{path}.overrides[{j}]", context);
            }
        }
    }

    private static void CheckOverride(MetricsOverrides overrides, string path, RuleContext context)
    {
        foreach (var (name, tag) in overrides.TagOverrides)
        {
            var tagPath = $"{path}.tagOverrides[{name}]";
            if (name.Length == 0)
            {
                context.Warning(tagPath, "tag name may not be empty");
            }

            if (tag == null)
            {
                context.Error(tagPath, "tag override may not be null");
            }
            else if (tag.Operation == TagOperation.Upsert && tag.Value.Length == 0)
            {
                context.Error(tagPath, "value must be set when operation is UPSERT");
            }
            else if (tag.Operation == TagOperation.Remove && tag.Value.Length > 0)
            {
                context.Error($"{tagPath}.value", "may only be set when operation is UPSERT");
            }
        }

        if (overrides.Match?.CustomMetric is { Length: 0 })
        {
            context.Error($"{path}.match.customMetric", "may not be empty");
        }
    }
}
