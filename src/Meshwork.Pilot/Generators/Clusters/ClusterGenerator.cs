using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Resources;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// CDS (Istio's ConfigGeneratorImpl.BuildClusters and grpcgen.BuildClusters). A sidecar gets an
/// outbound cluster per visible service port and DestinationRule subset, its inbound clusters, and
/// BlackHole/Passthrough; a gateway gets the outbound clusters and BlackHole; a proxyless gRPC
/// client gets the EDS clusters it asks for by name. Sorted by name; the first of two clusters with
/// one name wins, as in Istio.
/// </summary>
public sealed class ClusterGenerator : ISharedResourceGenerator
{
    public string TypeUrl => TypeUrls.Cluster;

    public IReadOnlyList<GeneratedResource> Generate(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names) =>
        SharedOutput.Merge(GenerateShared(snapshot, proxy, names), GenerateOwn(snapshot, proxy, names));

    /// <summary>
    /// The outbound clusters and BlackHole/Passthrough (everything for gateways and proxyless
    /// clients): they read the proxy only through <see cref="SharedProxyInputs"/>.
    /// </summary>
    public IReadOnlyList<GeneratedResource> GenerateShared(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var scope = ProxyScope.For(snapshot, proxy);
        var plan = OutboundClusterPlan.For(snapshot, proxy, scope);
        var clusters = proxy.IsProxylessGrpc ? ForProxyless(snapshot, proxy, plan, names) : ForEnvoy(snapshot, proxy, plan);
        return Finish(clusters, new HashSet<string>(StringComparer.Ordinal), names);
    }

    /// <summary>
    /// A sidecar's inbound clusters, which read its addresses and ports. The first of two clusters
    /// with one name wins, as in Istio, so a shared cluster keeps its name.
    /// </summary>
    public IReadOnlyList<GeneratedResource> GenerateOwn(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names) =>
        proxy.IsProxylessGrpc || proxy.Type != ProxyType.Sidecar
            ? []
            : Finish(new InboundClusterBuilder(snapshot, proxy, ProxyScope.For(snapshot, proxy)).Build(), new HashSet<string>(StringComparer.Ordinal), names);

    private static List<GeneratedResource> Finish(IEnumerable<Cluster> clusters, HashSet<string> seen, IReadOnlySet<string>? names) =>
        clusters
            .Where(c => seen.Add(c.Name))
            .Where(c => names == null || names.Contains(c.Name))
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new GeneratedResource(c.Name, Any.Pack(c)))
            .ToList();

    /// <summary>
    /// The config kinds no cluster is built from (Istio's skippedCdsConfigs, less what Meshwork's
    /// clusters do read): a push for changes of these kinds only leaves every proxy's clusters as they were.
    /// </summary>
    public static IReadOnlySet<string> KindsNotRead { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        ResourceKinds.VirtualService.Kind, ResourceKinds.Gateway.Kind, ResourceKinds.AuthorizationPolicy.Kind,
        ResourceKinds.RequestAuthentication.Kind, ResourceKinds.Telemetry.Kind,
    };

    /// <summary>Clusters change with config and services only; DNS-resolved endpoints, which live in CDS, arrive as service changes (full pushes).</summary>
    public bool Concerns(PushRequest request, ProxyNode proxy) => request.Full && !request.OnlyConfigsOfKinds(KindsNotRead);

    /// <summary>Also an endpoint push that changes the proxy's own service targets (its inbound clusters), as for listeners.</summary>
    public bool Concerns(PushRequest request, ProxyNode proxy, MeshSnapshot snapshot) =>
        Concerns(request, proxy) || Listeners.ListenerGenerator.OwnTargetsChanged(request, proxy, snapshot);

    private static IEnumerable<Cluster> ForEnvoy(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlyList<OutboundCluster> plan)
    {
        var outbound = new OutboundClusterBuilder(snapshot, proxy);
        foreach (var planned in plan)
        {
            if (outbound.Build(planned) is { } cluster)
            {
                yield return cluster;
            }
        }

        yield return CatchAllClusters.BlackHole(snapshot.Mesh);
        if (proxy.Type != ProxyType.Sidecar)
        {
            yield break; // gateways have no original-destination listeners and no workload behind them
        }

        yield return CatchAllClusters.Passthrough(snapshot.Mesh);
        yield return CatchAllClusters.Passthrough(snapshot.Mesh, ClusterNames.InboundPassthrough);

        // The Mixer servers the sidecars' mixer filters check and report with.
        foreach (var mixer in Mixer.MixerServers.Clusters(snapshot.Mesh))
        {
            yield return mixer;
        }
    }

    private static IEnumerable<Cluster> ForProxyless(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlyList<OutboundCluster> plan, IReadOnlySet<string>? names)
    {
        var sans = new OutboundClusterBuilder(snapshot, proxy);
        var planned = plan.Where(p => p.IsEds).ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var cluster in planned.Values.Where(p => names == null || names.Contains(p.Name)))
        {
            yield return ProxylessClusterBuilder.Build(cluster, sans.ServiceSans(cluster.Service, cluster.Port.Number));
        }

        // A default cluster asked for by name that the proxy cannot see still gets an (empty) EDS cluster, as Istio does.
        foreach (var name in names ?? new HashSet<string>())
        {
            if (!planned.ContainsKey(name) && ClusterNames.TryParseOutbound(name, out _, out var subset, out _) && subset.Length == 0)
            {
                yield return ProxylessClusterBuilder.Eds(name);
            }
        }
    }
}
