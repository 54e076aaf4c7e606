using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>
/// istio.networking.v1alpha3.Sidecar: narrows what a workload's proxy accepts (ingress) and can
/// reach (egress), its outbound policy and its inbound connection limits.
/// </summary>
public sealed record Sidecar
{
    public WorkloadSelector? WorkloadSelector { get; init; }

    public ValueList<IstioIngressListener> Ingress { get; init; }

    public ValueList<IstioEgressListener> Egress { get; init; }

    public ConnectionPoolSettings? InboundConnectionPool { get; init; }

    public OutboundTrafficPolicy? OutboundTrafficPolicy { get; init; }
}

/// <summary>istio.networking.v1alpha3.IstioIngressListener: an inbound listener and where it forwards.</summary>
public sealed record IstioIngressListener
{
    public SidecarPort? Port { get; init; }

    public string Bind { get; init; } = string.Empty;

    public CaptureMode CaptureMode { get; init; }

    public string DefaultEndpoint { get; init; } = string.Empty;

    public ServerTlsSettings? Tls { get; init; }

    public ConnectionPoolSettings? ConnectionPool { get; init; }
}

/// <summary>istio.networking.v1alpha3.IstioEgressListener: an outbound listener and the hosts it exposes (<c>namespace/dnsName</c>).</summary>
public sealed record IstioEgressListener
{
    public SidecarPort? Port { get; init; }

    public string Bind { get; init; } = string.Empty;

    public CaptureMode CaptureMode { get; init; }

    public ValueList<string> Hosts { get; init; }
}

/// <summary>istio.networking.v1alpha3.SidecarPort: a listener port; number 0 with a <c>unix://</c> bind is a Unix domain socket.</summary>
public sealed record SidecarPort
{
    public uint Number { get; init; }

    public string Protocol { get; init; } = string.Empty;

    public string Name { get; init; } = string.Empty;

    [DeprecatedField]
    public uint TargetPort { get; init; }
}

/// <summary>istio.networking.v1alpha3.OutboundTrafficPolicy: what happens to traffic for hosts the registry does not know.</summary>
public sealed record OutboundTrafficPolicy
{
    public OutboundTrafficPolicyMode Mode { get; init; }

    public Destination? EgressProxy { get; init; }
}

/// <summary>OutboundTrafficPolicy.Mode.</summary>
public enum OutboundTrafficPolicyMode
{
    RegistryOnly = 0,
    AllowAny = 1,
}

/// <summary>istio.networking.v1alpha3.CaptureMode: how traffic reaches a listener bound to an IP.</summary>
public enum CaptureMode
{
    Default = 0,
    Iptables = 1,
    None = 2,
}
