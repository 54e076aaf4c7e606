using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// The VirtualServices a sidecar (or proxyless client) applies through one egress listener: bound to
/// the <c>mesh</c> gateway, exported to the proxy's namespace and imported by the listener's hosts.
/// Each host takes the rules of one VirtualService: the first (in Istio's order) naming it exactly,
/// else the one with the most specific matching wildcard. Istio merges several VirtualServices for
/// one host only on gateways; on sidecars the first one wins and the others are ignored.
/// </summary>
internal sealed class MeshVirtualServices
{
    private readonly IReadOnlyList<BoundVirtualService> _virtualServices;

    private MeshVirtualServices(IReadOnlyList<BoundVirtualService> virtualServices) => _virtualServices = virtualServices;

    public static MeshVirtualServices For(MeshSnapshot snapshot, ProxyNode proxy, EgressListenerScope scope) =>
        new(BoundVirtualService.All(snapshot)
            .Where(v => v.BindsTo(BoundVirtualService.MeshGateway) && v.IsVisibleTo(proxy.Namespace))
            .Where(v => scope.ImportsVirtualService(v.Namespace, v.Spec.Hosts))
            .ToList());

    public IReadOnlyList<BoundVirtualService> All => _virtualServices;

    /// <summary>Every VirtualService with a host matching <paramref name="hostname"/>, in order (Istio's getConfigsForHost, for TCP and TLS routes).</summary>
    public IReadOnlyList<BoundVirtualService> AllFor(string hostname) =>
        _virtualServices.Where(v => v.Spec.Hosts.Any(h => Hostnames.Matches(h, hostname))).ToList();

    /// <summary>The VirtualService whose HTTP rules apply to <paramref name="hostname"/>, or null.</summary>
    public BoundVirtualService? For(string hostname)
    {
        var exact = _virtualServices.FirstOrDefault(v => v.Spec.Hosts.Contains(hostname, StringComparer.Ordinal));
        if (exact != null)
        {
            return exact;
        }

        BoundVirtualService? best = null;
        var bestLength = -1;
        foreach (var virtualService in _virtualServices)
        {
            foreach (var host in virtualService.Spec.Hosts.Where(Hostnames.IsWildcard))
            {
                if (Hostnames.Matches(host, hostname) && host.Length > bestLength)
                {
                    best = virtualService;
                    bestLength = host.Length;
                }
            }
        }

        return best;
    }
}
