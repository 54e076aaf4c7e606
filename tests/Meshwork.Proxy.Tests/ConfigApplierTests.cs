using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Xds;

namespace Meshwork.Proxy.Tests;

public class ConfigApplierTests
{
    private static Cluster Eds(string name) => new()
    {
        Name = name,
        Type = Cluster.Types.DiscoveryType.Eds,
        EdsClusterConfig = new Cluster.Types.EdsClusterConfig { EdsConfig = new ConfigSource { Ads = new AggregatedConfigSource() }, ServiceName = name },
    };

    private static IncomingResource In(string name, Google.Protobuf.IMessage message, string version = "v1") => new(name, version, Any.Pack(message));

    [Fact]
    public void Apply_ValidClusters_AreAppliedWithVersionsAndNeededEndpoints()
    {
        var (next, error) = ConfigApplier.Apply(AppliedConfig.Empty, ConfigApplier.ClusterType, [In("a", Eds("a")), In("b", Eds("b"))], [], "7");

        Assert.Null(error);
        Assert.Equal(["a", "b"], next!.Clusters.Keys);
        Assert.Equal("7", next.Versions[ConfigApplier.ClusterType]);
        Assert.Equal(["a", "b"], next.EndpointNames);
    }

    [Fact]
    public void Apply_OneBadResource_RejectsTheWholeResponseWithAPreciseReason()
    {
        var bad = new Cluster { Name = "b", Type = Cluster.Types.DiscoveryType.Eds };

        var (next, error) = ConfigApplier.Apply(AppliedConfig.Empty, ConfigApplier.ClusterType, [In("a", Eds("a")), In("b", bad)], [], "7");

        Assert.Null(next);
        Assert.Equal("resource b: an EDS cluster needs eds_cluster_config.eds_config", error);
    }

    [Fact]
    public void Apply_WrongTypeInResponse_IsRejected()
    {
        var (_, error) = ConfigApplier.Apply(AppliedConfig.Empty, ConfigApplier.ClusterType, [In("l", new Listener { Name = "l" })], [], "1");

        Assert.Equal("resource l: type type.googleapis.com/envoy.config.listener.v3.Listener in a response for type.googleapis.com/envoy.config.cluster.v3.Cluster", error);
    }

    [Fact]
    public void Apply_RouteWithoutPathSpecifier_IsRejected()
    {
        var route = new RouteConfiguration { Name = "r", VirtualHosts = { new VirtualHost { Name = "v", Domains = { "*" }, Routes = { new Route { Name = "default", Match = new RouteMatch() } } } } };

        var (_, error) = ConfigApplier.Apply(AppliedConfig.Empty, ConfigApplier.RouteType, [In("r", route)], [], "1");

        Assert.Equal("resource r: route default: match needs a path specifier (prefix, path or safe_regex)", error);
    }

    [Fact]
    public void Apply_Removals_DropResources()
    {
        var (first, _) = ConfigApplier.Apply(AppliedConfig.Empty, ConfigApplier.ClusterType, [In("a", Eds("a")), In("b", Eds("b"))], [], "1");

        var (next, _) = ConfigApplier.Apply(first!, ConfigApplier.ClusterType, [], ["a"], "2");

        Assert.Equal(["b"], next!.Clusters.Keys);
    }

    [Fact]
    public void Apply_NameMismatch_IsRejected()
    {
        var (_, error) = ConfigApplier.Apply(AppliedConfig.Empty, ConfigApplier.ClusterType, [In("a", Eds("other"))], [], "1");

        Assert.Equal("resource a: carries the name \"other\"", error);
    }

    [Fact]
    public void NodeId_FollowsIstio()
    {
        var options = new ProxyOptions { DiscoveryAddress = "127.0.0.1:15010", Workload = "reviews-v1", Namespace = "bookinfo", Ip = System.Net.IPAddress.Parse("127.0.0.5") };

        Assert.Equal("sidecar~127.0.0.5~reviews-v1.bookinfo~bookinfo.svc.cluster.local", options.NodeId);
        Assert.Equal("router~127.0.0.5~reviews-v1.bookinfo~bookinfo.svc.cluster.local", (options with { Role = ProxyRole.Gateway }).NodeId);
    }
}
