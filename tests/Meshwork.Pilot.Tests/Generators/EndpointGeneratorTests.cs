using Meshwork.Pilot.Generators.Endpoints;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Registry.Model;
using HealthStatus = Envoy.Config.Core.V3.HealthStatus;

namespace Meshwork.Pilot.Tests.Generators;

public class EndpointGeneratorTests
{
    private static readonly ProxyNode Client = TestMesh.Proxy("client-1", "default", "10.0.0.1", "app=client", "client");

    private static readonly string Yaml = TestMesh.Service("reviews", "default", 9080) + """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          subsets: [{name: v1, labels: {version: v1}}]
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: reviews-vm, namespace: default}
        spec:
          address: 10.0.0.9
          labels: {app: reviews, version: v2}
          locality: eu/eu-1
          weight: 5
        """;

    private static readonly ProxyNode ReviewsV1 = TestMesh.Proxy("reviews-1", "default", "10.0.0.2", "app=reviews,version=v1", "reviews");

    [Fact]
    public void Generate_Subset_KeepsOnlyEndpointsWithItsLabels()
    {
        var assignments = TestMesh.Assignments(new EndpointGenerator().Generate(TestMesh.Snapshot(Yaml, [Client, ReviewsV1]), Client, null));

        var v1 = assignments["outbound|9080|v1|reviews.default.svc.cluster.local"];
        Assert.Equal("10.0.0.2", v1.Endpoints.Single().LbEndpoints.Single().Endpoint.Address.SocketAddress.Address);
        Assert.Equal(2, assignments["outbound|9080||reviews.default.svc.cluster.local"].Endpoints.Count);
    }

    [Fact]
    public void Generate_Localities_CarryRegionZoneAndTheSumOfWeights()
    {
        var all = TestMesh.Assignments(new EndpointGenerator().Generate(TestMesh.Snapshot(Yaml, [Client, ReviewsV1]), Client, null))["outbound|9080||reviews.default.svc.cluster.local"];

        var eu = all.Endpoints.Single(l => l.Locality.Region == "eu");
        Assert.Equal("eu-1", eu.Locality.Zone);
        Assert.Equal(5u, eu.LoadBalancingWeight);
        Assert.Equal(5u, eu.LbEndpoints.Single().LoadBalancingWeight);
        var unknown = all.Endpoints.Single(l => l.Locality.Region.Length == 0);
        Assert.NotNull(unknown.Locality);
        Assert.Equal(1u, unknown.LoadBalancingWeight);
        Assert.All(all.Endpoints, l => Assert.Equal(0u, l.Priority));
    }

    [Fact]
    public void Generate_RequestedNames_UnknownOutboundIsEmptyAndOtherNamesAreIgnored()
    {
        var names = new HashSet<string> { "outbound|9080||reviews.default.svc.cluster.local", "outbound|1||nowhere.example", "inbound|9080||", "garbage" };

        var assignments = TestMesh.Assignments(new EndpointGenerator().Generate(TestMesh.Snapshot(Yaml, [Client, ReviewsV1]), Client, names));

        Assert.Equal(["outbound|1||nowhere.example", "outbound|9080||reviews.default.svc.cluster.local"], assignments.Keys.Order());
        Assert.Empty(assignments["outbound|1||nowhere.example"].Endpoints);
    }

    [Fact]
    public void Build_UnixSocketAndUnhealthy_BecomePipeAndUnhealthyButProxylessDropsThePipe()
    {
        ServiceEndpoint[] endpoints =
        [
            new() { Hostname = "a", ServiceNamespace = "ns", ServicePort = 80, Address = "unix:///var/run/a.sock" },
            new() { Hostname = "a", ServiceNamespace = "ns", ServicePort = 80, Address = "10.0.0.3", Port = 8080, Health = WorkloadHealth.Unhealthy },
            new() { Hostname = "a", ServiceNamespace = "ns", ServicePort = 80, Address = "10.0.0.3", Port = 8080 },
        ];

        var envoy = LocalityEndpoints.Build(endpoints, ipOnly: false).Single().LbEndpoints;
        var grpc = LocalityEndpoints.Build(endpoints, ipOnly: true).Single().LbEndpoints;

        Assert.Equal(2, envoy.Count);
        Assert.Equal("10.0.0.3", envoy[0].Endpoint.Address.SocketAddress.Address);
        Assert.Equal(HealthStatus.Unhealthy, envoy[0].HealthStatus);
        Assert.Equal("/var/run/a.sock", envoy[1].Endpoint.Address.Pipe.Path);
        Assert.Equal("10.0.0.3", Assert.Single(grpc).Endpoint.Address.SocketAddress.Address);
    }

    [Fact]
    public void Metadata_SidecarEndpoint_HasTlsModeAndCompressedWorkload()
    {
        var endpoint = new ServiceEndpoint
        {
            Hostname = "a",
            ServiceNamespace = "ns",
            ServicePort = 80,
            Address = "10.0.0.3",
            TlsMode = EndpointTlsMode.Istio,
            WorkloadName = "a-1",
            WorkloadNamespace = "ns",
            Labels = new Meshwork.Config.Values.ValueMap<string, string>([KeyValuePair.Create("app", "a"), KeyValuePair.Create("version", "latest")]),
        };

        var metadata = EndpointMetadata.For(endpoint).FilterMetadata;

        Assert.Equal("istio", metadata[EndpointMetadata.TransportSocketMatchKey].Fields["tlsMode"].StringValue);
        Assert.Equal("a-1;ns;a;;", metadata["istio"].Fields["workload"].StringValue);
        Assert.False(EndpointMetadata.For(endpoint with { TlsMode = EndpointTlsMode.Disabled }).FilterMetadata.ContainsKey(EndpointMetadata.TransportSocketMatchKey));
    }

    [Fact]
    public void Concerns_EndpointPush_OnlyForHostsTheProxySees()
    {
        var sidecar = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: default}
            spec:
              egress: [{hosts: ["./reviews.default.svc.cluster.local"]}]
            ---

            """;
        var snapshot = TestMesh.Snapshot(sidecar + Yaml + "\n---\n" + TestMesh.Service("ratings", "default"), [Client]);
        var generator = new EndpointGenerator();

        Assert.True(generator.Concerns(PushRequest.ForEndpoints(["reviews.default.svc.cluster.local"], DateTimeOffset.UnixEpoch), Client, snapshot));
        Assert.False(generator.Concerns(PushRequest.ForEndpoints(["ratings.default.svc.cluster.local"], DateTimeOffset.UnixEpoch), Client, snapshot));
        Assert.True(generator.Concerns(PushRequest.ForServices(["ratings.default.svc.cluster.local"], DateTimeOffset.UnixEpoch), Client, snapshot));
    }
}
