using System.Net;
using System.Net.Sockets;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Generators.LocalityLoadBalancing;
using Meshwork.Pilot.Model;
using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// Translates one planned outbound cluster for a sidecar or gateway, in Istio's order (buildCluster,
/// then applyTrafficPolicy): discovery type and inline DNS endpoints, upstream protocol, connection
/// pool, h2 upgrade, outlier detection, locality load balancing, load balancer, TLS, EDS source, metadata.
/// </summary>
internal sealed class OutboundClusterBuilder(MeshSnapshot snapshot, ProxyNode proxy)
{
    /// <summary>Istio's default MeshConfig dnsRefreshRate.</summary>
    private static readonly TimeSpan DefaultDnsRefreshRate = TimeSpan.FromSeconds(60);

    private readonly Dictionary<(ServiceKey, uint), IReadOnlyList<string>> _sans = [];

    /// <summary>The cluster, or null for a DNS cluster with no endpoints (Istio sends none rather than an empty one).</summary>
    public Cluster? Build(OutboundCluster planned)
    {
        var cluster = new Cluster { Name = planned.Name, Type = planned.Discovery };
        if (planned.Discovery is DiscoveryType.StrictDns or DiscoveryType.LogicalDns)
        {
            var endpoints = snapshot.Registry.EndpointsFor(planned.Service.Key, planned.Port.Number)
                .Where(e => IstioLabels.Selects(planned.SubsetLabels, e.Labels));
            var localities = LocalityEndpoints.Build(endpoints, ipOnly: false);
            if (localities.Count == 0)
            {
                return null;
            }

            cluster.LoadAssignment = new ClusterLoadAssignment { ClusterName = planned.Name, Endpoints = { localities } };
            cluster.DnsLookupFamily = DnsLookupFamily();
            cluster.DnsRefreshRate = Duration.FromTimeSpan(snapshot.Mesh.DnsRefreshRate ?? DefaultDnsRefreshRate);
            cluster.RespectDnsTtl = true;
        }

        var http = new UpstreamHttpOptions();
        http.SetProtocolFor(planned.Port.Protocol, proxy.Type == ProxyType.Sidecar);
        var pool = planned.Policy?.ConnectionPool;
        ClusterTrafficPolicy.ApplyConnectionPool(cluster, http, pool, snapshot.Mesh);
        ClusterTrafficPolicy.ApplyRetryBudget(cluster, planned.Policy?.RetryBudget);
        if (ClusterTrafficPolicy.ShouldUpgradeToHttp2(pool))
        {
            http.UseHttp2();
        }

        ClusterTrafficPolicy.ApplyOutlierDetection(cluster, planned.Policy?.OutlierDetection);
        LocalityLoadBalancer.ApplyToCluster(cluster, LocalityLoadBalancer.Inputs.For(snapshot, proxy, planned.Policy));
        LoadBalancerTranslation.Apply(cluster, planned.Policy?.LoadBalancer);
        var mtls = ServiceMtlsInference.For(snapshot, planned.Service, planned.Port, planned.Policy);
        ClusterTls.Apply(cluster, http, new ClusterTlsInputs(
            planned.Policy?.Tls,
            ServiceSans(planned.Service, planned.Port.Number),
            ClusterNames.IstioMtlsSni(planned.Port.Number, planned.Subset, planned.Service.Hostname),
            snapshot.Mesh.AutoMtls && mtls is not (ServiceMtlsMode.Unknown or ServiceMtlsMode.Disable),
            proxy.Type == ProxyType.Sidecar,
            planned.Rule?.Rule.WorkloadSelector is { MatchLabels.IsEmpty: false }));
        ClusterProxyProtocol.Apply(cluster, planned.Policy?.ProxyProtocol);

        if (cluster.Type == DiscoveryType.Eds)
        {
            cluster.EdsClusterConfig = EdsConfig(planned.Name, initialFetchTimeout: true);
        }

        ClusterMetadata.AddServices(cluster, [planned.Service]);
        if (planned.Service.IsMeshExternal && planned.Subset.Length == 0)
        {
            ClusterMetadata.MarkExternal(cluster);
        }

        if (planned.Rule != null)
        {
            ClusterMetadata.AddRule(cluster, planned.Rule, planned.Subset);
        }

        http.WriteTo(cluster);
        return cluster;
    }

    /// <summary>EDS over ADS, the resource named after the cluster; Envoy waits for it without a fetch timeout, as Istio configures it.</summary>
    public static Cluster.Types.EdsClusterConfig EdsConfig(string clusterName, bool initialFetchTimeout)
    {
        var source = new ConfigSource { Ads = new AggregatedConfigSource(), ResourceApiVersion = ApiVersion.V3 };
        if (initialFetchTimeout)
        {
            source.InitialFetchTimeout = new Duration();
        }

        return new Cluster.Types.EdsClusterConfig { EdsConfig = source, ServiceName = clusterName };
    }

    /// <summary>
    /// The identities a server of the service may present (Istio's PushContext.ServiceAccounts): the
    /// SPIFFE ids of its endpoints on this port and the ServiceEntry's subjectAltNames, sorted.
    /// </summary>
    public IReadOnlyList<string> ServiceSans(MeshService service, uint port)
    {
        if (!_sans.TryGetValue((service.Key, port), out var sans))
        {
            var trustDomain = snapshot.Mesh.EffectiveTrustDomain;
            sans = snapshot.Registry.EndpointsFor(service.Key, port)
                .Select(e => e.Identity(trustDomain))
                .OfType<string>()
                .Concat(service.SubjectAltNames)
                .Distinct(StringComparer.Ordinal)
                .Order(StringComparer.Ordinal)
                .ToList();
            _sans[(service.Key, port)] = sans;
        }

        return sans;
    }

    /// <summary>Istio: IPv4 only unless every address of the proxy is IPv6 (dual stack is not enabled).</summary>
    private Cluster.Types.DnsLookupFamily DnsLookupFamily() =>
        proxy.IpAddresses.Count > 0 && proxy.IpAddresses.All(ip => IPAddress.TryParse(ip, out var a) && a.AddressFamily == AddressFamily.InterNetworkV6)
            ? Cluster.Types.DnsLookupFamily.V6Only
            : Cluster.Types.DnsLookupFamily.V4Only;
}
