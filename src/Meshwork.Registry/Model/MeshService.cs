using Meshwork.Config.Resources;
using Meshwork.Config.Validation.Networking;
using Meshwork.Config.Values;

namespace Meshwork.Registry.Model;

// Pilot's model.Service, platform-neutral: every adapter (ServiceEntry now, Kubernetes and Consul
// later) produces these, so translation never asks where a service came from.

/// <summary>
/// One service the mesh knows: a hostname as one namespace defines it. Several namespaces may
/// define the same hostname; each definition is its own <see cref="MeshService"/>.
/// Immutable, compares by value.
/// </summary>
public sealed record MeshService
{
    /// <summary>The hostname exactly as the defining resource wrote it (Istio does not qualify ServiceEntry hosts); may be a wildcard (<c>*.example.com</c>).</summary>
    public required string Hostname { get; init; }

    /// <summary>The namespace of the resource that defined the service.</summary>
    public required string Namespace { get; init; }

    public ValueList<MeshServicePort> Ports { get; init; }

    public ServiceResolution Resolution { get; init; }

    public ServiceLocation Location { get; init; }

    /// <summary>Virtual IPs or CIDR prefixes; a single-address prefix (<c>/32</c>, <c>/128</c>) is kept as the bare IP.</summary>
    public ValueList<string> Addresses { get; init; }

    public ServiceExportTo ExportTo { get; init; } = ServiceExportTo.Everyone;

    /// <summary>Identities the service's endpoints may present (SPIFFE URIs or names), as written.</summary>
    public ValueList<string> SubjectAltNames { get; init; }

    /// <summary>The labels that pick this service's workloads, empty when endpoints were listed instead.</summary>
    public ValueMap<string, string> WorkloadSelector { get; init; }

    /// <summary>The resource that defined the service (kind, namespace, name).</summary>
    public required ResourceKey DefinedBy { get; init; }

    public ServiceKey Key => new(Namespace, Hostname);

    public bool IsWildcard => Hostname.StartsWith('*');

    public bool IsMeshExternal => Location == ServiceLocation.MeshExternal;

    /// <summary>DNS and DNS_ROUND_ROBIN: the proxy resolves the endpoints itself, so they travel inside the cluster (CDS), not in EDS.</summary>
    public bool IsDnsResolved => Resolution is ServiceResolution.Dns or ServiceResolution.DnsRoundRobin;

    public MeshServicePort? Port(uint number) => Ports.FirstOrDefault(p => p.Number == number);

    public override string ToString() => $"{Namespace}/{Hostname}";
}

/// <summary>A port of a service: its name, number, protocol (as Istio parses it) and the port on the endpoints (0: same as <see cref="Number"/>).</summary>
public sealed record MeshServicePort(string Name, uint Number, PortProtocol Protocol, uint TargetPort = 0)
{
    public override string ToString() => $"{Name}:{Number}/{Protocol}";
}

/// <summary>How the proxy finds a service's endpoints (Istio's ServiceEntry resolution names).</summary>
public enum ServiceResolution
{
    /// <summary>Pass-through to the original destination address.</summary>
    None,

    /// <summary>The endpoints' IPs (Envoy EDS).</summary>
    Static,

    /// <summary>Every address the endpoints' names resolve to (Envoy STRICT_DNS).</summary>
    Dns,

    /// <summary>The first address of one name (Envoy LOGICAL_DNS); at most one endpoint.</summary>
    DnsRoundRobin,

    /// <summary>The Host header or SNI of each request, resolved per request (wildcard hosts).</summary>
    DynamicDns,
}

public enum ServiceLocation
{
    MeshExternal,
    MeshInternal,
}

/// <summary>Identifies one definition of a service: the defining namespace and the hostname.</summary>
public readonly record struct ServiceKey(string Namespace, string Hostname)
{
    public override string ToString() => $"{Namespace}/{Hostname}";
}
