using System.Collections.Immutable;
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

public class TelemetryMetricsTests
{
    private static readonly Meshwork.Pilot.Model.ProxyNode Web = Meshwork.Pilot.Tests.Generators.RouteTestMesh.Proxy("web", "127.0.0.10", "app=web");

    private static string Telemetry(string name, string ns, string selector, string overrides) => $$"""
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          {{selector}}
          metrics:
          - providers: [{name: prometheus}]
            overrides:
        {{overrides}}
        ---

        """;

    [Fact]
    public void For_RootNamespaceWorkload_MostSpecificWinsPerMetricAndMode()
    {
        var yaml =
            Telemetry("mesh-default", "istio-system", "selector: {matchLabels: {}}", "    - {match: {metric: ALL_METRICS}, disabled: true}")
            + Telemetry("ns", "default", string.Empty, "    - {match: {metric: REQUEST_COUNT, mode: CLIENT_AND_SERVER}, disabled: false}")
            + Telemetry("web", "default", "selector: {matchLabels: {app: web}}", "    - {match: {metric: REQUEST_COUNT, mode: CLIENT}, disabled: true}")
            + Telemetry("other", "default", "selector: {matchLabels: {app: other}}", "    - {match: {metric: REQUEST_DURATION}, disabled: false}");
        var snapshot = Meshwork.Pilot.Tests.Generators.RouteTestMesh.Snapshot(Meshwork.Pilot.Tests.Generators.RouteTestMesh.Service("web") + yaml, [Web]);

        var metrics = TelemetryMetrics.For(snapshot, Web);

        // The root disabled everything, the namespace turned requests_total back on, the workload off again for its client side only.
        Assert.Contains("requests_total", metrics.ClientDisabled);
        Assert.DoesNotContain("requests_total", metrics.ServerDisabled);
        Assert.Contains("request_duration_milliseconds", metrics.ServerDisabled);
        Assert.Contains("tcp_sent_bytes_total", metrics.ClientDisabled);
    }

    [Fact]
    public void For_NoTelemetry_NothingDisabled_AndTheStatsFilterDropsOnlyWhatIsDisabled()
    {
        var snapshot = Meshwork.Pilot.Tests.Generators.RouteTestMesh.Snapshot(Meshwork.Pilot.Tests.Generators.RouteTestMesh.Service("web"), [Web]);
        Assert.Same(TelemetryMetrics.Default, TelemetryMetrics.For(snapshot, Web));

        var listener = new Envoy.Config.Listener.V3.Listener
        {
            Name = "l",
            TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Inbound,
            FilterChains = { new Envoy.Config.Listener.V3.FilterChain { Filters = { NetworkFilters.TcpProxy("inbound|9000||") } } },
        };
        TelemetryFilters.AddTo(listener, gateway: false, new TelemetryMetrics([Override("tcp_sent_bytes_total", true)], [Override("tcp_received_bytes_total", true)]));

        var stats = listener.FilterChains[0].Filters[0].TypedConfig.Unpack<Istio.Stats.PluginConfig>();
        var drop = Assert.Single(stats.Metrics);
        Assert.Equal(("tcp_received_bytes_total", true), (drop.Name, drop.Drop));
    }

    private static MetricOverride Override(string name, bool disabled, params (string Tag, string? Value)[] tags) =>
        new(name, disabled, tags.ToImmutableSortedDictionary(t => t.Tag, t => t.Value, StringComparer.Ordinal));

    [Fact]
    public void For_TagOverrides_MergedByTagPerLevelAndSide_MostSpecificWins()
    {
        var yaml =
            Telemetry("mesh-default", "istio-system", string.Empty, "    - {match: {metric: ALL_METRICS}, tagOverrides: {request_host: {value: request.host}}}")
            + Telemetry("ns", "default", string.Empty, "    - {match: {metric: REQUEST_COUNT, mode: CLIENT}, tagOverrides: {request_protocol: {operation: REMOVE}}}")
            + Telemetry("web", "default", "selector: {matchLabels: {app: web}}", "    - {match: {metric: REQUEST_COUNT}, tagOverrides: {request_host: {operation: UPSERT, value: request.url_path}}}");
        var snapshot = Meshwork.Pilot.Tests.Generators.RouteTestMesh.Snapshot(Meshwork.Pilot.Tests.Generators.RouteTestMesh.Service("web") + yaml, [Web]);

        var metrics = TelemetryMetrics.For(snapshot, Web);

        var client = metrics.Client.Single(m => m.Name == "requests_total");
        Assert.Equal([new("request_host", "request.url_path"), new("request_protocol", null)], client.Tags.ToArray());
        var server = metrics.Server.Single(m => m.Name == "requests_total");
        Assert.Equal([new("request_host", "request.url_path")], server.Tags.ToArray());
        Assert.Equal("request.host", metrics.Server.Single(m => m.Name == "tcp_sent_bytes_total").Tags["request_host"]);
        Assert.Equal(metrics.Client.Select(m => m.Name).Order(StringComparer.Ordinal), metrics.Client.Select(m => m.Name));
        Assert.Empty(metrics.ClientDisabled);
    }

    [Fact]
    public void For_CustomMetric_SelectsOnlyThatName()
    {
        var yaml = Telemetry("ns", "default", string.Empty, "    - {match: {customMetric: my_metric, mode: SERVER}, tagOverrides: {x: {value: request.method}}}");
        var snapshot = Meshwork.Pilot.Tests.Generators.RouteTestMesh.Snapshot(Meshwork.Pilot.Tests.Generators.RouteTestMesh.Service("web") + yaml, [Web]);

        var metrics = TelemetryMetrics.For(snapshot, Web);

        Assert.Empty(metrics.Client);
        Assert.Equal("my_metric", Assert.Single(metrics.Server).Name);
    }

    [Fact]
    public void AddTo_TagOverrides_DimensionsAndTagsToRemoveOnTheSidesStatsFilters()
    {
        var listener = new Envoy.Config.Listener.V3.Listener
        {
            Name = "l",
            TrafficDirection = Envoy.Config.Core.V3.TrafficDirection.Outbound,
            FilterChains =
            {
                new Envoy.Config.Listener.V3.FilterChain { Filters = { HttpConnectionManagers.AsFilter(HttpConnectionManagers.WithRds("p", "r", false, new Meshwork.Config.Mesh.MeshConfig())) } },
                new Envoy.Config.Listener.V3.FilterChain { Filters = { NetworkFilters.TcpProxy("outbound|27017||mongo") } },
            },
        };
        var metrics = new TelemetryMetrics(
            [Override("request_bytes", true), Override("requests_total", false, ("request_host", "request.host"), ("request_protocol", null))],
            [Override("requests_total", true)]);

        TelemetryFilters.AddTo(listener, gateway: false, metrics);

        var http = listener.FilterChains[0].Filters[^1].TypedConfig.Unpack<HttpConnectionManager>().HttpFilters.Single(f => f.Name == TelemetryFilters.StatsFilter).TypedConfig.Unpack<Istio.Stats.PluginConfig>();
        var tcp = listener.FilterChains[1].Filters[0].TypedConfig.Unpack<Istio.Stats.PluginConfig>();
        foreach (var stats in new[] { http, tcp })
        {
            Assert.Equal(["request_bytes", "requests_total"], stats.Metrics.Select(m => m.Name));
            Assert.True(stats.Metrics[0].Drop);
            var relabelled = stats.Metrics[1];
            Assert.False(relabelled.Drop);
            Assert.Equal("request.host", Assert.Single(relabelled.Dimensions).Value);
            Assert.Equal(["request_protocol"], relabelled.TagsToRemove);
        }
    }
}
