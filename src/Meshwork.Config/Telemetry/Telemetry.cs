using Meshwork.Config.Types;
using Meshwork.Config.Values;

namespace Meshwork.Config.Telemetry;

/// <summary>
/// istio.telemetry.v1alpha1.Telemetry: tracing, metrics and access logging for the workloads it
/// selects. Lists are overrides applied on top of the mesh and namespace levels.
/// </summary>
public sealed record Telemetry
{
    public WorkloadSelector? Selector { get; init; }

    public PolicyTargetReference? TargetRef { get; init; }

    public ValueList<PolicyTargetReference> TargetRefs { get; init; }

    public ValueList<Tracing> Tracing { get; init; }

    public ValueList<Metrics> Metrics { get; init; }

    public ValueList<AccessLogging> AccessLogging { get; init; }
}

/// <summary>istio.telemetry.v1alpha1.ProviderRef: the name of a MeshConfig extension provider.</summary>
public sealed record ProviderRef
{
    public string Name { get; init; } = string.Empty;
}

/// <summary>istio.telemetry.v1alpha1.WorkloadMode: the side of the traffic a setting applies to.</summary>
public enum WorkloadMode
{
    ClientAndServer = 0,
    Client = 1,
    Server = 2,
}
