using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Config.Mesh;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Model;

/// <summary>
/// What one proxy may see (Istio's SidecarScope): the Sidecar resource that applies to it, and the
/// services its egress hosts and their <c>exportTo</c> make visible. Without a Sidecar, every
/// service exported to the proxy's namespace is visible, as in Istio.
/// </summary>
public sealed record ProxyScope(ConfigResource? Sidecar, IReadOnlyList<MeshService> Services, OutboundTrafficMode OutboundTrafficMode)
{
    /// <summary>Istio's precedence: a Sidecar in the proxy's namespace whose selector matches its labels, then the namespace's selector-less Sidecar, then the root namespace's.</summary>
    public static ConfigResource? SidecarFor(MeshSnapshot snapshot, ProxyNode proxy) =>
        Sidecars.GetValue(snapshot, _ => new ConcurrentDictionary<ProxyNode, ConfigResource?>())
            .GetOrAdd(SharedProxyInputs.For(snapshot, proxy), inputs => FindSidecar(snapshot, inputs));

    /// <summary>Looked up once per snapshot and distinct <see cref="SharedProxyInputs"/> (every listener build asks, and it scans all config).</summary>
    private static readonly ConditionalWeakTable<MeshSnapshot, ConcurrentDictionary<ProxyNode, ConfigResource?>> Sidecars = new();

    private static ConfigResource? FindSidecar(MeshSnapshot snapshot, ProxyNode proxy)
    {
        var sidecars = snapshot.Config.OfKind(ResourceKinds.Sidecar).ToList();
        var inNamespace = sidecars.Where(s => s.Namespace == proxy.Namespace).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var selected = inNamespace.FirstOrDefault(s => s.SpecAs<Sidecar>().WorkloadSelector is { Labels.IsEmpty: false } selector && Matches(selector, proxy));
        return selected
            ?? inNamespace.FirstOrDefault(s => s.SpecAs<Sidecar>().WorkloadSelector is null or { Labels.IsEmpty: true })
            ?? sidecars.Where(s => s.Namespace == snapshot.Mesh.EffectiveRootNamespace && s.SpecAs<Sidecar>().WorkloadSelector is null or { Labels.IsEmpty: true })
                .OrderBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault();
    }

    private static readonly ConditionalWeakTable<MeshSnapshot, ConcurrentDictionary<ProxyNode, ProxyScope>> Scopes = new();

    /// <summary>
    /// The proxy's scope, built once per snapshot for all proxies with equal
    /// <see cref="SharedProxyInputs"/> (and from those inputs, so nothing else can make it differ):
    /// pushes ask for it per proxy and type, and it filters every service.
    /// </summary>
    public static ProxyScope For(MeshSnapshot snapshot, ProxyNode proxy) =>
        Scopes.GetValue(snapshot, _ => new ConcurrentDictionary<ProxyNode, ProxyScope>())
            .GetOrAdd(SharedProxyInputs.For(snapshot, proxy), inputs => Build(snapshot, inputs));

    private static ProxyScope Build(MeshSnapshot snapshot, ProxyNode proxy)
    {
        // Istio applies Sidecar resources to sidecars only; a gateway sees every service exported to its namespace.
        var sidecar = proxy.Type == ProxyType.Sidecar ? SidecarFor(snapshot, proxy) : null;
        var spec = sidecar?.SpecAs<Sidecar>();
        var hosts = spec?.Egress.SelectMany(e => e.Hosts).ToList();
        var visible = OnePerHostname(snapshot.Registry.Services
            .Where(s => s.ExportTo.IsVisibleTo(proxy.Namespace))
            .Where(s => hosts == null || hosts.Count == 0 || hosts.Any(h => EgressHostMatches(h, s, proxy.Namespace, proxy.Namespace))),
            proxy.Namespace);
        var mode = spec?.OutboundTrafficPolicy is { } policy
            ? (policy.Mode == OutboundTrafficPolicyMode.RegistryOnly ? OutboundTrafficMode.RegistryOnly : OutboundTrafficMode.AllowAny)
            : snapshot.Mesh.EffectiveOutboundTrafficMode;
        return new ProxyScope(sidecar, visible, mode);
    }

    /// <summary>
    /// One definition per hostname, as Istio's SidecarScope keeps: the proxy's own namespace's
    /// definition wins, else the oldest (the registry lists services oldest first). Two definitions
    /// of one host would otherwise give two clusters and listeners of the same name.
    /// </summary>
    public static List<MeshService> OnePerHostname(IEnumerable<MeshService> services, string proxyNamespace)
    {
        var list = services.ToList();
        var own = list.Where(s => s.Namespace == proxyNamespace).Select(s => s.Hostname).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return list.Where(s => (!own.Contains(s.Hostname) || s.Namespace == proxyNamespace) && seen.Add(s.Hostname)).ToList();
    }

    /// <summary>
    /// An egress host <c>ns/dnsName</c>: ns is <c>*</c>, <c>.</c>, <c>~</c> (none) or a name; dnsName is <c>*</c>, <c>*.suffix</c> or exact.
    /// <c>.</c> is the proxy's own namespace (Istio's configNamespace), also for a mesh-wide Sidecar in the root namespace.
    /// </summary>
    public static bool EgressHostMatches(string egressHost, MeshService service, string proxyNamespace, string sidecarNamespace)
    {
        var slash = egressHost.IndexOf('/', StringComparison.Ordinal);
        var ns = slash < 0 ? "*" : egressHost[..slash];
        var host = slash < 0 ? egressHost : egressHost[(slash + 1)..];
        var nsMatches = ns switch
        {
            "*" => true,
            "~" => false,
            "." => service.Namespace == sidecarNamespace,
            _ => service.Namespace == ns,
        };
        return nsMatches && HostMatches(host, service.Hostname);
    }

    /// <summary>Istio's host matching: <c>*</c> matches all, <c>*.suffix</c> matches names ending in <c>.suffix</c> (and a wildcard service with the same or a narrower suffix).</summary>
    public static bool HostMatches(string pattern, string hostname)
    {
        if (pattern == "*" || pattern == hostname)
        {
            return true;
        }

        if (pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = pattern[1..];
            var name = hostname.StartsWith("*.", StringComparison.Ordinal) ? hostname[1..] : hostname;
            return name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase);
        }

        return false;
    }

    private static bool Matches(Config.Networking.WorkloadSelector selector, ProxyNode proxy) =>
        selector.Labels.All(l => proxy.Labels.TryGetValue(l.Key, out var value) && value == l.Value);
}
