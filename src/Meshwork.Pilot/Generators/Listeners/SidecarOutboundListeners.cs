using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Meshwork.Config.Validation.Networking;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// A sidecar's outbound listeners in local mode, where each proxy owns a loopback address and apps
/// reach services through it rather than through iptables: <c>virtualOutbound</c> on
/// <c>IP:15001</c> takes HTTP proxy-form requests (HTTP_PROXY) and routes them with the
/// <c>outbound</c> table; Sidecar egress listeners with a port get <c>BIND_PORT</c>; opaque TCP and
/// TLS service ports get <c>IP_PORT</c> with tcp_proxy chains. A name already taken (by an inbound
/// listener, or an egress listener) is not built twice: the first claim wins.
/// </summary>
internal static class SidecarOutboundListeners
{
    public const string VirtualOutbound = "virtualOutbound";
    public const uint OutboundPort = 15001;

    public static IEnumerable<Listener> Build(MeshSnapshot snapshot, ProxyNode proxy, string address, ISet<string> taken)
    {
        var scopes = EgressListenerScope.For(snapshot, proxy);
        taken.Add(ListenerName(address, OutboundPort));
        yield return HttpListener(VirtualOutbound, address, OutboundPort, SidecarRouteTables.OutboundTable, snapshot.Mesh);

        foreach (var scope in scopes.Where(s => !s.IsCatchAll))
        {
            var port = scope.Listener!.Port!;
            var bind = scope.Listener.Bind.Length > 0 ? scope.Listener.Bind : address;
            var name = ListenerName(bind, port.Number);
            if (bind.StartsWith("unix://", StringComparison.Ordinal) || !taken.Add(name))
            {
                continue;
            }

            if (SidecarRouteTables.IsHttpEgress(scope))
            {
                yield return HttpListener(name, bind, port.Number, SidecarRouteTables.PortTableName(port.Number), snapshot.Mesh);
                continue;
            }

            var protocol = PortProtocols.Parse(port.Protocol);
            var chains = new OutboundTcpChains(proxy, MeshVirtualServices.For(snapshot, proxy, scope), ServiceLookup(scope));
            foreach (var service in scope.Services.Where(s => s.Port(port.Number) != null || s.Ports.Count == 1))
            {
                chains.Add(service, port.Number, protocol);
            }

            if (TcpListener(name, bind, port.Number, chains) is { } listener)
            {
                yield return listener;
            }
        }

        var catchAll = scopes.FirstOrDefault(s => s.IsCatchAll);
        if (catchAll == null)
        {
            yield break;
        }

        // Only TCP and TLS ports read the VirtualServices, and most meshes have none: binding them per proxy was most of LDS.
        MeshVirtualServices? virtualServices = null;
        var byPort = catchAll.Services
            .SelectMany(s => s.Ports.Where(p => OutboundTcpChains.IsTcpOrTls(p.Protocol)).Select(p => (Service: s, Port: p)))
            .GroupBy(sp => sp.Port.Number)
            .OrderBy(g => g.Key);
        foreach (var group in byPort)
        {
            var name = ListenerName(address, group.Key);
            if (!taken.Add(name))
            {
                continue;
            }

            virtualServices ??= MeshVirtualServices.For(snapshot, proxy, catchAll);
            var chains = new OutboundTcpChains(proxy, virtualServices, ServiceLookup(catchAll));
            foreach (var (service, port) in group.OrderBy(sp => sp.Service.Hostname, StringComparer.Ordinal))
            {
                chains.Add(service, port.Number, port.Protocol);
            }

            if (TcpListener(name, address, group.Key, chains) is { } listener)
            {
                yield return listener;
            }
        }
    }

    /// <summary>Istio's listener naming, <c>ADDRESS_PORT</c>.</summary>
    public static string ListenerName(string address, uint port) => $"{address}_{port}";

    private static Listener HttpListener(string name, string address, uint port, string routeTable, Meshwork.Config.Mesh.MeshConfig mesh)
    {
        var manager = HttpConnectionManagers.WithRds($"outbound_{address}_{port}", routeTable, useRemoteAddress: false, mesh);

        // Apps send absolute URIs to an HTTP proxy (GET http://reviews:9080/ HTTP/1.1).
        manager.HttpProtocolOptions = new Http1ProtocolOptions { AllowAbsoluteUrl = true };
        return new Listener
        {
            Name = name,
            Address = NetworkFilters.SocketAddress(address, port),
            TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Outbound,
            FilterChains = { new FilterChain { Filters = { HttpConnectionManagers.AsFilter(manager) } } },
        };
    }

    private static Listener? TcpListener(string name, string address, uint port, OutboundTcpChains chains)
    {
        if (chains.Chains.Count == 0)
        {
            return null;
        }

        var listener = new Listener
        {
            Name = name,
            Address = NetworkFilters.SocketAddress(address, port),
            TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Outbound,
            FilterChains = { chains.Chains },
        };
        NetworkFilters.AddTlsInspectorIfNeeded(listener);
        return listener;
    }

    private static Func<string, MeshService?> ServiceLookup(EgressListenerScope scope)
    {
        var services = scope.Services.ToDictionary(s => s.Hostname, StringComparer.Ordinal);
        return h => services.GetValueOrDefault(h);
    }
}
