using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.ServiceEntry: adds a service (hosts, VIPs, ports, endpoints) to the mesh's registry.</summary>
public sealed record ServiceEntry
{
    /// <summary>DNS names, optionally with a wildcard prefix (<c>*.example.com</c>).</summary>
    public ValueList<string> Hosts { get; init; }

    /// <summary>Virtual IPs or CIDR prefixes of the service.</summary>
    public ValueList<string> Addresses { get; init; }

    public ValueList<ServicePort> Ports { get; init; }

    public ServiceEntryLocation Location { get; init; }

    public ServiceEntryResolution Resolution { get; init; }

    public ValueList<WorkloadEntry> Endpoints { get; init; }

    /// <summary>Selects pods and WorkloadEntries as endpoints; exclusive with <see cref="Endpoints"/>.</summary>
    public WorkloadSelector? WorkloadSelector { get; init; }

    public ValueList<string> ExportTo { get; init; }

    public ValueList<string> SubjectAltNames { get; init; }
}

/// <summary>istio.networking.v1alpha3.ServicePort.</summary>
public sealed record ServicePort
{
    public uint Number { get; init; }

    /// <summary>Empty means protocol sniffing.</summary>
    public string Protocol { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    /// <summary>Port on the endpoints; 0 means the same as <see cref="Number"/>.</summary>
    public uint TargetPort { get; init; }
}

/// <summary>ServiceEntry.Location.</summary>
public enum ServiceEntryLocation
{
    MeshExternal = 0,
    MeshInternal = 1,
}

/// <summary>ServiceEntry.Resolution: how the proxy finds the endpoints of the service.</summary>
public enum ServiceEntryResolution
{
    None = 0,
    Static = 1,
    Dns = 2,
    DnsRoundRobin = 3,

    /// <summary>Resolves the Host header or SNI per request; meant for wildcard hosts.</summary>
    DynamicDns = 4,
}
