using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Generators.Gateways;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// RDS: the HTTP route tables a proxy's listeners name. Sidecars get <c>outbound</c> (the HTTP_PROXY
/// port's table) and one per HTTP Sidecar egress port; routers get one per gateway HTTP server
/// group (<c>http.PORT</c>, <c>https.PORT.NAME.GW.NS</c>); proxyless gRPC clients get one per
/// <c>host:port</c> they asked for. A sidecar or router asking for a table it has none of gets an
/// empty one, as Istio answers, so a draining listener never waits on RDS.
/// </summary>
public sealed class RouteGenerator : ISharedResourceGenerator
{
    public string TypeUrl => TypeUrls.Route;

    public IReadOnlyList<GeneratedResource> Generate(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names) =>
        GenerateShared(snapshot, proxy, names);

    /// <summary>All of RDS is shared: it reads the proxy's scope, selectors, source labels and DNS domain (<see cref="SharedProxyInputs"/>).</summary>
    public IReadOnlyList<GeneratedResource> GenerateShared(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var tables = proxy.IsProxylessGrpc ? Proxyless(snapshot, proxy, names)
            : proxy.Type == ProxyType.Router ? Router(snapshot, proxy, names)
            : Sidecar(snapshot, proxy, names);
        return tables
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => new GeneratedResource(t.Name, Any.Pack(t)))
            .ToList();
    }

    /// <summary>Route tables change only with config or services (full pushes); an endpoint-only push never rebuilds them.</summary>
    public bool Concerns(PushRequest request, ProxyNode proxy) => request.Full;

    private static IEnumerable<RouteConfiguration> Sidecar(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var scopes = EgressListenerScope.For(snapshot, proxy);
        var requested = names ?? (IEnumerable<string>)SidecarRouteTables.Names(scopes);
        return requested.Select(name => SidecarRouteTables.Build(name, snapshot, proxy, scopes) ?? Empty(name));
    }

    private static IEnumerable<RouteConfiguration> Router(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var ports = MergedGateway.For(snapshot, proxy);
        var requested = names ?? (IEnumerable<string>)GatewayRouteTables.Names(ports);
        return requested.Select(name => GatewayRouteTables.Build(name, snapshot, proxy, ports) ?? Empty(name));
    }

    private static IEnumerable<RouteConfiguration> Proxyless(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var scope = EgressListenerScope.For(snapshot, proxy).FirstOrDefault(s => s.IsCatchAll);
        if (scope == null)
        {
            return [];
        }

        return ProxylessTargets.Resolve(names, scope.Services, proxy)
            .GroupBy(t => t.Name, StringComparer.Ordinal)
            .Select(g => ProxylessRouteTables.Build(g.First(), snapshot, proxy, scope));
    }

    private static RouteConfiguration Empty(string name) => new() { Name = name, ValidateClusters = false };
}
