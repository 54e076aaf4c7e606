using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.LocalityLoadBalancing;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;
using Meshwork.Registry.ServiceEntries;

namespace Meshwork.Pilot.Generators.Endpoints;

/// <summary>
/// EDS (Istio's EdsGenerator and EndpointBuilder): one ClusterLoadAssignment per EDS cluster of the
/// proxy, named as the cluster, with the endpoints of the cluster's service port on the definition
/// the proxy sees, narrowed to the subset's labels and grouped by locality, with locality weights or
/// priorities relative to the proxy when locality load balancing applies. An outbound cluster name
/// the proxy asks for but cannot see gets an empty assignment, so the client does not wait for it.
/// </summary>
public sealed class EndpointGenerator : ISharedResourceGenerator
{
    public string TypeUrl => TypeUrls.Endpoint;

    public IReadOnlyList<GeneratedResource> Generate(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names) =>
        GenerateShared(snapshot, proxy, names);

    /// <summary>All of EDS is shared: it reads the proxy's scope, selectors, locality and whether it is proxyless (<see cref="SharedProxyInputs"/>).</summary>
    public IReadOnlyList<GeneratedResource> GenerateShared(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
    {
        var plan = OutboundClusterPlan.For(snapshot, proxy, ProxyScope.For(snapshot, proxy))
            .Where(c => c.IsEds)
            .DistinctBy(c => c.Name, StringComparer.Ordinal)
            .ToDictionary(c => c.Name, StringComparer.Ordinal);
        var wanted = names?.Where(n => plan.ContainsKey(n) || ClusterNames.TryParseOutbound(n, out _, out _, out _)) ?? plan.Keys;
        return wanted
            .Order(StringComparer.Ordinal)
            .Select(name => plan.TryGetValue(name, out var cluster) ? Assignment(snapshot, proxy, cluster) : new ClusterLoadAssignment { ClusterName = name })
            .Select(a => new GeneratedResource(a.ClusterName, Any.Pack(a)))
            .ToList();
    }

    /// <summary>Full pushes can change which clusters exist and their subsets; endpoint pushes matter only for hosts the proxy sees.</summary>
    public bool Concerns(PushRequest request, ProxyNode proxy) => FullConcerns(request) || !request.EndpointsUpdated.IsEmpty;

    public bool Concerns(PushRequest request, ProxyNode proxy, MeshSnapshot snapshot) =>
        FullConcerns(request) || (!request.EndpointsUpdated.IsEmpty && ProxyScope.For(snapshot, proxy).Services.Any(s => request.EndpointsUpdated.Contains(s.Hostname)));

    /// <summary>A full push, unless only config of kinds no assignment reads changed (Istio's skippedEdsConfigs: VirtualService, Gateway and the security and telemetry kinds).</summary>
    private static bool FullConcerns(PushRequest request) => request.Full && !request.OnlyConfigsOfKinds(ClusterGenerator.KindsNotRead);

    /// <summary>
    /// The cluster's endpoints grouped by locality, then weighted or prioritized for this proxy's
    /// locality when locality load balancing applies (as Istio's BuildClusterLoadAssignment).
    /// </summary>
    public static ClusterLoadAssignment Assignment(MeshSnapshot snapshot, ProxyNode proxy, OutboundCluster cluster)
    {
        var endpoints = snapshot.Registry.EndpointsFor(cluster.Service.Key, cluster.Port.Number)
            .Where(e => IstioLabels.Selects(cluster.SubsetLabels, e.Labels));
        var groups = LocalityEndpoints.Group(endpoints, ipOnly: proxy.IsProxylessGrpc);
        var assignment = new ClusterLoadAssignment
        {
            ClusterName = cluster.Name,
            Endpoints = { groups.Select(g => g.Envoy) },
        };
        if (groups.Count > 0 && LocalityLoadBalancer.Inputs.For(snapshot, proxy, cluster.Policy) is { } locality)
        {
            LocalityLoadBalancer.Apply(assignment, groups, locality);
        }

        return assignment;
    }
}
