using System.Net;
using System.Text.Json;
using Envoy.Config.Trace.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Tests.Upstream;
using Meshwork.Proxy.Tracing;
using Meshwork.Proxy.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Proto.Collector.Trace.V1;
using CustomTag = Envoy.Type.Tracing.V3.CustomTag;
using HcmTracing = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.Tracing;

namespace Meshwork.Proxy.Tests.Tracing;

/// <summary>The per-request tracer: joining or starting a trace, the sampling decision, the injected context, span tags and the export formats.</summary>
public sealed class RequestTracerTests : IAsyncDisposable
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly TracerIdentity Identity = new("sidecar~10.0.0.1~reviews-v1.default~default.svc.cluster.local", "zone-a", "reviews-v1.default", "10.0.0.1");

    private readonly RecordingHandler _collector = new();
    private readonly ClusterSet _clusters = UpstreamTestClusters.NewSet().Set;
    private readonly SpanExporter _exporter;
    private ulong _nextId = 0x1000;

    public RequestTracerTests()
    {
        _clusters.ApplyOne(UpstreamTestClusters.Static("outbound|9411||zipkin", ("127.0.0.1", 9411)));
        _exporter = new SpanExporter(_clusters, Identity, new StatsStore(), TimeProvider.System, NullLogger<SpanExporter>.Instance, _collector);
    }

    public async ValueTask DisposeAsync()
    {
        await _exporter.DisposeAsync();
        _clusters.Dispose();
    }

    private RequestTracer Tracer(double random) => new(Identity, _exporter, TimeProvider.System, () => random, () => _nextId++);

    private static HttpManager Manager(double sampling, bool inbound, bool otel = false, bool spawn = false)
    {
        var tracing = new HcmTracing { RandomSampling = new Envoy.Type.V3.Percent { Value = sampling }, SpawnUpstreamSpan = spawn };
        tracing.Provider = otel
            ? new Envoy.Config.Trace.V3.Tracing.Types.Http
            {
                Name = TracingPlan.OpenTelemetryTracer,
                TypedConfig = Any.Pack(new OpenTelemetryConfig
                {
                    ServiceName = "reviews.default",
                    HttpService = new Envoy.Config.Core.V3.HttpService { HttpUri = new Envoy.Config.Core.V3.HttpUri { Uri = "otel/v1/traces", Cluster = "outbound|9411||zipkin" } },
                }),
            }
            : new Envoy.Config.Trace.V3.Tracing.Types.Http
            {
                Name = TracingPlan.ZipkinTracer,
                TypedConfig = Any.Pack(new ZipkinConfig
                {
                    CollectorCluster = "outbound|9411||zipkin", CollectorEndpoint = "/api/v2/spans", TraceId128Bit = true,
                    CollectorEndpointVersion = ZipkinConfig.Types.CollectorEndpointVersion.HttpJson,
                }),
            };
        tracing.CustomTags.Add(new CustomTag { Tag = "istio.canonical_service", Literal = new CustomTag.Types.Literal { Value = "reviews" } });
        tracing.CustomTags.Add(new CustomTag { Tag = "user", RequestHeader = new CustomTag.Types.Header { Name = "X-User", DefaultValue = "anonymous" } });
        return new HttpManager(new HttpConnectionManager { StatPrefix = "test", Tracing = tracing }, null, null, "l1", inbound, new StatsStore());
    }

    private static DefaultHttpContext Request(params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("reviews:9080");
        context.Request.Path = "/reviews/0";
        context.Request.Protocol = "HTTP/1.1";
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.0.9");
        context.Connection.RemotePort = 40000;
        context.Request.Headers["x-request-id"] = "6f1a6c0e-3b0e-4d1b-9c55-1f6f5a9d2b11";
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return context;
    }

    [Fact]
    public void Start_NoIncomingContextAndRandomAboveTheRate_NotSampledButPropagated()
    {
        var context = Request();

        Tracer(random: 0.5).Start(context, Manager(sampling: 40, inbound: false));

        Assert.Equal("0", context.Request.Headers["x-b3-sampled"]);
        Assert.Equal(32, context.Request.Headers["x-b3-traceid"].ToString().Length);
        Assert.False(context.Request.Headers.ContainsKey("x-b3-parentspanid"));
    }

    [Fact]
    public void Start_RandomBelowTheRate_Sampled()
    {
        var context = Request();

        Tracer(random: 0.3).Start(context, Manager(sampling: 40, inbound: false));

        Assert.Equal("1", context.Request.Headers["x-b3-sampled"]);
    }

    [Fact]
    public void Start_IncomingSampledFlag_HonouredOverTheRate()
    {
        var sampledIn = Request(("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-sampled", "1"));
        var unsampledIn = Request(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));

        Tracer(random: 0.99).Start(sampledIn, Manager(sampling: 0, inbound: true));
        Tracer(random: 0.0).Start(unsampledIn, Manager(sampling: 100, inbound: true, otel: true));

        Assert.Equal("1", sampledIn.Request.Headers["x-b3-sampled"]);
        Assert.Equal("80f198ee56343ba864fe8b2a57d3eff7", sampledIn.Request.Headers["x-b3-traceid"].ToString());
        Assert.Equal("e457b5a2e4d86bd1", sampledIn.Request.Headers["x-b3-parentspanid"]);
        Assert.NotEqual("e457b5a2e4d86bd1", sampledIn.Request.Headers["x-b3-spanid"].ToString());
        Assert.EndsWith("-00", unsampledIn.Request.Headers["traceparent"].ToString());
        Assert.StartsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-", unsampledIn.Request.Headers["traceparent"].ToString());
    }

    [Fact]
    public async Task Finish_SampledInboundRequest_ZipkinServerSpanWithEnvoyAndIstioTags()
    {
        var context = Request(("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-sampled", "1"), ("user-agent", "curl"));
        var tracer = Tracer(random: 0);

        tracer.Start(context, Manager(sampling: 100, inbound: true));
        RequestTracer.Name(context, "reviews.default.svc.cluster.local:9080/*");
        context.Response.StatusCode = 503;
        tracer.Finish(context, new RequestOutcome { Cluster = "inbound|9080||", Flags = ResponseFlags.UpstreamConnectionFailure }, 503, TimeSpan.FromMilliseconds(12));

        var (path, type, body) = await _collector.NextAsync().WaitAsync(Guard);
        Assert.Equal("/api/v2/spans", path);
        Assert.Equal("application/json", type);
        var span = JsonDocument.Parse(body).RootElement[0];
        Assert.Equal("80f198ee56343ba864fe8b2a57d3eff7", span.GetProperty("traceId").GetString());
        Assert.Equal("e457b5a2e4d86bd1", span.GetProperty("parentId").GetString());
        Assert.Equal(context.Request.Headers["x-b3-spanid"].ToString(), span.GetProperty("id").GetString());
        Assert.Equal("SERVER", span.GetProperty("kind").GetString());
        Assert.Equal("reviews.default.svc.cluster.local:9080/*", span.GetProperty("name").GetString());
        Assert.Equal(12000, span.GetProperty("duration").GetInt64());
        Assert.Equal("reviews-v1.default", span.GetProperty("localEndpoint").GetProperty("serviceName").GetString());
        var tags = span.GetProperty("tags");
        Assert.Equal(Identity.NodeId, tags.GetProperty("node_id").GetString());
        Assert.Equal("zone-a", tags.GetProperty("zone").GetString());
        Assert.Equal("6f1a6c0e-3b0e-4d1b-9c55-1f6f5a9d2b11", tags.GetProperty("guid:x-request-id").GetString());
        Assert.Equal("http://reviews:9080/reviews/0", tags.GetProperty("http.url").GetString());
        Assert.Equal("GET", tags.GetProperty("http.method").GetString());
        Assert.Equal("HTTP/1.1", tags.GetProperty("http.protocol").GetString());
        Assert.Equal("503", tags.GetProperty("http.status_code").GetString());
        Assert.Equal("UF", tags.GetProperty("response_flags").GetString());
        Assert.Equal("inbound|9080||", tags.GetProperty("upstream_cluster").GetString());
        Assert.Equal("10.0.0.9:40000", tags.GetProperty("peer.address").GetString());
        Assert.Equal("curl", tags.GetProperty("user_agent").GetString());
        Assert.Equal("-", tags.GetProperty("downstream_cluster").GetString());
        Assert.Equal("true", tags.GetProperty("error").GetString());
        Assert.Equal("proxy", tags.GetProperty("component").GetString());
        Assert.Equal("reviews", tags.GetProperty("istio.canonical_service").GetString());
        Assert.Equal("anonymous", tags.GetProperty("user").GetString());
    }

    [Fact]
    public async Task Finish_OutboundWithOpenTelemetry_OtlpClientSpanAndDecoratorPropagated()
    {
        var context = Request(("x-user", "jason"));
        var tracer = Tracer(random: 0);

        tracer.Start(context, Manager(sampling: 100, inbound: false, otel: true));
        RequestTracer.Name(context, "ratings.default.svc.cluster.local:9080/*");
        tracer.Finish(context, new RequestOutcome { Cluster = "outbound|9080||ratings.default.svc.cluster.local" }, 200, TimeSpan.FromMilliseconds(3));

        Assert.Equal("ratings.default.svc.cluster.local:9080/*", context.Request.Headers[RequestTracer.DecoratorOperationHeader]);
        var (path, type, body) = await _collector.NextAsync().WaitAsync(Guard);
        Assert.Equal("/v1/traces", path);
        Assert.Equal("application/x-protobuf", type);
        var export = ExportTraceServiceRequest.Parser.ParseFrom(body);
        Assert.Equal("reviews.default", export.ResourceSpans[0].Resource.Attributes.Single(a => a.Key == "service.name").Value.StringValue);
        var span = export.ResourceSpans[0].ScopeSpans[0].Spans.Single();
        Assert.Equal(OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client, span.Kind);
        Assert.Equal(context.Request.Headers["traceparent"].ToString()[3..35], Convert.ToHexStringLower(span.TraceId.ToByteArray()));
        Assert.True(span.ParentSpanId.IsEmpty);
        Assert.Equal("jason", span.Attributes.Single(a => a.Key == "user").Value.StringValue);
        Assert.DoesNotContain(span.Attributes, a => a.Key == "error");
    }

    [Fact]
    public async Task Finish_SpawnUpstreamSpan_ServerSpanAndItsClientChild()
    {
        var context = Request();
        var tracer = Tracer(random: 0);

        tracer.Start(context, Manager(sampling: 100, inbound: false, spawn: true));
        tracer.Finish(context, new RequestOutcome { Cluster = "outbound|9080||productpage", UpstreamHost = "10.0.0.7:9080" }, 200, TimeSpan.FromMilliseconds(3));

        var (_, _, body) = await _collector.NextAsync().WaitAsync(Guard);
        var spans = JsonDocument.Parse(body).RootElement.EnumerateArray().ToList();
        var server = spans.Single(s => s.GetProperty("kind").GetString() == "SERVER");
        var client = spans.Single(s => s.GetProperty("kind").GetString() == "CLIENT");
        Assert.Equal(server.GetProperty("id").GetString(), client.GetProperty("parentId").GetString());
        Assert.Equal(client.GetProperty("id").GetString(), context.Request.Headers["x-b3-spanid"]);
        Assert.Equal("router outbound|9080||productpage egress", client.GetProperty("name").GetString());
        Assert.Equal("10.0.0.7:9080", client.GetProperty("tags").GetProperty("upstream_address").GetString());
    }

    [Fact]
    public void Compile_UnsupportedTracer_IsALocatedError()
    {
        var tracing = new HcmTracing { Provider = new Envoy.Config.Trace.V3.Tracing.Types.Http { Name = "envoy.tracers.datadog" } };

        var error = Assert.Throws<ProxyConfigException>(() => TracingPlan.Compile(tracing, "listener \"l1\""));

        Assert.Contains("listener \"l1\": tracing.provider \"envoy.tracers.datadog\": not supported", error.Message);
    }

    /// <summary>A collector in the test process: every POST's path, content type and body, in order.</summary>
    private sealed class RecordingHandler : HttpMessageHandler
    {
        private readonly System.Threading.Channels.Channel<(string, string, byte[])> _received = System.Threading.Channels.Channel.CreateUnbounded<(string, string, byte[])>();

        public async Task<(string Path, string Type, byte[] Body)> NextAsync() => await _received.Reader.ReadAsync();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            _received.Writer.TryWrite((request.RequestUri!.AbsolutePath, request.Content.Headers.ContentType!.MediaType!, body));
            return new HttpResponseMessage(HttpStatusCode.Accepted);
        }
    }
}
