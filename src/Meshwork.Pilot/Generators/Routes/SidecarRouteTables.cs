using System.Globalization;
using Envoy.Config.Route.V3;
using Meshwork.Config.Networking;
using Meshwork.Config.Validation.Networking;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// A sidecar's outbound HTTP route tables. <c>outbound</c> serves the proxy port apps send
/// HTTP_PROXY requests to: one virtual host per visible service and HTTP port, whose domains carry
/// the port (and, for one port per name, the bare names), then the catch-all. A Sidecar egress
/// listener with an HTTP port gets a table named by its port (as Istio names them), whose domains
/// omit the port since the listener already fixes it.
/// </summary>
internal static class SidecarRouteTables
{
    public const string OutboundTable = "outbound";

    /// <summary>The route tables this sidecar's listeners refer to: <c>outbound</c>, and one per HTTP egress listener port.</summary>
    public static IReadOnlyList<string> Names(IReadOnlyList<EgressListenerScope> scopes)
    {
        var names = new List<string> { OutboundTable };
        names.AddRange(scopes.Where(s => !s.IsCatchAll && IsHttpEgress(s)).Select(s => PortTableName(s.Listener!.Port!.Number)));
        return names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    public static string PortTableName(uint port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>An egress listener whose port speaks HTTP (HTTP_PROXY included), so it gets an HCM and a route table.</summary>
    public static bool IsHttpEgress(EgressListenerScope scope) =>
        scope.Listener?.Port is { } port && PortProtocols.Parse(port.Protocol) is var protocol && (protocol.IsHttp() || protocol == PortProtocol.Unsupported);

    /// <summary>A service port carried over HTTP; an unnamed protocol counts, as Istio sniffs it (IsHTTPOrSniffed).</summary>
    public static bool IsHttpOrSniffed(MeshServicePort port) => port.Protocol.IsHttp() || port.Protocol == PortProtocol.Unsupported;

    /// <summary>The table named <paramref name="name"/>, or null when this sidecar has no such table.</summary>
    public static RouteConfiguration? Build(string name, MeshSnapshot snapshot, ProxyNode proxy, IReadOnlyList<EgressListenerScope> scopes)
    {
        EgressListenerScope? scope;
        uint? fixedPort = null;
        if (name == OutboundTable)
        {
            scope = scopes.FirstOrDefault(s => s.IsCatchAll);
        }
        else
        {
            scope = scopes.FirstOrDefault(s => !s.IsCatchAll && IsHttpEgress(s) && PortTableName(s.Listener!.Port!.Number) == name);
            if (scope == null)
            {
                return null;
            }

            // HTTP_PROXY egress ports route by host and port like the outbound table (Istio's listenerPort 0).
            if (PortProtocols.Parse(scope.Listener!.Port!.Protocol) != PortProtocol.HttpProxy)
            {
                fixedPort = scope.Listener.Port.Number;
            }
        }

        var virtualHosts = scope == null ? [] : VirtualHosts(snapshot, proxy, scope, fixedPort);
        virtualHosts.Add(CatchAllVirtualHost(snapshot, proxy));
        return new RouteConfiguration
        {
            Name = name,
            VirtualHosts = { virtualHosts },
            ValidateClusters = false,
            MaxDirectResponseBodySizeBytes = 1024 * 1024,
            IgnorePortInHostMatching = fixedPort != null,
        };
    }

    /// <summary>Istio's buildCatchAllVirtualHost: unknown hosts pass through (ALLOW_ANY, or to the Sidecar's egress proxy) or get a 502 (REGISTRY_ONLY).</summary>
    public static VirtualHost CatchAllVirtualHost(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var scope = ProxyScope.For(snapshot, proxy);
        if (scope.OutboundTrafficMode == Config.Mesh.OutboundTrafficMode.AllowAny)
        {
            var egressProxy = scope.Sidecar?.SpecAs<Sidecar>().OutboundTrafficPolicy?.EgressProxy;
            var cluster = egressProxy != null ? ClusterNames.ForDestination(egressProxy with { Host = Hostnames.ResolveShortName(egressProxy.Host, scope.Sidecar!.Namespace) }, null, 0) : ClusterNames.Passthrough;
            var action = new RouteAction { Cluster = cluster };
            RouteActionTranslator.ApplyTimeout(action, null, proxyless: false);
            return new VirtualHost
            {
                Name = "allow_any",
                Domains = { "*" },
                Routes = { new Route { Name = "allow_any", Match = RouteMatchTranslator.CatchAll(), Route_ = action } },
                IncludeRequestAttemptCount = true,
            };
        }

        return new VirtualHost
        {
            Name = "block_all",
            Domains = { "*" },
            Routes = { new Route { Name = "block_all", Match = RouteMatchTranslator.CatchAll(), DirectResponse = new DirectResponseAction { Status = 502 } } },
            IncludeRequestAttemptCount = true,
        };
    }

    private static List<VirtualHost> VirtualHosts(MeshSnapshot snapshot, ProxyNode proxy, EgressListenerScope scope, uint? fixedPort)
    {
        var rules = DestinationRuleLookup.For(snapshot, proxy);
        var virtualServices = MeshVirtualServices.For(snapshot, proxy, scope);
        var services = scope.Services.ToDictionary(s => s.Hostname, StringComparer.Ordinal);
        var proxyDomain = VirtualHostDomains.ProxyDomain(proxy);
        var claims = new DomainClaims();
        var meshGateway = new HashSet<string>(StringComparer.Ordinal) { BoundVirtualService.MeshGateway };

        var servicePorts = scope.Services
            .SelectMany(s => PortsInOrder(s, fixedPort).Select(p => (Service: s, Port: p)))
            .ToList();
        foreach (var (service, port) in servicePorts)
        {
            claims.AddKnownFqdn(service.Hostname);
            claims.AddKnownFqdn(Hostnames.WithPort(service.Hostname, port.Number));
        }

        var virtualHosts = new List<VirtualHost>();
        var bareNamesTaken = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (service, port) in servicePorts)
        {
            var context = new RouteContext(proxy, snapshot.Mesh, port.Number, IsTls: false, meshGateway, h => services.GetValueOrDefault(h), rules);
            var routes = virtualServices.For(service.Hostname) is { } virtualService ? HttpRouteTranslator.Translate(virtualService, context) : [];
            if (routes.Count == 0)
            {
                var cluster = ClusterNames.Outbound(port.Number, string.Empty, service.Hostname);
                routes = [HttpRouteTranslator.DefaultRoute(cluster, $"{service.Hostname}:{port.Number}/*", snapshot.Mesh.DefaultHttpRetryPolicy, rules.HashFor(service, port.Number), proxyless: false)];
            }

            // Without a fixed port, a bare name (no :port) belongs to the first HTTP port of its service.
            var withoutPort = fixedPort != null || bareNamesTaken.Add(service.Hostname);
            var (domains, shortNames) = VirtualHostDomains.For(service, port.Number, withoutPort, withPort: fixedPort == null, proxyDomain);
            var kept = claims.Claim(domains, shortNames);
            if (kept.Count == 0)
            {
                continue;
            }

            virtualHosts.Add(new VirtualHost
            {
                Name = Hostnames.WithPort(service.Hostname, port.Number),
                Domains = { kept },
                Routes = { routes },
                IncludeRequestAttemptCount = true,
            });
        }

        return virtualHosts.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The service's HTTP ports: only the fixed one for a port table, else port 80 first (it owns the bare names in Istio) and then as declared.</summary>
    private static IEnumerable<MeshServicePort> PortsInOrder(MeshService service, uint? fixedPort)
    {
        var ports = service.Ports.Where(IsHttpOrSniffed);
        return fixedPort is { } only
            ? ports.Where(p => p.Number == only)
            : ports.OrderBy(p => p.Number == 80 ? 0 : 1);
    }
}
