using Meshwork.Config.Values;

namespace Meshwork.Config.Types;

/// <summary>istio.type.v1beta1.WorkloadSelector, used by security and telemetry resources.</summary>
public sealed record WorkloadSelector
{
    public ValueMap<string, string> MatchLabels { get; init; }
}

/// <summary>istio.type.v1beta1.PolicyTargetReference: the resource a policy attaches to.</summary>
public sealed record PolicyTargetReference
{
    public string Group { get; init; } = string.Empty;

    public string Kind { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    public string Namespace { get; init; } = string.Empty;
}
