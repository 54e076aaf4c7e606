using Meshwork.Config.Telemetry;
using Meshwork.Config.Values;

namespace Meshwork.Config.Validation.Telemetry;

/// <summary>Provider references of tracing, metrics and access logging name a MeshConfig extension provider (Istio's validateTelemetryProviders).</summary>
public sealed class TelemetryProvidersRule : SpecRule<Config.Telemetry.Telemetry>
{
    protected override void Check(Config.Telemetry.Telemetry spec, RuleContext context)
    {
        for (var i = 0; i < spec.Tracing.Count; i++)
        {
            CheckNames(spec.Tracing[i].Providers, $"spec.tracing[{i}].providers", context);
        }

        for (var i = 0; i < spec.Metrics.Count; i++)
        {
            CheckNames(spec.Metrics[i].Providers, $"spec.metrics[{i}].providers", context);
        }

        for (var i = 0; i < spec.AccessLogging.Count; i++)
        {
            CheckNames(spec.AccessLogging[i].Providers, $"spec.accessLogging[{i}].providers", context);
        }
    }

    private static void CheckNames(ValueList<ProviderRef> providers, string path, RuleContext context)
    {
        for (var k = 0; k < providers.Count; k++)
        {
            if (providers[k].Name.Length == 0)
            {
                context.Error($"{path}[{k}].name", "provider name may not be empty");
            }
        }
    }
}
