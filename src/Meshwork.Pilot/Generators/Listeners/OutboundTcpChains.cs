using Envoy.Config.Listener.V3;
using Meshwork.Config.Networking;
using Meshwork.Config.Validation.Networking;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Listeners;

/// <summary>
/// The filter chains of a sidecar's outbound TCP/TLS listener for one port (Istio's
/// buildSidecarOutboundTLSFilterChainOpts and buildSidecarOutboundTCPFilterChainOpts). TLS services
/// get a chain per TLS route match (by SNI, and destination subnets), or one matching their own
/// hostname as SNI; opaque TCP services get the first TCP route that applies to this proxy, or their
/// cluster. Since the listener is bound to the proxy's own address, SNI is all that tells TLS
/// services apart, and only one opaque TCP service can own the port: the first, by hostname.
/// </summary>
internal sealed class OutboundTcpChains
{
    private static readonly HashSet<string> MeshGateway = new(StringComparer.Ordinal) { BoundVirtualService.MeshGateway };

    private readonly ProxyNode _proxy;
    private readonly MeshVirtualServices _virtualServices;
    private readonly Func<string, MeshService?> _serviceFor;
    private readonly List<FilterChain> _chains = [];
    private readonly HashSet<string> _matches = new(StringComparer.Ordinal);

    public OutboundTcpChains(ProxyNode proxy, MeshVirtualServices virtualServices, Func<string, MeshService?> serviceFor)
    {
        _proxy = proxy;
        _virtualServices = virtualServices;
        _serviceFor = serviceFor;
    }

    public IReadOnlyList<FilterChain> Chains => _chains;

    /// <summary>Opaque TCP and TLS protocols: what needs a listener of its own rather than the HTTP route table.</summary>
    public static bool IsTcpOrTls(PortProtocol protocol) => !protocol.IsHttp() && protocol is not (PortProtocol.Unsupported or PortProtocol.Udp);

    public static bool IsTls(PortProtocol protocol) => protocol is PortProtocol.Tls or PortProtocol.Https;

    /// <summary>Adds the chains for <paramref name="service"/> reached on <paramref name="port"/>.</summary>
    public void Add(MeshService service, uint port, PortProtocol protocol)
    {
        // Istio: a port that is not the service's own falls back to the service's only port.
        var clusterPort = service.Ports.Any(p => p.Number == port) || service.Ports.Count != 1 ? port : service.Ports[0].Number;
        var defaultCluster = ClusterNames.Outbound(clusterPort, string.Empty, service.Hostname);
        var configs = _virtualServices.AllFor(service.Hostname);
        if (IsTls(protocol))
        {
            var matched = false;
            foreach (var virtualService in configs)
            {
                foreach (var tls in virtualService.Spec.Tls)
                {
                    foreach (var match in tls.Match.Where(m => StaticMatch(m.Gateways, m.SourceLabels, m.Port, m.SourceNamespace, port)))
                    {
                        if (NetworkFilters.TcpProxy(tls.Route, port, virtualService.Name, virtualService.Namespace, _serviceFor) is { } filter)
                        {
                            matched |= AddChain(match.SniHosts, match.DestinationSubnets, filter);
                        }
                    }
                }
            }

            if (!matched)
            {
                AddChain([service.Hostname], [], NetworkFilters.TcpProxy(defaultCluster));
            }

            return;
        }

        foreach (var virtualService in configs)
        {
            foreach (var tcp in virtualService.Spec.Tcp)
            {
                var matches = tcp.Match.IsEmpty ? [null] : tcp.Match.Where(m => StaticMatch(m.Gateways, m.SourceLabels, m.Port, m.SourceNamespace, port)).ToList<L4MatchAttributes?>();
                foreach (var match in matches)
                {
                    if (NetworkFilters.TcpProxy(tcp.Route, port, virtualService.Name, virtualService.Namespace, _serviceFor) is not { } filter)
                    {
                        continue;
                    }

                    AddChain([], match?.DestinationSubnets ?? default, filter);
                    if (match == null || match.DestinationSubnets.IsEmpty)
                    {
                        // A match with no runtime condition catches everything left: later rules are unreachable.
                        return;
                    }
                }
            }
        }

        AddChain([], [], NetworkFilters.TcpProxy(defaultCluster));
    }

    /// <summary>Istio's matchTCP / matchTLS: what can be decided when generating for this proxy (gateway, source labels, port, source namespace).</summary>
    private bool StaticMatch(IReadOnlyCollection<string> gateways, IReadOnlyDictionary<string, string> sourceLabels, uint matchPort, string sourceNamespace, uint port) =>
        (gateways.Count == 0 || gateways.Any(MeshGateway.Contains))
        && sourceLabels.All(l => _proxy.Labels.TryGetValue(l.Key, out var value) && value == l.Value)
        && (matchPort == 0 || matchPort == port)
        && (sourceNamespace.Length == 0 || sourceNamespace == _proxy.Namespace);

    /// <summary>Adds a chain unless one with the same runtime match exists (Envoy rejects duplicate matches); true when added or already handled.</summary>
    private bool AddChain(IReadOnlyCollection<string> serverNames, IReadOnlyCollection<string> subnets, Filter filter)
    {
        var key = string.Join(",", serverNames.Order(StringComparer.Ordinal)) + "|" + string.Join(",", subnets.Order(StringComparer.Ordinal));
        if (!_matches.Add(key))
        {
            return true;
        }

        var chain = new FilterChain { Filters = { filter } };
        if (serverNames.Count > 0 || subnets.Count > 0)
        {
            chain.FilterChainMatch = new FilterChainMatch();
            chain.FilterChainMatch.ServerNames.AddRange(serverNames);
            chain.FilterChainMatch.PrefixRanges.AddRange(subnets.Select(NetworkFilters.Cidr).OfType<Envoy.Config.Core.V3.CidrRange>());
        }

        _chains.Add(chain);
        return true;
    }
}
