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

    /// <summary>Each exact host (wildcard strings included, as a host names them) with the VirtualServices naming it, in order.</summary>
    private readonly Dictionary<string, List<int>> _byHost = new(StringComparer.Ordinal);

    /// <summary>The wildcard hosts, each with the position of its VirtualService, in order.</summary>
    private readonly List<(string Host, int Index)> _wildcards = [];

    private MeshVirtualServices(IReadOnlyList<BoundVirtualService> virtualServices)
    {
        // Indexed once per table: a table has a virtual host per service, and scanning every
        // VirtualService for each of them was quadratic in the mesh's size.
        _virtualServices = virtualServices;
        for (var i = 0; i < virtualServices.Count; i++)
        {
            foreach (var host in virtualServices[i].Spec.Hosts)
            {
                if (!_byHost.TryGetValue(host, out var named))
                {
                    _byHost[host] = named = [];
                }

                if (named.Count == 0 || named[^1] != i)
                {
                    named.Add(i);
                }

                if (Hostnames.IsWildcard(host))
                {
                    _wildcards.Add((host, i));
                }
            }
        }
    }

    public static MeshVirtualServices For(MeshSnapshot snapshot, ProxyNode proxy, EgressListenerScope scope) =>
        new(BoundVirtualService.All(snapshot)
            .Where(v => v.BindsTo(BoundVirtualService.MeshGateway) && v.IsVisibleTo(proxy.Namespace))
            .Where(v => scope.ImportsVirtualService(v.Namespace, v.Spec.Hosts))
            .ToList());

    public IReadOnlyList<BoundVirtualService> All => _virtualServices;

    /// <summary>Every VirtualService with a host matching <paramref name="hostname"/>, in order (Istio's getConfigsForHost, for TCP and TLS routes).</summary>
    public IReadOnlyList<BoundVirtualService> AllFor(string hostname)
    {
        if (Hostnames.IsWildcard(hostname))
        {
            // A wildcard matches exact hosts by suffix: no lookup finds those.
            return _virtualServices.Where(v => v.Spec.Hosts.Any(h => Hostnames.Matches(h, hostname))).ToList();
        }

        // An exact name matches a host equal to it or a wildcard it ends with.
        var positions = new SortedSet<int>(_byHost.GetValueOrDefault(hostname) ?? []);
        foreach (var (host, index) in _wildcards)
        {
            if (Hostnames.Matches(host, hostname))
            {
                positions.Add(index);
            }
        }

        return positions.Select(i => _virtualServices[i]).ToList();
    }

    /// <summary>The VirtualService whose HTTP rules apply to <paramref name="hostname"/>, or null.</summary>
    public BoundVirtualService? For(string hostname)
    {
        if (_byHost.TryGetValue(hostname, out var exact))
        {
            return _virtualServices[exact[0]];
        }

        BoundVirtualService? best = null;
        var bestLength = -1;
        foreach (var (host, index) in _wildcards)
        {
            if (Hostnames.Matches(host, hostname) && host.Length > bestLength)
            {
                best = _virtualServices[index];
                bestLength = host.Length;
            }
        }

        return best;
    }
}
