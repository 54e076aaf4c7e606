using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Config.Networking;
using Meshwork.Pilot.Generators.Authorization;
using Meshwork.Pilot.Generators.Gateways;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// A router's listeners (Istio's buildGatewayListeners): one per merged server port, named
/// <c>ADDRESS_PORT</c>. Plain HTTP ports have one HCM on the table <c>http.PORT</c>; HTTPS servers
/// that terminate TLS get a chain each, matched by SNI, with their own TLS context and table;
/// PASSTHROUGH servers get a chain per TLS route match (by SNI) to tcp_proxy; TCP servers (and TLS
/// terminated for TCP) take the first TCP route that applies. AuthorizationPolicies selecting the
/// gateway guard every chain: HTTP RBAC in the HCMs, network RBAC ahead of each tcp_proxy.
/// A port with no chain has no listener.
/// </summary>
internal static class GatewayListeners
{
    public static IEnumerable<Listener> Build(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var virtualServices = BoundVirtualService.All(snapshot).Where(v => v.IsVisibleTo(proxy.Namespace)).ToList();
        var jwt = RequestAuthenticationFilter.For(snapshot, proxy);
        // AuthorizationPolicies selecting the gateway's workload (e.g. istio: ingressgateway in its
        // namespace, or mesh-wide ones) guard its HTTP servers as they guard a sidecar's inbound.
        var authorization = AuthorizationScope.For(snapshot, proxy);
        var rbac = AuthorizationFilters.Http(authorization, snapshot.Mesh.EffectiveTrustDomain).ToList();
        // Their TCP servers (plain, TLS-terminated and passthrough) get the network RBAC filters ahead
        // of tcp_proxy, as Istio's gateway builds them (BuildTCP): a denied connection is closed.
        var tcpRbac = AuthorizationFilters.Network(authorization, snapshot.Mesh.EffectiveTrustDomain).ToList();
        foreach (var port in MergedGateway.For(snapshot, proxy))
        {
            var listener = new Listener
            {
                Name = port.ListenerName,
                Address = NetworkFilters.SocketAddress(port.Address, port.Number),
                TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Outbound,
            };
            var statPrefix = $"outbound_{port.Address}_{port.Number}";
            if (port.Servers[0].Kind == ServerKind.Http)
            {
                var manager = HttpConnectionManagers.Gateway(statPrefix, port.Servers[0].RouteName, snapshot.Mesh);
                RequestAuthenticationFilter.AddTo(manager, jwt);
                AuthorizationFilters.Insert(manager, rbac);
                listener.FilterChains.Add(new FilterChain { Filters = { HttpConnectionManagers.AsFilter(manager) } });
            }
            else
            {
                var sniHandled = new HashSet<string>(StringComparer.Ordinal);
                foreach (var server in port.Servers)
                {
                    listener.FilterChains.AddRange(ServerChains(snapshot, proxy, server, statPrefix, virtualServices, sniHandled, jwt, rbac, tcpRbac));
                }
            }

            if (listener.FilterChains.Count == 0)
            {
                continue;
            }

            NetworkFilters.AddTlsInspectorIfNeeded(listener);
            yield return listener;
        }
    }

    private static IEnumerable<FilterChain> ServerChains(MeshSnapshot snapshot, ProxyNode proxy, GatewayServer server, string statPrefix, IReadOnlyList<BoundVirtualService> virtualServices, HashSet<string> sniHandled, HttpFilter? jwt, IReadOnlyList<HttpFilter> rbac, IReadOnlyList<Filter> tcpRbac)
    {
        switch (server.Kind)
        {
            case ServerKind.HttpsTerminated:
                var manager = HttpConnectionManagers.Gateway(server.Server.Name.Length > 0 ? server.Server.Name : statPrefix, server.RouteName, snapshot.Mesh);
                RequestAuthenticationFilter.AddTo(manager, jwt);
                AuthorizationFilters.Insert(manager, rbac);
                yield return SniChain(server.SniHosts, server.Server.Tls, [HttpConnectionManagers.AsFilter(manager)]);
                break;
            case ServerKind.TlsTerminated:
                if (TcpRoute(snapshot, proxy, server, virtualServices) is { } terminated)
                {
                    yield return SniChain(server.SniHosts, server.Server.Tls, [.. tcpRbac, terminated]);
                }

                break;
            case ServerKind.Tcp:
                if (TcpRoute(snapshot, proxy, server, virtualServices) is { } tcp)
                {
                    yield return new FilterChain { Filters = { tcpRbac, tcp } };
                }

                break;
            case ServerKind.TlsPassthrough:
                foreach (var chain in PassthroughChains(snapshot, proxy, server, virtualServices, sniHandled, tcpRbac))
                {
                    yield return chain;
                }

                break;
        }
    }

    private static FilterChain SniChain(IReadOnlyList<string> sniHosts, ServerTlsSettings? tls, IEnumerable<Filter> filters)
    {
        var chain = new FilterChain { Filters = { filters } };
        if (sniHosts.Count > 0)
        {
            chain.FilterChainMatch = new FilterChainMatch { ServerNames = { sniHosts } };
        }

        if (tls != null)
        {
            chain.TransportSocket = GatewayTlsContext.TransportSocket(tls);
        }

        return chain;
    }

    /// <summary>Istio's buildGatewayNetworkFiltersFromTCPRoutes: the first TCP rule of a bound VirtualService sharing a host with the server whose matches admit this port and gateway.</summary>
    private static Filter? TcpRoute(MeshSnapshot snapshot, ProxyNode proxy, GatewayServer server, IReadOnlyList<BoundVirtualService> virtualServices)
    {
        foreach (var virtualService in Bound(server, virtualServices))
        {
            foreach (var tcp in virtualService.Spec.Tcp)
            {
                if (tcp.Match.IsEmpty || tcp.Match.Any(m => L4Match(m.Port, m.Gateways, server)))
                {
                    var filter = NetworkFilters.TcpProxy(tcp.Route, server.Port, virtualService.Name, virtualService.Namespace, h => GatewayRouteTables.ServiceFor(snapshot, proxy, h, virtualService.Namespace));
                    if (filter != null)
                    {
                        return filter;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Istio's buildGatewayNetworkFiltersFromTLSRoutes: a chain per TLS route match, by its SNI hosts; an SNI set already served on the port is skipped.</summary>
    private static IEnumerable<FilterChain> PassthroughChains(MeshSnapshot snapshot, ProxyNode proxy, GatewayServer server, IReadOnlyList<BoundVirtualService> virtualServices, HashSet<string> sniHandled, IReadOnlyList<Filter> tcpRbac)
    {
        foreach (var virtualService in Bound(server, virtualServices))
        {
            foreach (var tls in virtualService.Spec.Tls)
            {
                foreach (var match in tls.Match.Where(m => L4Match(m.Port, m.Gateways, server)))
                {
                    // Envoy rejects two chains with the same SNI match; every host is recorded either way, as Istio's CheckDuplicates does.
                    var duplicates = match.SniHosts.Count(h => !sniHandled.Add(h));
                    if (duplicates > 0)
                    {
                        continue;
                    }

                    var filter = NetworkFilters.TcpProxy(tls.Route, server.Port, virtualService.Name, virtualService.Namespace, h => GatewayRouteTables.ServiceFor(snapshot, proxy, h, virtualService.Namespace));
                    if (filter != null)
                    {
                        yield return SniChain(match.SniHosts.ToList(), null, [.. tcpRbac, filter]);
                    }
                }
            }
        }
    }

    /// <summary>VirtualServices bound to the server's gateway that share a host with it.</summary>
    private static IEnumerable<BoundVirtualService> Bound(GatewayServer server, IReadOnlyList<BoundVirtualService> virtualServices) =>
        virtualServices.Where(v => v.BindsTo(server.GatewayName) && Hostnames.Intersection(server.HostsFor(v.Namespace), v.Spec.Hosts).Count > 0);

    /// <summary>Istio's l4SingleMatch: the match's port (if any) is the server's and its gateways (if any) include the server's gateway.</summary>
    private static bool L4Match(uint port, IReadOnlyCollection<string> gateways, GatewayServer server) =>
        (port == 0 || port == server.Port) && (gateways.Count == 0 || gateways.Contains(server.GatewayName));
}
