using Envoy.Config.Cluster.V3;
using Meshwork.Config.Networking;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// Clusters for proxyless gRPC clients (Istio's grpcgen): EDS only, no connect timeout or HTTP
/// options (gRPC ignores them), a load balancer gRPC accepts, outlier detection (gRFC A50), the
/// request limit when the rule sets one (A32; gRPC's own default is 1024), and Istio mTLS only when
/// the rule asks for ISTIO_MUTUAL: the client may not use xDS credentials, so auto mTLS would break it.
/// </summary>
internal static class ProxylessClusterBuilder
{
    public static Cluster Build(OutboundCluster planned, IReadOnlyList<string> serviceSans)
    {
        var cluster = Eds(planned.Name);
        var policy = planned.Policy;
        LoadBalancerTranslation.ApplyForProxyless(cluster, policy?.LoadBalancer);
        ClusterTrafficPolicy.ApplyOutlierDetection(cluster, policy?.OutlierDetection);
        if (policy?.ConnectionPool?.Http is { Http2MaxRequests: > 0 } http)
        {
            cluster.CircuitBreakers = new CircuitBreakers { Thresholds = { new CircuitBreakers.Types.Thresholds { MaxRequests = (uint)http.Http2MaxRequests } } };
        }

        if (policy?.Tls is { Mode: ClientTlsMode.IstioMutual } tls)
        {
            var sans = tls.SubjectAltNames.IsEmpty ? serviceSans : tls.SubjectAltNames;
            cluster.TransportSocket = UpstreamTlsContexts.Socket(UpstreamTlsContexts.ProxylessIstioMutual(sans));
        }

        return cluster;
    }

    /// <summary>A bare EDS cluster: what Istio answers for a requested service it does not know, so the client fails fast on an empty endpoint set instead of waiting for the resource.</summary>
    public static Cluster Eds(string name) => new()
    {
        Name = name,
        Type = DiscoveryType.Eds,
        EdsClusterConfig = OutboundClusterBuilder.EdsConfig(name, initialFetchTimeout: false),
        LbPolicy = Cluster.Types.LbPolicy.RoundRobin,
    };
}
