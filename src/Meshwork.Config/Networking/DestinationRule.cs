using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>
/// istio.networking.v1alpha3.DestinationRule: policies that apply to traffic for a service after
/// routing (load balancing, connection pool, outlier detection, client TLS), per subset and port.
/// </summary>
public sealed record DestinationRule
{
    public string Host { get; init; } = string.Empty;

    public TrafficPolicy? TrafficPolicy { get; init; }

    public ValueList<Subset> Subsets { get; init; }

    public ValueList<string> ExportTo { get; init; }

    public Types.WorkloadSelector? WorkloadSelector { get; init; }
}

/// <summary>istio.networking.v1alpha3.Subset: a named set of endpoints (by labels) with its own traffic policy.</summary>
public sealed record Subset
{
    public string Name { get; init; } = string.Empty;

    public ValueMap<string, string> Labels { get; init; }

    public TrafficPolicy? TrafficPolicy { get; init; }
}

/// <summary>istio.networking.v1alpha3.TrafficPolicy: the policies for a destination, across all its ports unless overridden per port.</summary>
public sealed record TrafficPolicy
{
    public LoadBalancerSettings? LoadBalancer { get; init; }

    public ConnectionPoolSettings? ConnectionPool { get; init; }

    public OutlierDetection? OutlierDetection { get; init; }

    public ClientTlsSettings? Tls { get; init; }

    public ValueList<PortTrafficPolicy> PortLevelSettings { get; init; }

    public TunnelSettings? Tunnel { get; init; }

    public ProxyProtocol? ProxyProtocol { get; init; }

    public RetryBudget? RetryBudget { get; init; }
}

/// <summary>TrafficPolicy.PortTrafficPolicy: the policies for one port of the destination; they replace, not merge with, the destination-level ones.</summary>
public sealed record PortTrafficPolicy
{
    public PortSelector? Port { get; init; }

    public LoadBalancerSettings? LoadBalancer { get; init; }

    public ConnectionPoolSettings? ConnectionPool { get; init; }

    public OutlierDetection? OutlierDetection { get; init; }

    public ClientTlsSettings? Tls { get; init; }
}

/// <summary>TrafficPolicy.TunnelSettings: tunnel TCP to the destination over HTTP CONNECT or POST.</summary>
public sealed record TunnelSettings
{
    /// <summary><c>CONNECT</c> (the default when empty) or <c>POST</c>; a string on the wire, not an enum.</summary>
    public string Protocol { get; init; } = string.Empty;

    public string TargetHost { get; init; } = string.Empty;

    public uint TargetPort { get; init; }
}

/// <summary>TrafficPolicy.ProxyProtocol: the upstream PROXY protocol header.</summary>
public sealed record ProxyProtocol
{
    public ProxyProtocolVersion Version { get; init; }
}

/// <summary>TrafficPolicy.ProxyProtocol.VERSION.</summary>
public enum ProxyProtocolVersion
{
    V1 = 0,
    V2 = 1,
}

/// <summary>TrafficPolicy.RetryBudget: a limit on concurrent retries relative to active requests (Envoy's circuit-breaker retry budget).</summary>
public sealed record RetryBudget
{
    /// <summary>Percent of active plus pending requests that may be retries (0..100; Envoy defaults to 20).</summary>
    public double? Percent { get; init; }

    public uint MinRetryConcurrency { get; init; }

    [Duration]
    public TimeSpan? BudgetInterval { get; init; }
}
