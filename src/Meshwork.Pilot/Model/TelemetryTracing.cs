using Meshwork.Config.Mesh;
using Meshwork.Config.Telemetry;
using Meshwork.Config.Values;

namespace Meshwork.Pilot.Model;

/// <summary>
/// What the Telemetry API says about tracing for one side of a workload's traffic (Istio's
/// TracingSpec): the provider (a MeshConfig extension provider, null when none resolves), whether
/// span reporting is off, the sampling percentage when a Telemetry set one, custom tags, and whether
/// Istio's own tags are added.
/// </summary>
public sealed record TracingSpec(
    ExtensionProvider? Provider,
    bool Disabled,
    double? RandomSamplingPercentage,
    ValueMap<string, CustomTag?> CustomTags,
    bool EnableIstioTags);

/// <summary>The client-side (outbound, gateway) and server-side (inbound) tracing specs of one workload.</summary>
public sealed record TracingSpecs(TracingSpec Client, TracingSpec Server);

/// <summary>
/// Istio's Telemetries.Tracing: the Telemetry resources that apply to a workload, in order (the
/// root namespace's selector-less one, its namespace's, then one selecting its labels; several at one
/// level: the oldest), merged entry by entry over MeshConfig <c>defaultProviders.tracing</c>. A later
/// level replaces the provider (its first one), sampling, disableSpanReporting, custom tags (whole)
/// and enableIstioTags when it sets them, for the modes its match names. Null when no Telemetry
/// applies and no default provider is named (the proxy then falls back to MeshConfig's legacy
/// tracing), or when neither side ends with a provider.
/// </summary>
public static class TelemetryTracing
{
    public static TracingSpecs? For(MeshSnapshot snapshot, string @namespace, ValueMap<string, string> labels)
    {
        var applicable = Telemetries.Applicable(snapshot, @namespace, labels);
        var defaults = snapshot.Mesh.DefaultProviders?.Tracing ?? default;
        if (applicable.Count == 0 && defaults.Count == 0)
        {
            return null;
        }

        var initial = new Builder(defaults.Count > 0 ? Provider(snapshot.Mesh, defaults[0]) : null);
        Builder client = initial with { }, server = initial with { };
        foreach (var tracing in applicable.SelectMany(t => t.Tracing))
        {
            var mode = tracing.Match?.Mode ?? WorkloadMode.ClientAndServer;
            if (mode != WorkloadMode.Server)
            {
                client = client.Merge(tracing, snapshot.Mesh);
            }

            if (mode != WorkloadMode.Client)
            {
                server = server.Merge(tracing, snapshot.Mesh);
            }
        }

        return client.Provider == null && server.Provider == null ? null : new TracingSpecs(client.Build(), server.Build());
    }

    /// <summary>The extension provider named <paramref name="name"/>, or null when MeshConfig has none by that name.</summary>
    public static ExtensionProvider? Provider(MeshConfig mesh, string name) =>
        mesh.ExtensionProviders.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal));

    private sealed record Builder(ExtensionProvider? Provider)
    {
        public bool Disabled { get; init; }

        public double? Sampling { get; init; }

        public ValueMap<string, CustomTag?> Tags { get; init; }

        public bool IstioTags { get; init; } = true;

        public Builder Merge(Tracing tracing, MeshConfig mesh) => this with
        {
            Provider = tracing.Providers.Count > 0 ? TelemetryTracing.Provider(mesh, tracing.Providers[0].Name) : Provider,
            Disabled = tracing.DisableSpanReporting ?? Disabled,
            Sampling = tracing.RandomSamplingPercentage ?? Sampling,
            Tags = tracing.CustomTags.Count > 0 ? tracing.CustomTags : Tags,
            IstioTags = tracing.EnableIstioTags ?? IstioTags,
        };

        public TracingSpec Build() => new(Provider, Disabled, Sampling, Tags, IstioTags);
    }
}
