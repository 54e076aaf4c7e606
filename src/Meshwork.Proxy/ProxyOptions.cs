using System.Net;

namespace Meshwork.Proxy;

/// <summary>An <c>--inbound PORT=APP_HOST:APP_PORT</c> mapping: traffic for the workload's PORT goes to the app there.</summary>
public sealed record InboundPort(uint Port, string AppHost, uint AppPort);

/// <summary>Which ADS flavour to speak: delta (preferred, as Istio since 1.22) or state of the world.</summary>
public enum XdsMode
{
    Delta,
    StateOfTheWorld,
}

public enum ProxyRole
{
    Sidecar,
    Gateway,
}

/// <summary>mesh-proxy's settings, bound from its flags (ARCHITECTURE.md §4) and checked before anything starts.</summary>
public sealed record ProxyOptions
{
    public required string DiscoveryAddress { get; init; }

    public required string Workload { get; init; }

    public string Namespace { get; init; } = "default";

    public string ServiceAccount { get; init; } = "default";

    public required IPAddress Ip { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public ProxyRole Role { get; init; } = ProxyRole.Sidecar;

    public IReadOnlyList<InboundPort> Inbound { get; init; } = [];

    public int OutboundPort { get; init; } = 15001;

    public int AdminPort { get; init; } = 15000;

    public int StatusPort { get; init; } = 15020;

    public XdsMode XdsMode { get; init; } = XdsMode.Delta;

    /// <summary>How long requests in flight may finish after SIGTERM or /quitquitquit (Istio's terminationDrainDuration, 5 s).</summary>
    public TimeSpan DrainDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the app serves its own Prometheus metrics (Istio's prometheus.io annotations), merged into the status port's /stats/prometheus; null when not given.</summary>
    public Uri? AppMetrics { get; init; }

    /// <summary>The certificate agent's settings, or null when <c>--ca-address</c> is not given (no workload certificate).</summary>
    public Security.AgentOptions? Agent { get; init; }

    /// <summary>Istio's node id: <c>sidecar~IP~NAME.NS~NS.svc.cluster.local</c> (<c>router~...</c> for gateways).</summary>
    public string NodeId => $"{(Role == ProxyRole.Gateway ? "router" : "sidecar")}~{Ip}~{Workload}.{Namespace}~{Namespace}.svc.cluster.local";
}
