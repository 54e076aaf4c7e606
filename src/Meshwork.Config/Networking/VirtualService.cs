using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

// istio.networking.v1alpha3 virtual_service.proto, top level and the L4 (TCP/TLS) routes.
// The HTTP route family is in VirtualServiceHttp.cs, its policies (retries, CORS, faults) in
// VirtualServicePolicies.cs.

/// <summary>istio.networking.v1alpha3.VirtualService: routing rules for the hosts it names, HTTP first, then TLS, then TCP.</summary>
public sealed record VirtualService
{
    /// <summary>Destination hosts; short names resolve against the resource's namespace. Empty for a delegate VirtualService.</summary>
    public ValueList<string> Hosts { get; init; }

    /// <summary>Gateways and sidecars the rules apply to (<c>ns/name</c>, <c>mesh</c>); empty means <c>mesh</c>.</summary>
    public ValueList<string> Gateways { get; init; }

    public ValueList<HttpRoute> Http { get; init; }

    public ValueList<TlsRoute> Tls { get; init; }

    public ValueList<TcpRoute> Tcp { get; init; }

    public ValueList<string> ExportTo { get; init; }
}

/// <summary>istio.networking.v1alpha3.HTTPRoute: one HTTP rule; it forwards (<c>route</c>), redirects, answers directly or delegates.</summary>
public sealed record HttpRoute
{
    public string Name { get; init; } = string.Empty;

    public ValueList<HttpMatchRequest> Match { get; init; }

    public ValueList<HttpRouteDestination> Route { get; init; }

    public HttpRedirect? Redirect { get; init; }

    public HttpDirectResponse? DirectResponse { get; init; }

    public RouteDelegate? Delegate { get; init; }

    public HttpRewrite? Rewrite { get; init; }

    public TimeSpan? Timeout { get; init; }

    public HttpRetry? Retries { get; init; }

    public HttpFaultInjection? Fault { get; init; }

    public Destination? Mirror { get; init; }

    public ValueList<HttpMirrorPolicy> Mirrors { get; init; }

    [DeprecatedField("mirrorPercentage")]
    public uint? MirrorPercent { get; init; }

    public Percent? MirrorPercentage { get; init; }

    public CorsPolicy? CorsPolicy { get; init; }

    public Headers? Headers { get; init; }
}

/// <summary>istio.networking.v1alpha3.Delegate: the VirtualService whose HTTP routes a root route hands over to (named so as not to hide System.Delegate).</summary>
public sealed record RouteDelegate
{
    public string Name { get; init; } = string.Empty;

    /// <summary>Defaults to the root VirtualService's namespace.</summary>
    public string Namespace { get; init; } = string.Empty;
}

/// <summary>istio.networking.v1alpha3.TLSRoute: routes unterminated TLS by SNI.</summary>
public sealed record TlsRoute
{
    public ValueList<TlsMatchAttributes> Match { get; init; }

    public ValueList<RouteDestination> Route { get; init; }
}

/// <summary>istio.networking.v1alpha3.TCPRoute: routes opaque TCP.</summary>
public sealed record TcpRoute
{
    public ValueList<L4MatchAttributes> Match { get; init; }

    public ValueList<RouteDestination> Route { get; init; }
}

/// <summary>istio.networking.v1alpha3.HTTPRouteDestination: a weighted destination of an HTTP route, with its own header operations.</summary>
public sealed record HttpRouteDestination
{
    public Destination? Destination { get; init; }

    /// <summary>Relative share of traffic; weights need not add up to 100.</summary>
    public int Weight { get; init; }

    public Headers? Headers { get; init; }
}

/// <summary>istio.networking.v1alpha3.RouteDestination: a weighted destination of a TCP or TLS route.</summary>
public sealed record RouteDestination
{
    public Destination? Destination { get; init; }

    public int Weight { get; init; }
}

/// <summary>istio.networking.v1alpha3.L4MatchAttributes: what a TCP connection must match.</summary>
public sealed record L4MatchAttributes
{
    public ValueList<string> DestinationSubnets { get; init; }

    public uint Port { get; init; }

    public string SourceSubnet { get; init; } = string.Empty;

    public ValueMap<string, string> SourceLabels { get; init; }

    public ValueList<string> Gateways { get; init; }

    public string SourceNamespace { get; init; } = string.Empty;
}

/// <summary>istio.networking.v1alpha3.TLSMatchAttributes: what a TLS connection must match; <c>sniHosts</c> is required.</summary>
public sealed record TlsMatchAttributes
{
    public ValueList<string> SniHosts { get; init; }

    public ValueList<string> DestinationSubnets { get; init; }

    public uint Port { get; init; }

    public ValueMap<string, string> SourceLabels { get; init; }

    public ValueList<string> Gateways { get; init; }

    public string SourceNamespace { get; init; } = string.Empty;
}
