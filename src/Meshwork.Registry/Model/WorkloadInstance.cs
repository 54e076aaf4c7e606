using Meshwork.Config.Values;

namespace Meshwork.Registry.Model;

/// <summary>
/// One running workload that can back services: a WorkloadEntry resource or a proxy that registered
/// itself. Selected by a ServiceEntry's <c>workloadSelector</c> when its labels are a superset.
/// Immutable, compares by value.
/// </summary>
public sealed record WorkloadInstance
{
    public const string UnixAddressPrefix = "unix://";

    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>An IP, a DNS name, or <c>unix:///absolute/path</c>.</summary>
    public required string Address { get; init; }

    public ValueMap<string, string> Labels { get; init; }

    /// <summary>Service port name → the port this workload listens on for it.</summary>
    public ValueMap<string, uint> Ports { get; init; }

    /// <summary>The service account name (in <see cref="Namespace"/>); empty when unknown.</summary>
    public string ServiceAccount { get; init; } = string.Empty;

    public string Network { get; init; } = string.Empty;

    /// <summary><c>region/zone/subzone</c>, or empty.</summary>
    public string Locality { get; init; } = string.Empty;

    /// <summary>Load-balancing weight, at least 1.</summary>
    public uint Weight { get; init; } = 1;

    /// <summary>Whether traffic to it is Istio mTLS (it runs a sidecar).</summary>
    public EndpointTlsMode TlsMode { get; init; }

    public WorkloadHealth Health { get; init; }

    public WorkloadSource Source { get; init; }

    public WorkloadKey Key => new(Namespace, Name, Address);

    public bool HasSidecar => TlsMode == EndpointTlsMode.Istio;

    public bool IsUnixSocket => Address.StartsWith(UnixAddressPrefix, StringComparison.Ordinal);

    public override string ToString() => $"{Source} {Namespace}/{Name} {Address}";
}

/// <summary>Identifies a workload: namespace, name and address (a proxy that comes back on another IP is another workload, as Istio names auto-registered entries group-IP).</summary>
public readonly record struct WorkloadKey(string Namespace, string Name, string Address) : IComparable<WorkloadKey>
{
    /// <summary>By namespace, name, then address (ordinal).</summary>
    public int CompareTo(WorkloadKey other)
    {
        var c = string.CompareOrdinal(Namespace, other.Namespace);
        c = c != 0 ? c : string.CompareOrdinal(Name, other.Name);
        return c != 0 ? c : string.CompareOrdinal(Address, other.Address);
    }

    public override string ToString() => $"{Namespace}/{Name}@{Address}";
}

public enum WorkloadSource
{
    /// <summary>A WorkloadEntry resource, or an endpoint written inline in a ServiceEntry.</summary>
    WorkloadEntry,

    /// <summary>A proxy that connected and registered itself (Istio's WorkloadGroup auto-registration).</summary>
    AutoRegistered,
}

/// <summary>Istio's <c>security.istio.io/tlsMode</c>: <c>istio</c> means the endpoint's sidecar accepts Istio mTLS.</summary>
public enum EndpointTlsMode
{
    Disabled,
    Istio,
}

public enum WorkloadHealth
{
    Healthy,

    /// <summary>Failing its readiness checks; Istio keeps such workloads out of every service's endpoints.</summary>
    Unhealthy,
}
