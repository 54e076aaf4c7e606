using Meshwork.Config.Values;

namespace Meshwork.Registry.Model;

/// <summary>
/// One address a service port can be reached at (Istio's IstioEndpoint in a ServiceInstance):
/// the service (hostname, defining namespace, service port) and where to dial. Immutable,
/// compares by value, so a changed endpoint set is detected exactly.
/// </summary>
public sealed record ServiceEndpoint
{
    public required string Hostname { get; init; }

    /// <summary>The namespace of the service definition this endpoint belongs to.</summary>
    public required string ServiceNamespace { get; init; }

    public required uint ServicePort { get; init; }

    public string ServicePortName { get; init; } = string.Empty;

    /// <summary>An IP, a DNS name (DNS resolution), or <c>unix:///absolute/path</c>.</summary>
    public required string Address { get; init; }

    /// <summary>The port to dial; 0 for a unix socket.</summary>
    public uint Port { get; init; }

    /// <summary>The workload's labels plus Istio's topology labels (region, zone, subzone, network).</summary>
    public ValueMap<string, string> Labels { get; init; }

    public string Locality { get; init; } = string.Empty;

    public uint Weight { get; init; } = 1;

    public string Network { get; init; } = string.Empty;

    /// <summary>The service account name; its namespace is <see cref="WorkloadNamespace"/>. Empty when unknown.</summary>
    public string ServiceAccount { get; init; } = string.Empty;

    public EndpointTlsMode TlsMode { get; init; }

    public WorkloadHealth Health { get; init; }

    /// <summary>The workload behind the endpoint (WorkloadEntry or proxy name); empty for a DNS-name endpoint made from the host.</summary>
    public string WorkloadName { get; init; } = string.Empty;

    public string WorkloadNamespace { get; init; } = string.Empty;

    public EndpointKey Key => new(Hostname, ServicePort);

    public bool IsUnixSocket => Address.StartsWith(WorkloadInstance.UnixAddressPrefix, StringComparison.Ordinal);

    /// <summary>The workload's SPIFFE identity (<c>spiffe://TD/ns/NS/sa/SA</c>), or null without a service account.</summary>
    public string? Identity(string trustDomain) =>
        ServiceAccount.Length == 0 ? null : $"spiffe://{trustDomain}/ns/{WorkloadNamespace}/sa/{ServiceAccount}";

    public override string ToString() => $"{Hostname}:{ServicePort} -> {Address}:{Port}";
}

/// <summary>Identifies one endpoint set: a service hostname and one of its port numbers (what an EDS ClusterLoadAssignment carries).</summary>
public readonly record struct EndpointKey(string Hostname, uint Port) : IComparable<EndpointKey>
{
    /// <summary>By hostname (ordinal), then port.</summary>
    public int CompareTo(EndpointKey other)
    {
        var c = string.CompareOrdinal(Hostname, other.Hostname);
        return c != 0 ? c : Port.CompareTo(other.Port);
    }

    public override string ToString() => $"{Hostname}:{Port}";
}
