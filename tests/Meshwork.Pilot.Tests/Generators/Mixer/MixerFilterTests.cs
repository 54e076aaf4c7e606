using Envoy.Extensions.Upstreams.Http.V3;
using Istio.Mixer.V1.Config.Client;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Clusters;
using Meshwork.Pilot.Generators.Mixer;

namespace Meshwork.Pilot.Tests.Generators.Mixer;

public class MixerFilterTests
{
    private static readonly Meshwork.Pilot.Model.ProxyNode Ratings = TestMesh.Proxy("ratings-v1", "default", "10.0.0.7", "app=ratings,version=v1", "bookinfo-ratings");

    private static HttpClientConfig? Filter(MeshConfig mesh)
    {
        var snapshot = TestMesh.Snapshot(TestMesh.Service("ratings", "default", 9080), [Ratings], mesh);
        return MixerFilter.Inbound(snapshot, Ratings, new MixerFilter.Destination("ratings.default.svc.cluster.local", "default", "10.0.0.7", 9080))?.TypedConfig.Unpack<HttpClientConfig>();
    }

    [Fact]
    public void Inbound_NoMixerServers_NoFilter()
    {
        Assert.Null(Filter(MeshConfig.Default));
    }

    [Fact]
    public void Inbound_PolicyCheckFailOpen_FailOpenPolicy()
    {
        var config = Filter(MeshConfig.Default with { MixerCheckServer = "127.0.0.1:9091", MixerReportServer = "127.0.0.1:9092", PolicyCheckFailOpen = true })!;

        Assert.Equal(NetworkFailPolicy.Types.FailPolicy.FailOpen, config.Transport.NetworkFailPolicy.Policy);
        Assert.Equal("outbound|9091||127.0.0.1", config.Transport.CheckCluster);
        Assert.Equal("outbound|9092||127.0.0.1", config.Transport.ReportCluster);
        Assert.False(config.ServiceConfigs["ratings.default.svc.cluster.local"].DisableCheckCalls);
    }

    [Fact]
    public void Inbound_DisablePolicyChecks_ReportsOnly()
    {
        var config = Filter(MeshConfig.Default with { MixerCheckServer = "127.0.0.1:9091", MixerReportServer = "127.0.0.1:9091", DisablePolicyChecks = true })!;

        var service = config.ServiceConfigs[config.DefaultDestinationService];
        Assert.True(service.DisableCheckCalls);
        Assert.False(service.DisableReportCalls);
        Assert.Equal(string.Empty, config.Transport.CheckCluster);
    }

    [Fact]
    public void Clusters_CheckAndReportServers_Http2StaticAndDns()
    {
        var mesh = MeshConfig.Default with { MixerCheckServer = "127.0.0.1:9091", MixerReportServer = "istio-telemetry.istio-system:15004" };
        var snapshot = TestMesh.Snapshot(TestMesh.Service("ratings", "default", 9080), [Ratings], mesh);

        var clusters = TestMesh.Clusters(new ClusterGenerator().Generate(snapshot, Ratings, null));

        var check = clusters["outbound|9091||127.0.0.1"];
        Assert.Equal(Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Static, check.Type);
        Assert.NotNull(check.TypedExtensionProtocolOptions[UpstreamHttpOptions.ExtensionName].Unpack<HttpProtocolOptions>().ExplicitHttpConfig.Http2ProtocolOptions);
        Assert.Equal(Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.StrictDns, clusters["outbound|15004||istio-telemetry.istio-system"].Type);
    }
}
