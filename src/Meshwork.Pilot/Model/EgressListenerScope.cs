using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Meshwork.Config.Networking;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Model;

/// <summary>
/// One egress listener of the proxy's Sidecar resource (Istio's IstioEgressListenerWrapper), or the
/// implicit catch-all <c>*/*</c> listener without one: the hosts it imports and the services they
/// select. Listeners and routes are built per egress listener, so a port-specific egress listener
/// only sees its own hosts.
/// </summary>
public sealed record EgressListenerScope(IstioEgressListener? Listener, IReadOnlyList<string> Hosts, IReadOnlyList<MeshService> Services, string ConfigNamespace)
{
    private static readonly string[] ImportAll = ["*/*"];

    /// <summary>No port: the listener that scopes the proxy's outbound HTTP route table and default per-service listeners.</summary>
    public bool IsCatchAll => Listener?.Port is null or { Number: 0 };

    /// <summary>The proxy's egress listeners: port-specific ones first (as Istio builds them), the catch-all last.</summary>
    public static IReadOnlyList<EgressListenerScope> For(MeshSnapshot snapshot, ProxyNode proxy) =>
        Scopes.GetValue(snapshot, _ => new ConcurrentDictionary<ProxyNode, IReadOnlyList<EgressListenerScope>>())
            .GetOrAdd(SharedProxyInputs.For(snapshot, proxy), inputs => Build(snapshot, inputs));

    private static readonly ConditionalWeakTable<MeshSnapshot, ConcurrentDictionary<ProxyNode, IReadOnlyList<EgressListenerScope>>> Scopes = new();

    /// <summary>Built once per snapshot and distinct <see cref="SharedProxyInputs"/>, from those inputs (as <see cref="ProxyScope.For"/>).</summary>
    private static IReadOnlyList<EgressListenerScope> Build(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var sidecar = ProxyScope.SidecarFor(snapshot, proxy);
        var egress = sidecar?.SpecAs<Sidecar>().Egress ?? default;
        // Istio reads "." as the proxy's namespace (configNamespace), even for the root namespace's Sidecar.
        var configNamespace = proxy.Namespace;
        if (egress.IsEmpty)
        {
            return [Build(snapshot, proxy, null, ImportAll, configNamespace)];
        }

        return egress
            .OrderBy(e => e.Port is null or { Number: 0 } ? 1 : 0)
            .Select(e => Build(snapshot, proxy, e, e.Hosts.ToArray(), configNamespace))
            .ToList();
    }

    /// <summary>Istio's SelectVirtualServices: a VirtualService is imported when an egress host's namespace part admits its namespace and its dnsName matches one of its hosts.</summary>
    public bool ImportsVirtualService(string virtualServiceNamespace, IEnumerable<string> virtualServiceHosts)
    {
        var hosts = virtualServiceHosts.ToList();
        foreach (var egressHost in Hosts)
        {
            var slash = egressHost.IndexOf('/', StringComparison.Ordinal);
            var ns = slash < 0 ? "*" : egressHost[..slash];
            var dnsName = slash < 0 ? egressHost : egressHost[(slash + 1)..];
            var nsMatches = ns switch
            {
                "*" => true,
                "~" => false,
                "." => virtualServiceNamespace == ConfigNamespace,
                _ => virtualServiceNamespace == ns,
            };
            if (nsMatches && hosts.Any(h => h == "*" || dnsName == "*" || Hostnames.Matches(h, dnsName)))
            {
                return true;
            }
        }

        return false;
    }

    private static EgressListenerScope Build(MeshSnapshot snapshot, ProxyNode proxy, IstioEgressListener? listener, IReadOnlyList<string> hosts, string configNamespace)
    {
        // One definition per hostname, the proxy's own namespace first (Istio's SidecarScope keeps one service per host).
        var services = snapshot.Registry.Services
            .Where(s => s.ExportTo.IsVisibleTo(proxy.Namespace))
            .Where(s => hosts.Any(h => ProxyScope.EgressHostMatches(h, s, proxy.Namespace, configNamespace)))
            .GroupBy(s => s.Hostname, StringComparer.Ordinal)
            .Select(g => g.FirstOrDefault(s => s.Namespace == proxy.Namespace) ?? g.First())
            .OrderBy(s => s.Hostname, StringComparer.Ordinal)
            .ToList();
        return new EgressListenerScope(listener, hosts, services, configNamespace);
    }
}
