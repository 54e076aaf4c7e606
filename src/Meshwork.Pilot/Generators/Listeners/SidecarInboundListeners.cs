using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Meshwork.Config.Networking;
using Meshwork.Config.Validation.Networking;
using Meshwork.Pilot.Generators.Authorization;
using Meshwork.Pilot.Generators.Mixer;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// A sidecar's inbound listeners: one per port its workload serves, bound to the workload's own
/// address (local mode has no iptables redirect, so no virtualInbound). The ports are those the
/// registry says the workload backs services on (Istio's service targets), or the Sidecar's
/// ingress listeners when it has any. HTTP ports get an HCM with Istio's inline inbound route table
/// <c>inbound|PORT||</c>; other ports a tcp_proxy; both to the cluster <c>inbound|PORT||</c>.
/// The filter chains follow the workload's PeerAuthentication on that (target) port
/// (<see cref="InboundMtlsChains"/>); a workload without any policy is PERMISSIVE. The workload's
/// AuthorizationPolicies come first in each chain: HTTP RBAC filters in the HCM, network RBAC
/// filters before tcp_proxy.
/// </summary>
internal static class SidecarInboundListeners
{
    public static IEnumerable<Listener> Build(MeshSnapshot snapshot, ProxyNode proxy, string address, ISet<string> taken)
    {
        var mtls = PeerAuthentications.For(snapshot, proxy.Namespace, proxy.Labels);
        // The workload's AuthorizationPolicies, enforced by RBAC filters before its HCM's router or its tcp_proxy.
        var authorization = AuthorizationScope.For(snapshot, proxy);
        var trustDomain = snapshot.Mesh.EffectiveTrustDomain;
        var jwt = RequestAuthenticationFilter.For(snapshot, proxy);
        foreach (var port in Ports(snapshot, proxy, address))
        {
            var name = SidecarOutboundListeners.ListenerName(port.Address, port.Number);
            if (!taken.Add(name))
            {
                continue;
            }

            var cluster = ClusterNames.Inbound(port.Number);
            Func<IEnumerable<Filter>> filter = port.IsHttp
                ? () => [InboundManager(snapshot, proxy, port, cluster, jwt, authorization, trustDomain)]
                : () => [.. AuthorizationFilters.Network(authorization, trustDomain), NetworkFilters.TcpProxy(cluster)];
            var listener = new Listener
            {
                Name = name,
                Address = NetworkFilters.SocketAddress(port.Address, port.Number),
                TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Inbound,
                FilterChains = { InboundMtlsChains.Build(name, mtls.ForPort(port.Number), port.IsHttp, filter) },
            };
            if (InboundMtlsChains.NeedsTlsInspector(listener))
            {
                listener.ListenerFilters.Add(NetworkFilters.TlsInspector());
            }

            yield return listener;
        }
    }

    private static Filter InboundManager(MeshSnapshot snapshot, ProxyNode proxy, InboundPort port, string cluster, Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpFilter? jwt, AuthorizationScope authorization, string trustDomain)
    {
        var manager = HttpConnectionManagers.Inbound($"inbound_{port.Address}_{port.Number}", RouteTable(cluster, port), snapshot.Mesh);
        RequestAuthenticationFilter.AddTo(manager, jwt);
        AuthorizationFilters.Insert(manager, AuthorizationFilters.Http(authorization, trustDomain));

        // Istio 1.4 ran Mixer's policy check after authentication and before fault, cors and the router.
        if (MixerFilter.Inbound(snapshot, proxy, new MixerFilter.Destination(port.Hostname, port.ServiceNamespace.Length > 0 ? port.ServiceNamespace : proxy.Namespace, port.Address, port.Number)) is { } mixer)
        {
            var at = manager.HttpFilters.Select((f, i) => (f, i)).FirstOrDefault(x => x.f.Name == FaultAndCorsTranslator.FaultFilter, (null!, manager.HttpFilters.Count)).Item2;
            manager.HttpFilters.Insert(at, mixer);
        }
        return HttpConnectionManagers.AsFilter(manager);
    }

    /// <summary>Istio's buildSidecarInboundHTTPRouteConfig: every host, one route, no timeout (the caller's sidecar owns timeouts).</summary>
    private static RouteConfiguration RouteTable(string cluster, InboundPort port)
    {
        var action = new RouteAction { Cluster = cluster, Timeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.Zero) };
        action.MaxStreamDuration = new RouteAction.Types.MaxStreamDuration
        {
            MaxStreamDuration_ = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.Zero),
            GrpcTimeoutHeaderMax = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.Zero),
        };
        return new RouteConfiguration
        {
            Name = cluster,
            ValidateClusters = false,
            VirtualHosts =
            {
                new VirtualHost
                {
                    Name = $"inbound|http|{port.Number}",
                    Domains = { "*" },
                    Routes =
                    {
                        new Route
                        {
                            Name = HttpRouteTranslator.DefaultRouteName,
                            Match = RouteMatchTranslator.CatchAll(),
                            Route_ = action,
                            Decorator = new Decorator { Operation = $"{port.Hostname}:{port.Number}/*" },
                        },
                    },
                },
            },
        };
    }

    private static IReadOnlyList<InboundPort> Ports(MeshSnapshot snapshot, ProxyNode proxy, string address)
    {
        var ingress = ProxyScope.SidecarFor(snapshot, proxy)?.SpecAs<Sidecar>().Ingress ?? default;
        if (!ingress.IsEmpty)
        {
            return ingress
                .Where(i => i.Port is { Number: > 0 } && !i.Bind.StartsWith("unix://", StringComparison.Ordinal))
                .Select(i => new InboundPort(
                    i.Bind.Length > 0 ? i.Bind : address,
                    i.Port!.Number,
                    IsHttp(PortProtocols.Parse(i.Port.Protocol)),
                    proxy.WorkloadName.Length > 0 ? proxy.WorkloadName : proxy.Name,
                    proxy.Namespace))
                .ToList();
        }

        // The workload's service targets: each endpoint port once, the first service (by hostname) naming it.
        return snapshot.Registry.EndpointsAt(proxy.IpAddress, proxy.Namespace)
            .Where(e => e.Port > 0)
            .OrderBy(e => e.Port)
            .ThenBy(e => e.Hostname, StringComparer.Ordinal)
            .GroupBy(e => e.Port)
            .Select(g =>
            {
                var endpoint = g.First();
                var protocol = snapshot.Registry.Service(endpoint.ServiceNamespace, endpoint.Hostname)?.Port(endpoint.ServicePort)?.Protocol ?? PortProtocol.Unsupported;
                return new InboundPort(address, endpoint.Port, IsHttp(protocol), endpoint.Hostname, endpoint.ServiceNamespace);
            })
            .ToList();
    }

    /// <summary>HTTP, gRPC and unnamed (sniffed) ports get an HCM; TCP, TLS and the rest a tcp_proxy.</summary>
    private static bool IsHttp(PortProtocol protocol) => protocol.IsHttp() || protocol == PortProtocol.Unsupported;

    private sealed record InboundPort(string Address, uint Number, bool IsHttp, string Hostname, string ServiceNamespace);
}
