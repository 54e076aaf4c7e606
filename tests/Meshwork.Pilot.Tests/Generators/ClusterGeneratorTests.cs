using System.Collections.Immutable;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;
using LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy;

namespace Meshwork.Pilot.Tests.Generators;

public class ClusterGeneratorTests
{
    private const string Reviews = "outbound|9080||reviews.default.svc.cluster.local";

    private static readonly ProxyNode Productpage = TestMesh.Proxy("productpage-1", "default", "10.0.0.1", "app=productpage", "productpage");
    private static readonly ProxyNode ReviewsV1 = TestMesh.Proxy("reviews-1", "default", "10.0.0.2", "app=reviews,version=v1", "reviews", ports: ("p9080", 9080));

    /// <summary>reviews with a sidecar (auto-registered) and a VM without one.</summary>
    private static readonly string MixedReviews = TestMesh.Service("reviews", "default", 9080) + """
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: reviews-vm, namespace: default}
        spec:
          address: 10.0.0.9
          labels: {app: reviews, version: v2}
        """;

    /// <summary>Envoy's choice of transport socket for an endpoint: the first match whose keys the endpoint's <c>envoy.transport_socket_match</c> metadata carries, else the cluster's socket.</summary>
    private static TransportSocket? SocketFor(Cluster cluster, LbEndpoint endpoint)
    {
        endpoint.Metadata.FilterMetadata.TryGetValue(EndpointMetadata.TransportSocketMatchKey, out var labels);
        foreach (var match in cluster.TransportSocketMatches)
        {
            if (match.Match.Fields.All(f => labels != null && labels.Fields.TryGetValue(f.Key, out var v) && v.Equals(f.Value)))
            {
                return match.TransportSocket;
            }
        }

        return cluster.TransportSocket;
    }

    [Fact]
    public void Simulate_AutoMtls_SidecarEndpointGetsIstioMtlsAndVmGetsPlaintext()
    {
        var snapshot = TestMesh.Snapshot(MixedReviews, [Productpage, ReviewsV1]);
        var cluster = TestMesh.Clusters(new ClusterGenerator().Generate(snapshot, Productpage, null))[Reviews];
        var assignment = TestMesh.Assignments(new EndpointGenerator().Generate(snapshot, Productpage, null))[Reviews];
        var byAddress = assignment.Endpoints.SelectMany(l => l.LbEndpoints).ToDictionary(e => e.Endpoint.Address.SocketAddress.Address);

        var toSidecar = SocketFor(cluster, byAddress["10.0.0.2"])!;
        var tls = toSidecar.TypedConfig.Unpack<UpstreamTlsContext>();
        Assert.Equal("outbound_.9080_._.reviews.default.svc.cluster.local", tls.Sni);
        Assert.Equal("spiffe://cluster.local/ns/default/sa/reviews", Assert.Single(tls.CommonTlsContext.CombinedValidationContext.DefaultValidationContext.MatchTypedSubjectAltNames).Matcher.Exact);
        Assert.Equal(UpstreamTlsContexts.RawBufferSocketName, SocketFor(cluster, byAddress["10.0.0.9"])!.Name);
    }

    [Fact]
    public void Generate_AutoMtlsDisabledInMeshConfig_LeavesClustersPlaintext()
    {
        var snapshot = TestMesh.Snapshot(MixedReviews, [Productpage, ReviewsV1], new MeshConfig { EnableAutoMtls = false });

        var cluster = TestMesh.Clusters(new ClusterGenerator().Generate(snapshot, Productpage, null))[Reviews];

        Assert.Empty(cluster.TransportSocketMatches);
        Assert.Null(cluster.TransportSocket);
    }

    [Theory]
    [InlineData("istio-system", "DISABLE", false)]
    [InlineData("istio-system", "STRICT", true)]
    [InlineData("default", "PERMISSIVE", true)]
    public void Generate_PeerAuthenticationMode_DecidesAutoMtls(string ns, string mode, bool mtls)
    {
        var policies = $$$"""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: {{{ns}}}}
            spec:
              mtls: {mode: {{{mode}}}}
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec: {mtls: {mode: DISABLE}}
            ---

            """;
        var yaml = ns == "istio-system" ? policies[..policies.LastIndexOf("apiVersion", StringComparison.Ordinal)] : policies;
        var snapshot = TestMesh.Snapshot(yaml + MixedReviews, [Productpage, ReviewsV1]);

        var cluster = TestMesh.Clusters(new ClusterGenerator().Generate(snapshot, Productpage, null))[Reviews];

        Assert.Equal(mtls, cluster.TransportSocketMatches.Count == 2);
    }

    [Fact]
    public void Generate_MeshConnectTimeoutAndDnsRefresh_ComeFromMeshConfig()
    {
        var yaml = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: ext, namespace: default}
            spec:
              hosts: [ext.example.com]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            """;
        var mesh = new MeshConfig { ConnectTimeout = TimeSpan.FromSeconds(3), DnsRefreshRate = TimeSpan.FromSeconds(5) };
        var clusters = TestMesh.Clusters(new ClusterGenerator().Generate(TestMesh.Snapshot(yaml, [Productpage], mesh), Productpage, null));

        var ext = clusters["outbound|80||ext.example.com"];
        Assert.Equal(DiscoveryType.StrictDns, ext.Type);
        Assert.Equal(3, ext.ConnectTimeout.Seconds);
        Assert.Equal(5, ext.DnsRefreshRate.Seconds);
        Assert.Equal(3, clusters[ClusterNames.BlackHole].ConnectTimeout.Seconds);
    }

    [Fact]
    public void Generate_EveryCluster_HasItsTypeSetExplicitly()
    {
        var snapshot = TestMesh.Snapshot(MixedReviews, [Productpage, ReviewsV1]);

        foreach (var resource in new ClusterGenerator().Generate(snapshot, ReviewsV1, null))
        {
            Assert.Equal(Cluster.ClusterDiscoveryTypeOneofCase.Type, resource.Resource.Unpack<Cluster>().ClusterDiscoveryTypeCase);
        }
    }

    [Fact]
    public void Generate_Sidecar_GetsInboundClusterForItsServicePort()
    {
        var snapshot = TestMesh.Snapshot(MixedReviews, [Productpage, ReviewsV1]);

        var inbound = TestMesh.Clusters(new ClusterGenerator().Generate(snapshot, ReviewsV1, null))["inbound|9080||"];

        Assert.Equal(DiscoveryType.Static, inbound.Type);
        var address = inbound.LoadAssignment.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress;
        Assert.Equal(("127.0.0.1", 9080u), (address.Address, address.PortValue));
    }

    [Fact]
    public void Generate_Proxyless_OnlyRequestedClustersAndAnUnknownDefaultOne()
    {
        var yaml = TestMesh.Service("reviews", "default", 9080, "GRPC") + """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {simple: RANDOM}}
              subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
            """;
        var client = TestMesh.Proxy("client", "default", "10.0.0.5", generator: "grpc");
        var snapshot = TestMesh.Snapshot(yaml, [client, ReviewsV1]);
        var names = new HashSet<string>
        {
            "outbound|9080|v1|reviews.default.svc.cluster.local",
            "outbound|7000||unknown.default.svc.cluster.local",
            "outbound|7000|v9|unknown.default.svc.cluster.local",
        };

        var clusters = TestMesh.Clusters(new ClusterGenerator().Generate(snapshot, client, names));

        Assert.Equal(["outbound|7000||unknown.default.svc.cluster.local", "outbound|9080|v1|reviews.default.svc.cluster.local"], clusters.Keys.Order());
        Assert.All(clusters.Values, c => Assert.Equal(DiscoveryType.Eds, c.Type));
        Assert.Equal(LbPolicy.RoundRobin, clusters["outbound|9080|v1|reviews.default.svc.cluster.local"].LbPolicy);
        Assert.All(clusters.Values, c => Assert.Empty(c.TransportSocketMatches));
    }

    [Theory]
    [InlineData("{simple: LEAST_REQUEST}", LbPolicy.RoundRobin)]
    [InlineData("{simple: RANDOM}", LbPolicy.RoundRobin)]
    [InlineData("{simple: PASSTHROUGH}", LbPolicy.RoundRobin)]
    [InlineData("{consistentHash: {httpHeaderName: x, maglev: {tableSize: 1031}}}", LbPolicy.RingHash)]
    [InlineData("{consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 64}}}", LbPolicy.RingHash)]
    public void Generate_Proxyless_UsesOnlyPoliciesGrpcAccepts(string loadBalancer, LbPolicy expected)
    {
        var yaml = TestMesh.Service("reviews", "default", 9080, "GRPC") + $$"""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: reviews, namespace: default}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {{loadBalancer}}}
            """;
        var client = TestMesh.Proxy("client", "default", "10.0.0.5", generator: "grpc");

        var cluster = TestMesh.Clusters(new ClusterGenerator().Generate(TestMesh.Snapshot(yaml, [client, ReviewsV1]), client, new HashSet<string> { Reviews }))[Reviews];

        Assert.Equal(DiscoveryType.Eds, cluster.Type);
        Assert.Equal(expected, cluster.LbPolicy);
    }

    [Fact]
    public void Concerns_EndpointOnlyPush_DoesNotRebuildClusters()
    {
        var generator = new ClusterGenerator();

        Assert.False(generator.Concerns(PushRequest.ForEndpoints(["reviews.default.svc.cluster.local"], DateTimeOffset.UnixEpoch), Productpage));
        Assert.True(generator.Concerns(PushRequest.ForServices(["ext.example.com"], DateTimeOffset.UnixEpoch), Productpage));
        Assert.True(generator.Concerns(PushRequest.ForConfig(ImmutableHashSet<string>.Empty, DateTimeOffset.UnixEpoch), Productpage));
    }

    [Fact]
    public void Concerns_OnlyVirtualServicesChanged_NeitherClustersNorEndpoints()
    {
        var now = DateTimeOffset.UnixEpoch;
        var virtualService = PushRequest.ForConfig(["VirtualService/default/reviews", "Gateway/default/edge"], now);
        var withRule = PushRequest.ForConfig(["VirtualService/default/reviews", "DestinationRule/default/reviews"], now);
        var withService = virtualService.Merge(PushRequest.ForServices(["reviews.default.svc.cluster.local"], now));
        var withEndpoints = virtualService.Merge(PushRequest.ForEndpoints(["reviews.default.svc.cluster.local"], now));
        var snapshot = TestMesh.Snapshot(TestMesh.Service("reviews", "default", 9080), [Productpage]);

        foreach (var generator in new Meshwork.Pilot.Generators.IResourceGenerator[] { new ClusterGenerator(), new Meshwork.Pilot.Generators.Endpoints.EndpointGenerator() })
        {
            Assert.False(generator.Concerns(virtualService, Productpage, snapshot));
            Assert.True(generator.Concerns(withRule, Productpage, snapshot));
            Assert.True(generator.Concerns(withService, Productpage, snapshot));
        }

        Assert.False(new ClusterGenerator().Concerns(withEndpoints, Productpage));
        Assert.True(new Meshwork.Pilot.Generators.Endpoints.EndpointGenerator().Concerns(withEndpoints, Productpage, snapshot));
    }

    [Fact]
    public void Generate_DuplicateHostnameInTwoNamespaces_OneClusterFromTheProxysNamespace()
    {
        var yaml = TestMesh.Service("reviews", "default", 9080) + """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: other}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              ports: [{number: 9090, name: http, protocol: HTTP}]
              resolution: STATIC
            """;
        var inOther = TestMesh.Proxy("other-1", "other", "10.0.1.1");
        var snapshot = TestMesh.Snapshot(yaml, [inOther]);

        var names = new ClusterGenerator().Generate(snapshot, inOther, null).Select(r => r.Name).Where(n => n.StartsWith("outbound", StringComparison.Ordinal));

        Assert.Equal(["outbound|9090||reviews.default.svc.cluster.local"], names);
    }
}
