using Meshwork.Config.Networking;
using Meshwork.Config.Resources;
using Meshwork.Config.Values;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// A VirtualService as Pilot's push context holds it: hosts and destination hosts resolved to
/// FQDNs against the resource's namespace, gateway names as <c>ns/name</c> (empty means <c>mesh</c>),
/// and its resolved <c>exportTo</c>. Translation reads only these, so short names never leak out.
/// </summary>
internal sealed record BoundVirtualService(string Name, string Namespace, VirtualService Spec, ServiceExportTo ExportTo)
{
    public const string MeshGateway = "mesh";

    /// <summary>Every VirtualService in Istio's order (creation time, then name, then namespace), resolved, with delegates merged into their roots.</summary>
    public static IReadOnlyList<BoundVirtualService> All(MeshSnapshot snapshot) => Bound.GetValue(snapshot, BindAll);

    /// <summary>Bound once per snapshot: every listener and route table of every proxy reads them.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<MeshSnapshot, IReadOnlyList<BoundVirtualService>> Bound = new();

    private static IReadOnlyList<BoundVirtualService> BindAll(MeshSnapshot snapshot)
    {
        var defaultExportTo = snapshot.Mesh.DefaultVirtualServiceExportTo;
        var bound = snapshot.Config.OfKind(ResourceKinds.VirtualService)
            .OrderBy(r => r.Metadata.CreationTimestamp, StringComparer.Ordinal)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ThenBy(r => r.Namespace, StringComparer.Ordinal)
            .Select(r => Bind(r, defaultExportTo))
            .ToList();
        return VirtualServiceDelegation.Merge(bound);
    }

    public static BoundVirtualService Bind(ConfigResource resource, ValueList<string> defaultExportTo)
    {
        var ns = resource.Namespace;
        var spec = resource.SpecAs<VirtualService>();
        var exportTo = spec.ExportTo.IsEmpty && !defaultExportTo.IsEmpty ? defaultExportTo : spec.ExportTo;
        var resolved = spec with
        {
            Hosts = Map(spec.Hosts, h => Hostnames.ResolveShortName(h, ns)),
            Gateways = spec.Gateways.IsEmpty ? new[] { MeshGateway } : Map(spec.Gateways, g => GatewayName(g, ns)),
            Http = Map(spec.Http, h => Resolve(h, ns)),
            Tcp = Map(spec.Tcp, t => t with
            {
                Match = Map(t.Match, m => m with { Gateways = Map(m.Gateways, g => GatewayName(g, ns)) }),
                Route = Map(t.Route, d => d with { Destination = Resolve(d.Destination, ns) }),
            }),
            Tls = Map(spec.Tls, t => t with
            {
                Match = Map(t.Match, m => m with { Gateways = Map(m.Gateways, g => GatewayName(g, ns)) }),
                Route = Map(t.Route, d => d with { Destination = Resolve(d.Destination, ns) }),
            }),
        };
        return new BoundVirtualService(resource.Name, ns, resolved, ServiceExportTo.Resolve(exportTo, ns));
    }

    /// <summary>Istio's resolveGatewayName: <c>mesh</c> stays, <c>name</c> becomes <c>ns/name</c>.</summary>
    public static string GatewayName(string gateway, string @namespace) =>
        gateway == MeshGateway || gateway.Contains('/', StringComparison.Ordinal) ? gateway : $"{@namespace}/{gateway}";

    public bool IsVisibleTo(string @namespace) => ExportTo.IsVisibleTo(@namespace);

    public bool BindsTo(string gateway) => Spec.Gateways.Contains(gateway);

    public string Key => $"{Namespace}/{Name}";

    private static HttpRoute Resolve(HttpRoute route, string ns) => route with
    {
        Match = Map(route.Match, m => m with { Gateways = Map(m.Gateways, g => GatewayName(g, ns)) }),
        Route = Map(route.Route, d => d with { Destination = Resolve(d.Destination, ns) }),
        Mirror = Resolve(route.Mirror, ns),
        Mirrors = Map(route.Mirrors, m => m with { Destination = Resolve(m.Destination, ns) }),
    };

    private static Destination? Resolve(Destination? destination, string ns) =>
        destination == null ? null : destination with { Host = Hostnames.ResolveShortName(destination.Host, ns) };

    private static ValueList<T> Map<T>(ValueList<T> items, Func<T, T> map) =>
        items.IsEmpty ? items : new ValueList<T>(items.Select(map));
}
