using System.Net;
using Istio.Stats;
using Meshwork.Proxy.Telemetry;
using Meshwork.Proxy.Telemetry.Cel;

namespace Meshwork.Proxy.Tests.Telemetry;

public sealed class MetricOverridesTests
{
    private static readonly PeerMetadata Local = new("details-v1", "default", new Dictionary<string, string> { ["app"] = "details" }, PeerMetadata.DefaultCluster);
    private static readonly PeerMetadata Caller = new("productpage-v1", "default", new Dictionary<string, string> { ["app"] = "productpage", ["version"] = "v1" }, PeerMetadata.DefaultCluster);

    private static AccessLogRecord Request(int code = 200) => new()
    {
        RequestHeader = name => name switch { ":authority" => "details:9080", ":method" => "GET", ":path" => "/details/0?x=1", _ => null },
        ResponseCode = code,
        DownstreamRemoteAddress = IPEndPoint.Parse("127.0.0.9:40100"),
        DownstreamPeer = Caller,
    };

    private static MetricConfig Metric(string name, IDictionary<string, string>? dimensions = null, params string[] remove)
    {
        var metric = new MetricConfig { Name = name };
        metric.Dimensions.Add(dimensions ?? new Dictionary<string, string>());
        metric.TagsToRemove.Add(remove);
        return metric;
    }

    private static MetricOverrides Compile(params MetricConfig[] metrics) => MetricOverrides.Compile(new PluginConfig { Metrics = { metrics } }, "l");

    private static (MeshTelemetry Mesh, IstioMetrics.HttpSeries Series) Recorded(MetricOverrides overrides, AccessLogRecord record)
    {
        var mesh = new MeshTelemetry(Local, "id", null, "cluster.local", enabled: true);
        var key = new HttpSeriesKey(true, Caller, new DestinationService("details.default.svc.cluster.local", "details", "default"), false, null, null, false, record.ResponseCode, string.Empty, Meshwork.Proxy.Http.ResponseFlags.None);
        var series = mesh.HttpSeries(key);
        series.Record(4, 10, 20, overrides.Dropped | overrides.Relabelled);
        overrides.RecordRequest(mesh.Metrics, series.Labels, record, 4, 10, 20);
        return (mesh, series);
    }

    private static string Line(string text, string prefix) => text.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));

    [Fact]
    public void Compile_NoMetrics_NoneWithNothingRelabelled()
    {
        Assert.Same(MetricOverrides.None, MetricOverrides.Compile(new PluginConfig(), "l"));
        Assert.Equal(StandardMetric.None, MetricOverrides.None.Relabelled);
    }

    [Fact]
    public void RecordRequest_UpsertAndRemove_NewTagAppendedRemovedTagGoneOthersStandard()
    {
        var overrides = Compile(Metric("requests_total", new Dictionary<string, string> { ["request_host"] = "request.host", ["response_code"] = "'code-' + string(response.code)" }, "request_protocol"));

        var (mesh, _) = Recorded(overrides, Request());

        var text = mesh.Metrics.Render();
        var line = Line(text, "istio_requests_total{");
        Assert.DoesNotContain("request_protocol=", line);
        Assert.Contains("response_code=\"code-200\",grpc_response_status=\"\",response_flags=\"-\",request_host=\"details:9080\"} 1", line);
        Assert.StartsWith("istio_requests_total{reporter=\"destination\",source_workload=\"productpage-v1\"", line);
        // The other metrics keep Istio's labels on the standard series.
        Assert.Contains("request_protocol=\"http\"", Line(text, "istio_request_duration_milliseconds_count{"));
        Assert.DoesNotContain("request_host", Line(text, "istio_request_duration_milliseconds_count{"));
        Assert.Single(text.Split('\n'), l => l == "# TYPE istio_requests_total counter");
    }

    [Fact]
    public void RecordRequest_EmptyNameAppliesToEveryMetricWithOneSharedLayout()
    {
        var overrides = Compile(Metric(string.Empty, new Dictionary<string, string> { ["method"] = "request.method" }));

        var (mesh, series) = Recorded(overrides, Request());

        Assert.Equal((StandardMetric)0xFF, overrides.Relabelled);
        Assert.Same(overrides.Layout(StandardMetric.RequestsTotal), overrides.Layout(StandardMetric.ResponseBytes));
        Assert.Equal(0, Interlocked.Read(ref series.Requests));
        var text = mesh.Metrics.Render();
        Assert.EndsWith("method=\"GET\"} 1", Line(text, "istio_requests_total{"));
        Assert.EndsWith("method=\"GET\"} 1", Line(text, "istio_response_bytes_count{"));
        Assert.Contains("method=\"GET\",le=\"25\"} 1\n", text);
    }

    [Fact]
    public void Evaluate_ErrorsAndNonStrings_UnknownAndPrintedAsEnvoy()
    {
        var overrides = Compile(Metric("requests_total", new Dictionary<string, string>
        {
            ["a_missing"] = "request.headers['x-missing']",
            ["b_code"] = "response.code",
            ["c_error"] = "response.code >= 400",
            ["d_peer"] = "downstream_peer.app + '/' + downstream_peer.labels['version']",
            ["e_upstream"] = "upstream_peer.app",
            ["f_path"] = "request.url_path",
        }));

        var values = overrides.Evaluate(Request(503));

        Assert.Equal(["unknown", "503", "true", "productpage/v1", "unknown", "/details/0"], values);
    }

    [Fact]
    public void Compile_SameExpressionTwice_CompiledOnce()
    {
        var overrides = Compile(
            Metric("requests_total", new Dictionary<string, string> { ["host"] = "request.host" }),
            Metric("request_bytes", new Dictionary<string, string> { ["host"] = "request.host", ["path"] = "request.url_path" }));

        Assert.Equal(2, overrides.Evaluate(Request()).Length);
    }

    [Fact]
    public void Compile_DroppedMetricTagsAndUnknownNames_Ignored()
    {
        var dropped = Metric("requests_total", new Dictionary<string, string> { ["host"] = "request.host" });
        dropped.Drop = true;

        var overrides = Compile(dropped, Metric("my_custom_metric", new Dictionary<string, string> { ["host"] = "request.host" }), Metric("request_messages_total", null, "reporter"), Metric("response_bytes", null, "not_a_standard_tag"));

        Assert.Equal(StandardMetric.RequestsTotal, overrides.Dropped);
        Assert.Null(overrides.Layout(StandardMetric.RequestsTotal));
        // Removing a tag that is not one of Istio's is ignored, as istio/proxy does.
        Assert.Null(overrides.Layout(StandardMetric.ResponseBytes));
    }

    [Fact]
    public void Compile_BadExpression_ThrowsNamingMetricAndTag()
    {
        var error = Assert.Throws<ProxyConfigException>(() => Compile(Metric("request_duration_milliseconds", new Dictionary<string, string> { ["route"] = "xds.nope" })));

        Assert.Equal("l: metrics[0]: dimensions[\"route\"] of metric \"request_duration_milliseconds\": CEL expression \"xds.nope\": unknown attribute xds.nope", error.Message);
    }

    [Fact]
    public void Compile_Match_Refused()
    {
        var error = Assert.Throws<ProxyConfigException>(() => Compile(new MetricConfig { Name = "requests_total", Match = "true" }));

        Assert.Contains("l: metrics[0]: match is not supported", error.Message);
    }

    [Fact]
    public void TcpConnection_RemovedTagAndConnectionAttribute_OnTheTcpCounters()
    {
        var overrides = Compile(Metric(string.Empty, new Dictionary<string, string> { ["sni"] = "connection.requested_server_name", ["host"] = "request.host" }, "source_principal"));
        var mesh = new MeshTelemetry(Local, "id", null, "cluster.local", enabled: true);
        var connection = new TcpConnectionMetrics(mesh, inbound: false, null, null, overrides, new TcpAttributes("outbound|27017||mongo", null, IPEndPoint.Parse("127.0.0.9:40100"), "mongo.local"));

        connection.Opened(new DestinationService("mongo.default.svc.cluster.local", "mongo", "default"), null);
        connection.Closed(null, 30, 40);

        var text = mesh.Metrics.Render();
        var sent = Line(text, "istio_tcp_sent_bytes_total{");
        Assert.DoesNotContain("source_principal", sent);
        Assert.EndsWith("connection_security_policy=\"unknown\",host=\"unknown\",sni=\"mongo.local\"} 30", sent);
        Assert.EndsWith("sni=\"mongo.local\"} 1", Line(text, "istio_tcp_connections_opened_total{"));
        Assert.EndsWith("sni=\"mongo.local\"} 40", Line(text, "istio_tcp_received_bytes_total{"));
    }

    [Theory]
    [InlineData(true, "true")]
    [InlineData(12L, "12")]
    [InlineData(1.25, "1.25")]
    [InlineData("x", "x")]
    public void Print_Values_AsEnvoyPrintsThem(object value, string printed) => Assert.Equal(printed, CelValues.Print(value));
}
