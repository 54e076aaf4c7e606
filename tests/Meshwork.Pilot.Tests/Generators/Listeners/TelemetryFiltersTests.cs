using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Google.Protobuf.WellKnownTypes;
using Istio.Stats;
using Meshwork.Pilot.Generators.Listeners;
using ExchangeConfig = Istio.Http.PeerMetadata.Config;

namespace Meshwork.Pilot.Tests.Generators.Listeners;

public class TelemetryFiltersTests
{
    private static Listener WithManager(TrafficDirection direction) => new()
    {
        Name = "l",
        TrafficDirection = direction,
        FilterChains = { new FilterChain { Filters = { HttpConnectionManagers.AsFilter(HttpConnectionManagers.WithRds("p", "r", false, new Meshwork.Config.Mesh.MeshConfig())) } } },
    };

    private static HttpConnectionManager Manager(Listener listener) => listener.FilterChains[0].Filters[^1].TypedConfig.Unpack<HttpConnectionManager>();

    [Fact]
    public void AddTo_Inbound_ReadsAndAnswersTheDownstreamPeerWithoutHostFallback()
    {
        var listener = WithManager(TrafficDirection.Inbound);

        TelemetryFilters.AddTo(listener, gateway: false);

        var filters = Manager(listener).HttpFilters;
        Assert.Equal(["istio.metadata_exchange", "envoy.filters.http.fault", "envoy.filters.http.cors", "istio.stats", "envoy.filters.http.router"], filters.Select(f => f.Name));
        var exchange = filters[0].TypedConfig.Unpack<ExchangeConfig>();
        Assert.NotNull(Assert.Single(exchange.DownstreamDiscovery).IstioHeaders);
        Assert.NotNull(Assert.Single(exchange.DownstreamPropagation).IstioHeaders);
        Assert.Empty(exchange.UpstreamPropagation);
        var stats = filters[3].TypedConfig.Unpack<PluginConfig>();
        Assert.True(stats.DisableHostHeaderFallback);
        Assert.Equal(Reporter.Unspecified, stats.Reporter);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void AddTo_OutboundOrGateway_SendsToMeshClustersAndReadsTheAnswer(bool gateway, bool hostFallbackDisabled)
    {
        var listener = WithManager(TrafficDirection.Outbound);

        TelemetryFilters.AddTo(listener, gateway);

        var filters = Manager(listener).HttpFilters;
        var exchange = filters.Single(f => f.Name == TelemetryFilters.ExchangeFilter).TypedConfig.Unpack<ExchangeConfig>();
        Assert.Empty(exchange.DownstreamDiscovery);
        Assert.Empty(exchange.DownstreamPropagation);
        Assert.NotNull(Assert.Single(exchange.UpstreamDiscovery).IstioHeaders);
        Assert.True(Assert.Single(exchange.UpstreamPropagation).IstioHeaders.SkipExternalClusters);
        Assert.Equal(hostFallbackDisabled, filters.Single(f => f.Name == TelemetryFilters.StatsFilter).TypedConfig.Unpack<PluginConfig>().DisableHostHeaderFallback);
    }

    [Fact]
    public void AddTo_TcpProxyChains_StatsFilterJustBeforeTcpProxy()
    {
        var listener = new Listener
        {
            Name = "tcp",
            TrafficDirection = TrafficDirection.Outbound,
            FilterChains = { new FilterChain { Filters = { NetworkFilters.TcpProxy("outbound|27017||mongo") } } },
            DefaultFilterChain = new FilterChain { Filters = { NetworkFilters.TcpProxy("PassthroughCluster") } },
        };

        TelemetryFilters.AddTo(listener, gateway: false);

        Assert.Equal(["istio.stats", "envoy.filters.network.tcp_proxy"], listener.FilterChains[0].Filters.Select(f => f.Name));
        Assert.Equal(["istio.stats", "envoy.filters.network.tcp_proxy"], listener.DefaultFilterChain.Filters.Select(f => f.Name));
        Assert.True(listener.FilterChains[0].Filters[0].TypedConfig.Is(PluginConfig.Descriptor));
    }
}
