using Envoy.Config.Core.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Istio.Stats;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Tests.Telemetry;

public sealed class TelemetryPlanTests
{
    private static readonly MeshTelemetry Mesh = new(new PeerMetadata("w", "ns", new Dictionary<string, string>(), PeerMetadata.DefaultCluster), "sidecar~1~w.ns~ns", null, "cluster.local", enabled: true);

    private static HttpConnectionManager With(string name, Google.Protobuf.IMessage config) => new()
    {
        StatPrefix = "p",
        HttpFilters = { new HttpFilter { Name = name, TypedConfig = Any.Pack(config) } },
    };

    [Fact]
    public void Compile_NoIstioFilters_NoPlan()
    {
        Assert.Null(HttpTelemetryPlan.Compile(new HttpConnectionManager { StatPrefix = "p" }, inbound: true, Mesh, "listener \"l\""));
    }

    [Fact]
    public void Compile_SwitchedOff_NoPlan()
    {
        var off = new MeshTelemetry(Mesh.Local, "id", null, "cluster.local", enabled: false);

        Assert.Null(HttpTelemetryPlan.Compile(With(HttpTelemetryPlan.StatsFilter, new PluginConfig()), inbound: false, off, "listener \"l\""));
    }

    [Fact]
    public void Compile_StatsFilterWithAnotherType_NamesFilterAndType()
    {
        var error = Assert.Throws<ProxyConfigException>(() => HttpTelemetryPlan.Compile(With(HttpTelemetryPlan.StatsFilter, new Struct()), inbound: false, Mesh, "listener \"l\""));

        Assert.Contains("listener \"l\": http_filters[0] \"istio.stats\": typed_config must be stats.PluginConfig", error.Message);
    }

    [Fact]
    public void Compile_ServerGatewayReporter_Refused()
    {
        var error = Assert.Throws<ProxyConfigException>(() => HttpTelemetryPlan.Compile(With(HttpTelemetryPlan.StatsFilter, new PluginConfig { Reporter = Reporter.ServerGateway }), inbound: false, Mesh, "listener \"l\""));

        Assert.Contains("SERVER_GATEWAY", error.Message);
    }

    [Fact]
    public void Compile_StatsOnly_RecordsWithoutExchanging()
    {
        var plan = HttpTelemetryPlan.Compile(With(HttpTelemetryPlan.StatsFilter, new PluginConfig { DisableHostHeaderFallback = true }), inbound: true, Mesh, "l");

        Assert.NotNull(plan);
        Assert.Equal((true, false, true, true), (plan.Records, plan.Exchanges, plan.DisableHostHeaderFallback, plan.Inbound));
    }

    [Fact]
    public void FromEndpointMetadata_IstiosCompressedWorkload_CanonicalNamesWithoutAppOrVersion()
    {
        var metadata = new Metadata { FilterMetadata = { ["istio"] = new Struct { Fields = { ["workload"] = Value.ForString("reviews-v2;bookinfo;reviews;v2;") } } } };

        var workload = PeerMetadata.FromEndpointMetadata(metadata);

        Assert.NotNull(workload);
        Assert.Equal(("reviews-v2", "bookinfo", "reviews", "v2", "unknown", PeerMetadata.DefaultCluster), (workload.Workload, workload.Namespace, workload.CanonicalService, workload.CanonicalRevision, workload.App, workload.Cluster));
        Assert.Null(PeerMetadata.FromEndpointMetadata(new Metadata()));
    }

    [Fact]
    public void FromClusterMetadata_FirstService()
    {
        var service = new Struct { Fields = { ["host"] = Value.ForString("reviews.bookinfo.svc.cluster.local"), ["name"] = Value.ForString("reviews"), ["namespace"] = Value.ForString("bookinfo") } };
        var metadata = new Metadata { FilterMetadata = { ["istio"] = new Struct { Fields = { ["services"] = Value.ForList(Value.ForStruct(service)) } } } };

        Assert.Equal(new DestinationService("reviews.bookinfo.svc.cluster.local", "reviews", "bookinfo"), DestinationService.FromClusterMetadata(metadata));
        Assert.Null(DestinationService.FromClusterMetadata(null));
    }

    [Fact]
    public void HttpSeries_SameCombination_OneSeriesBuiltOnce()
    {
        var mesh = new MeshTelemetry(Mesh.Local, "id", "spiffe://cluster.local/ns/ns/sa/w", "cluster.local", enabled: true);
        var peer = mesh.Peer(new PeerMetadata("caller", "other", new Dictionary<string, string> { ["app"] = "caller" }, PeerMetadata.DefaultCluster, "caller-sa").Encode());
        var service = new DestinationService("w.ns.svc.cluster.local", "w", "ns");
        HttpSeriesKey Key(int status) => new(false, peer, service, true, null, null, false, status, string.Empty, Meshwork.Proxy.Http.ResponseFlags.None);

        var first = mesh.HttpSeries(Key(200));
        var again = mesh.HttpSeries(Key(200));
        var other = mesh.HttpSeries(Key(503));

        Assert.Same(first, again);
        Assert.NotSame(first, other);
        first.Record(3, 10, 20);
        var line = mesh.Metrics.Render().Split('\n').Single(l => l.StartsWith("istio_requests_total{", StringComparison.Ordinal) && l.Contains("response_code=\"200\"", StringComparison.Ordinal));
        // Outbound over mutual TLS: the server's identity from its exchanged service account.
        Assert.Contains("destination_principal=\"spiffe://cluster.local/ns/other/sa/caller-sa\"", line);
        Assert.Contains("source_principal=\"spiffe://cluster.local/ns/ns/sa/w\"", line);
        Assert.EndsWith("} 1", line);
    }

    [Fact]
    public void Compile_DroppedMetrics_NotRecordedAndAbsentFromTheOutput()
    {
        var config = new PluginConfig { Metrics = { new MetricConfig { Name = "requests_total", Drop = true }, new MetricConfig { Name = "response_bytes", Drop = true } } };
        var plan = HttpTelemetryPlan.Compile(With(HttpTelemetryPlan.StatsFilter, config), inbound: true, Mesh, "l");
        var mesh = new MeshTelemetry(Mesh.Local, "id", null, "cluster.local", enabled: true);
        var key = new HttpSeriesKey(true, null, DestinationService.Unknown, false, null, null, false, 200, string.Empty, Meshwork.Proxy.Http.ResponseFlags.None);

        mesh.HttpSeries(key).Record(2, 0, 10, plan!.Dropped);

        var text = mesh.Metrics.Render();
        Assert.DoesNotContain("istio_requests_total", text);
        Assert.DoesNotContain("istio_response_bytes", text);
        Assert.Contains("istio_request_duration_milliseconds_count{", text);
        Assert.Contains("istio_request_bytes_count{", text);
    }

    [Fact]
    public void Compile_TagOverrides_RelabelledMetricsLeaveTheStandardSeries()
    {
        var config = new PluginConfig { Metrics = { new MetricConfig { Name = "requests_total", TagsToRemove = { "source_principal" } } } };

        var plan = HttpTelemetryPlan.Compile(With(HttpTelemetryPlan.StatsFilter, config), inbound: true, Mesh, "listener \"l\"");

        Assert.Equal(StandardMetric.RequestsTotal, plan!.Overrides.Relabelled);
        Assert.Equal(StandardMetric.RequestsTotal, plan.Dropped);
    }

    [Fact]
    public void Compile_BadTagExpression_NackNamesFilterMetricAndTag()
    {
        var config = new PluginConfig { Metrics = { new MetricConfig { Name = "requests_total", Dimensions = { ["request_host"] = "request.host ==" } } } };

        var error = Assert.Throws<ProxyConfigException>(() => HttpTelemetryPlan.Compile(With(HttpTelemetryPlan.StatsFilter, config), inbound: true, Mesh, "listener \"l\""));

        Assert.Contains("listener \"l\": http_filters[0] \"istio.stats\": metrics[0]: dimensions[\"request_host\"] of metric \"requests_total\": CEL expression \"request.host ==\"", error.Message);
    }
}
