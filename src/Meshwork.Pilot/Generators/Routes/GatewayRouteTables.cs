using Envoy.Config.Route.V3;
using Meshwork.Pilot.Generators.Gateways;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// A router's HTTP route tables (Istio's buildGatewayHTTPRouteConfig). For each server using the
/// table, the VirtualServices bound to its gateway (and exported to the router's namespace) give
/// virtual hosts for the hosts they share with the server; VirtualServices for the same host merge
/// their routes in order, catch-all routes last. <c>httpsRedirect</c> makes the host require TLS.
/// </summary>
internal static class GatewayRouteTables
{
    public static IReadOnlyList<string> Names(IReadOnlyList<GatewayPort> ports) =>
        ports.SelectMany(p => p.Servers).Select(s => s.RouteName).Where(n => n.Length > 0)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The table named <paramref name="name"/>, or null when no server of this router uses it.</summary>
    public static RouteConfiguration? Build(string name, MeshSnapshot snapshot, ProxyNode proxy, IReadOnlyList<GatewayPort> ports)
    {
        var servers = ports.SelectMany(p => p.Servers).Where(s => s.RouteName == name).ToList();
        if (servers.Count == 0)
        {
            return null;
        }

        var rules = DestinationRuleLookup.For(snapshot, proxy);
        var virtualServices = BoundVirtualService.All(snapshot).Where(v => v.IsVisibleTo(proxy.Namespace)).ToList();
        var virtualHosts = new Dictionary<string, VirtualHost>(StringComparer.Ordinal);
        foreach (var server in servers)
        {
            var gatewayNames = new HashSet<string>(StringComparer.Ordinal) { server.GatewayName };
            foreach (var virtualService in virtualServices.Where(v => v.BindsTo(server.GatewayName)))
            {
                var serverHosts = server.HostsFor(virtualService.Namespace);
                var hosts = Hostnames.Intersection(serverHosts, virtualService.Spec.Hosts);
                if (hosts.Count == 0)
                {
                    continue;
                }

                var context = new RouteContext(proxy, snapshot.Mesh, server.Port, IsTls: server.Server.Tls != null, gatewayNames, h => ServiceFor(snapshot, proxy, h, virtualService.Namespace), rules);
                var routes = HttpRouteTranslator.Translate(virtualService, context);
                if (routes.Count == 0)
                {
                    continue;
                }

                foreach (var host in hosts.Select(h => h.ToLowerInvariant()))
                {
                    var virtualHost = VirtualHostFor(virtualHosts, host, server.Port);
                    virtualHost.Routes.AddRange(routes.Select(r => r.Clone()));
                }
            }

            if (server.Server.Tls is { HttpsRedirect: true })
            {
                foreach (var host in server.Server.Hosts.Select(h => h[(h.IndexOf('/', StringComparison.Ordinal) + 1)..].ToLowerInvariant()).Distinct(StringComparer.Ordinal))
                {
                    VirtualHostFor(virtualHosts, host, server.Port).RequireTls = VirtualHost.Types.TlsRequirementType.All;
                }
            }
        }

        var table = new RouteConfiguration
        {
            Name = name,
            ValidateClusters = false,
            MaxDirectResponseBodySizeBytes = 1024 * 1024,
            IgnorePortInHostMatching = true,
        };
        if (virtualHosts.Count == 0)
        {
            // Nothing bound: a vhost with no routes, so requests get a clean 404 (NR) rather than a missing table.
            table.VirtualHosts.Add(new VirtualHost { Name = Hostnames.WithPort("blackhole", servers[0].Port), Domains = { "*" } });
            return table;
        }

        foreach (var virtualHost in virtualHosts.Values.OrderBy(v => v.Name, StringComparer.Ordinal))
        {
            // Istio's SortVHostRoutes: catch-all routes move to the end, the rest keep their order.
            var ordered = virtualHost.Routes.Where(r => !RouteMatchTranslator.IsCatchAll(r))
                .Concat(virtualHost.Routes.Where(RouteMatchTranslator.IsCatchAll)).ToList();
            virtualHost.Routes.Clear();
            virtualHost.Routes.AddRange(ordered);
            table.VirtualHosts.Add(virtualHost);
        }

        return table;
    }

    private static VirtualHost VirtualHostFor(Dictionary<string, VirtualHost> virtualHosts, string host, uint port)
    {
        if (!virtualHosts.TryGetValue(host, out var virtualHost))
        {
            virtualHost = new VirtualHost { Name = Hostnames.WithPort(host, port), Domains = { host }, IncludeRequestAttemptCount = true };
            virtualHosts[host] = virtualHost;
        }

        return virtualHost;
    }

    /// <summary>Istio's buildNameToServiceMapForHTTPRoutes: the definition in the VirtualService's namespace if visible, else any visible one.</summary>
    internal static MeshService? ServiceFor(MeshSnapshot snapshot, ProxyNode proxy, string hostname, string virtualServiceNamespace)
    {
        var visible = snapshot.Registry.ServicesFor(hostname).Where(s => s.ExportTo.IsVisibleTo(proxy.Namespace)).ToList();
        return visible.FirstOrDefault(s => s.Namespace == virtualServiceNamespace) ?? visible.FirstOrDefault(s => s.Namespace == proxy.Namespace) ?? visible.FirstOrDefault();
    }
}
