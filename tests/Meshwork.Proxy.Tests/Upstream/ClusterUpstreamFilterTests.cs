using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Tests.Upstream;

/// <summary>A cluster's upstream network filters: Istio's metadata exchange is run, anything else is refused by name.</summary>
public class ClusterUpstreamFilterTests
{
    private static Cluster ClusterWith(params Filter[] filters)
    {
        var cluster = new Cluster { Name = "outbound|9000||db.default.svc.cluster.local", Type = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType.Eds, EdsClusterConfig = new() };
        cluster.Filters.AddRange(filters);
        return cluster;
    }

    [Fact]
    public void Compile_MetadataExchangeFilter_RecordsItsProtocol()
    {
        var model = ClusterCompiler.Compile(ClusterWith(new Filter { Name = "istio.metadata_exchange", TypedConfig = Any.Pack(new Envoy.Tcp.MetadataExchange.Config.MetadataExchange { Protocol = "istio-peer-exchange" }) }), new Dictionary<int, System.Net.DnsEndPoint>());

        Assert.Equal("istio-peer-exchange", model.PeerExchangeProtocol);
    }

    [Fact]
    public void Compile_OtherUpstreamFilter_IsRefusedByName()
    {
        var error = Assert.Throws<ProxyConfigException>(() => ClusterCompiler.Compile(ClusterWith(new Filter { Name = "envoy.filters.network.upstream.custom", TypedConfig = Any.Pack(new Empty()) }), new Dictionary<int, System.Net.DnsEndPoint>()));

        Assert.Contains("filters[0] \"envoy.filters.network.upstream.custom\": unknown upstream network filter", error.Message);
    }
}
