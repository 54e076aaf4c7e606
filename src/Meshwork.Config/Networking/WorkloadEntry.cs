using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.WorkloadEntry: a non-Kubernetes workload (a VM), or one endpoint of a ServiceEntry.</summary>
public sealed record WorkloadEntry
{
    /// <summary>IP, DNS name (DNS resolution only) or <c>unix:///absolute/path</c>; may be empty when <see cref="Network"/> is set.</summary>
    public string Address { get; init; } = string.Empty;

    /// <summary>Service port name → this endpoint's port.</summary>
    public ValueMap<string, uint> Ports { get; init; }

    public ValueMap<string, string> Labels { get; init; }

    public string Network { get; init; } = string.Empty;

    /// <summary><c>region/zone/subzone</c>.</summary>
    public string Locality { get; init; } = string.Empty;

    public uint Weight { get; init; }

    public string ServiceAccount { get; init; } = string.Empty;
}
