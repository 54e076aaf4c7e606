using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.Gateway: the ports, protocols and hosts a load balancer at the mesh edge exposes.</summary>
public sealed record Gateway
{
    public ValueList<Server> Servers { get; init; }

    /// <summary>Labels of the gateway workloads this configuration applies to; empty selects every workload.</summary>
    public ValueMap<string, string> Selector { get; init; }
}

/// <summary>istio.networking.v1alpha3.Server: one listener of a gateway.</summary>
public sealed record Server
{
    public Port? Port { get; init; }

    /// <summary>IP or <c>unix://</c> socket the listener binds to (the port number must then be 0).</summary>
    public string Bind { get; init; } = string.Empty;

    /// <summary><c>dnsName</c> or <c>namespace/dnsName</c>; the namespace may be <c>*</c> or <c>.</c>.</summary>
    public ValueList<string> Hosts { get; init; }

    public ServerTlsSettings? Tls { get; init; }

    /// <summary>Not implemented upstream; accepted for compatibility.</summary>
    public string DefaultEndpoint { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;
}

/// <summary>istio.networking.v1alpha3.Port: a gateway listener's port.</summary>
public sealed record Port
{
    public uint Number { get; init; }

    /// <summary>HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, MYSQL, REDIS, TCP, TLS or UDP, matched without regard to case.</summary>
    public string Protocol { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    /// <summary>Meant for ServiceEntry ports only; Istio rejects it on a Gateway.</summary>
    [DeprecatedField]
    public uint TargetPort { get; init; }
}
