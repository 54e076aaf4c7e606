using Envoy.Config.Route.V3;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// Route tables for proxyless gRPC clients: one per <c>host:port</c> the client asked for, named as
/// asked, with one virtual host whose domains are what the channel authority can be (the requested
/// <c>host:port</c> and <c>host</c>, plus the FQDN forms). Routes come from the VirtualService for the
/// host, else the default route; timeouts become max_stream_duration, which is what gRPC reads.
/// </summary>
internal static class ProxylessRouteTables
{
    public static RouteConfiguration Build(ProxylessTarget target, MeshSnapshot snapshot, ProxyNode proxy, EgressListenerScope scope)
    {
        var rules = DestinationRuleLookup.For(snapshot, proxy);
        var services = scope.Services.ToDictionary(s => s.Hostname, StringComparer.Ordinal);
        var meshGateway = new HashSet<string>(StringComparer.Ordinal) { BoundVirtualService.MeshGateway };
        var context = new RouteContext(proxy, snapshot.Mesh, target.Port.Number, IsTls: false, meshGateway, h => services.GetValueOrDefault(h), rules);
        var virtualService = MeshVirtualServices.For(snapshot, proxy, scope).For(target.Service.Hostname);
        var routes = virtualService != null ? HttpRouteTranslator.Translate(virtualService, context) : [];
        if (routes.Count == 0)
        {
            var cluster = ClusterNames.Outbound(target.Port.Number, string.Empty, target.Service.Hostname);
            routes = [HttpRouteTranslator.DefaultRoute(cluster, $"{target.Service.Hostname}:{target.Port.Number}/*", snapshot.Mesh.DefaultHttpRetryPolicy, rules.HashFor(target.Service, target.Port.Number), proxyless: true)];
        }

        var domains = new[]
        {
            Hostnames.WithPort(target.RequestedHost, target.Port.Number),
            target.RequestedHost,
            Hostnames.WithPort(target.Service.Hostname, target.Port.Number),
            target.Service.Hostname,
        }.Distinct(StringComparer.Ordinal);
        return new RouteConfiguration
        {
            Name = target.Name,
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = Hostnames.WithPort(target.Service.Hostname, target.Port.Number),
                    Domains = { domains },
                    Routes = { routes },
                },
            },
        };
    }
}
