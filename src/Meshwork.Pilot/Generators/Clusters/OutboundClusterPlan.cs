using Meshwork.Config.Networking;
using Meshwork.Config.Validation.Networking;
using Meshwork.Config.Values;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// One outbound cluster a proxy should have, before translation: the service port it reaches, the
/// subset (empty for the default cluster) and its labels, the traffic policy that applies to exactly
/// this port and subset, the rule it came from, and how Envoy discovers the endpoints.
/// </summary>
public sealed record OutboundCluster
{
    public required string Name { get; init; }

    public required MeshService Service { get; init; }

    public required MeshServicePort Port { get; init; }

    public string Subset { get; init; } = string.Empty;

    public ValueMap<string, string> SubsetLabels { get; init; }

    public TrafficPolicy? Policy { get; init; }

    public AppliedDestinationRule? Rule { get; init; }

    public required DiscoveryType Discovery { get; init; }

    /// <summary>Endpoints come over EDS, named by the cluster name.</summary>
    public bool IsEds => Discovery == DiscoveryType.Eds;
}

/// <summary>
/// The outbound clusters of a proxy, shared by CDS (which translates them) and EDS (which serves the
/// endpoints of those discovered over EDS): a default cluster per visible service port and one per
/// DestinationRule subset, as Istio's buildOutboundClusters lists them.
/// </summary>
public static class OutboundClusterPlan
{
    public static IReadOnlyList<OutboundCluster> For(MeshSnapshot snapshot, ProxyNode proxy, ProxyScope scope)
    {
        var rules = DestinationRuleIndex.Of(snapshot);
        var clusters = new List<OutboundCluster>();
        foreach (var service in scope.Services)
        {
            var rule = rules.For(proxy, service);
            foreach (var port in service.Ports.Where(p => p.Protocol != PortProtocol.Udp))
            {
                var policy = TrafficPolicies.ForPort(rule?.Rule.TrafficPolicy, port.Number);
                if (DiscoveryFor(service, proxy, policy, inherited: null) is not { } discovery)
                {
                    continue;
                }

                clusters.Add(new OutboundCluster
                {
                    Name = ClusterNames.Outbound(port.Number, string.Empty, service.Hostname),
                    Service = service,
                    Port = port,
                    Policy = policy,
                    Rule = rule,
                    Discovery = discovery,
                });

                foreach (var subset in rule?.Rule.Subsets ?? default)
                {
                    var subsetPolicy = TrafficPolicies.ForSubset(rule!.Rule.TrafficPolicy, subset.TrafficPolicy, port.Number);
                    clusters.Add(new OutboundCluster
                    {
                        Name = ClusterNames.Outbound(port.Number, subset.Name, service.Hostname),
                        Service = service,
                        Port = port,
                        Subset = subset.Name,
                        SubsetLabels = subset.Labels,
                        Policy = subsetPolicy,
                        Rule = rule,
                        Discovery = DiscoveryFor(service, proxy, subsetPolicy, discovery)!.Value,
                    });
                }
            }
        }

        return clusters;
    }

    /// <summary>
    /// Istio's convertResolution, then a PASSTHROUGH load balancer turning the cluster into an
    /// original-destination one (a subset inherits that from its default cluster). Gateways cannot
    /// pass through, so they use EDS; proxyless gRPC clients understand EDS only (and LOGICAL_DNS,
    /// which Meshwork does not offer them), so other resolutions give them no cluster.
    /// Null: no cluster (DYNAMIC_DNS needs Envoy's dynamic forward proxy, which Meshwork does not build).
    /// </summary>
    public static DiscoveryType? DiscoveryFor(MeshService service, ProxyNode proxy, TrafficPolicy? policy, DiscoveryType? inherited)
    {
        if (proxy.IsProxylessGrpc)
        {
            return service.Resolution is ServiceResolution.Static or ServiceResolution.None ? DiscoveryType.Eds : null;
        }

        if (service.Resolution == ServiceResolution.DynamicDns)
        {
            return null;
        }

        if (inherited == DiscoveryType.OriginalDst || policy?.LoadBalancer?.Simple == SimpleLb.Passthrough)
        {
            return DiscoveryType.OriginalDst;
        }

        return service.Resolution switch
        {
            ServiceResolution.Dns => DiscoveryType.StrictDns,
            ServiceResolution.DnsRoundRobin => DiscoveryType.LogicalDns,
            ServiceResolution.None when proxy.Type == ProxyType.Sidecar => DiscoveryType.OriginalDst,
            _ => DiscoveryType.Eds,
        };
    }
}
