namespace Meshwork.Config.Validation.Telemetry;

/// <summary>
/// Tracing overrides (Istio's validateTelemetryTracing): sampling within 0..100, custom tags with
/// a name and a value source, and warnings where Istio honours only the first entry.
/// </summary>
public sealed class TracingRule : SpecRule<Config.Telemetry.Telemetry>
{
    protected override void Check(Config.Telemetry.Telemetry spec, RuleContext context)
    {
        if (spec.Tracing.Count > 1)
        {
            context.Warning("spec.tracing", "multiple tracing is not currently supported; only the first entry is used");
        }

        for (var i = 0; i < spec.Tracing.Count; i++)
        {
            var tracing = spec.Tracing[i];
            var path = $"spec.tracing[{i}]";
            if (tracing.Providers.Count > 1)
            {
                context.Warning($"{path}.providers", "multiple providers is not currently supported; only the first provider is used");
            }

            if (tracing.RandomSamplingPercentage is { } sampling && (sampling < 0 || sampling > 100))
            {
                context.Error($"{path}.randomSamplingPercentage", $"must be in range [0.0, 100.0], got {sampling.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
            }

            foreach (var (name, tag) in tracing.CustomTags)
            {
                var tagPath = $"{path}.customTags[{name}]";
                if (name.Length == 0)
                {
                    context.Error(tagPath, "tag name may not be empty");
                }

                if (tag == null)
                {
                    context.Error(tagPath, "tag may not have a nil value");
                }
                else if (tag.Literal is { Value.Length: 0 })
                {
                    context.Error($"{tagPath}.literal.value", "may not be empty");
                }
                else if (tag.Header is { Name.Length: 0 })
                {
                    context.Error($"{tagPath}.header.name", "may not be empty");
                }
                else if (tag.Environment is { Name.Length: 0 })
                {
                    context.Error($"{tagPath}.environment.name", "may not be empty");
                }
            }
        }
    }
}
