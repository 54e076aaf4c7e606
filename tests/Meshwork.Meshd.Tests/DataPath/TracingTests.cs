using System.Globalization;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Distributed tracing end to end: a three-hop call (test client → a → b → c, each app behind its
/// sidecar and copying the trace headers as Bookinfo does) with the Telemetry API's sampling, spans
/// exported by real mesh-proxy processes to a collector the test runs, in Zipkin v2 JSON, OTLP/HTTP
/// and OTLP/gRPC.
/// </summary>
public sealed class TracingTests
{
    private static readonly TimeSpan SpanWait = TimeSpan.FromSeconds(30);

    private static string Services(TraceCollector collector) => string.Join("---\n", new[] { "a", "b", "c" }.Select(s => $"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {"{"}name: {s}, namespace: default{"}"}
            spec:
              hosts: [{s}.default.svc.cluster.local]
              location: MESH_INTERNAL
              ports: [{"{"}number: 9080, name: http, protocol: HTTP{"}"}]
              resolution: STATIC
              workloadSelector: {"{"}labels: {"{"}app: {s}{"}"}{"}"}

            """).Concat(new[] { ("zipkin", collector.HttpPort, "HTTP"), ("otel", collector.HttpPort, "HTTP"), ("otel-grpc", collector.GrpcPort, "GRPC") }.Select(c => $"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {"{"}name: {c.Item1}, namespace: istio-system{"}"}
            spec:
              hosts: [{c.Item1}.istio-system.svc.cluster.local]
              location: MESH_EXTERNAL
              ports: [{"{"}number: {c.Item2}, name: collector, protocol: {c.Item3}{"}"}]
              resolution: STATIC
              endpoints: [{"{"}address: 127.0.0.1{"}"}]

            """)));

    private static string MeshConfig(TraceCollector collector) => $"""
        extensionProviders:
        - name: zipkin
          zipkin: {"{"}service: zipkin.istio-system.svc.cluster.local, port: {collector.HttpPort}{"}"}
        - name: otel-http
          opentelemetry: {"{"}service: otel.istio-system.svc.cluster.local, port: {collector.HttpPort}, http: {"{"}path: /v1/traces{"}"}{"}"}
        - name: otel-grpc
          opentelemetry: {"{"}service: otel-grpc.istio-system.svc.cluster.local, port: {collector.GrpcPort}{"}"}

        """;

    private static string Telemetry(string provider, double sampling) => $"""
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {"{"}name: mesh-default, namespace: istio-system{"}"}
        spec:
          tracing:
          - providers: [{"{"}name: {provider}{"}"}]
            randomSamplingPercentage: {sampling.ToString(CultureInfo.InvariantCulture)}

        """;

    [Theory]
    [InlineData("zipkin", "zipkin", "envoy.tracers.zipkin")]
    [InlineData("otel-http", "otlp-http", "envoy.tracers.opentelemetry")]
    [InlineData("otel-grpc", "otlp-grpc", "envoy.tracers.opentelemetry")]
    public async Task ThreeHopCall_FullSampling_OneTraceWithAServerAndAClientSpanPerHop(string provider, string format, string tracer)
    {
        await using var chain = await Chain.StartAsync(provider, 100, tracer);

        await chain.CallAsync(new HttpRequestMessage(HttpMethod.Get, chain.Url));

        var a = chain.Apps[0].Received[^1];
        var traceId = provider == "zipkin" ? a["x-b3-traceid"] : a["traceparent"][3..35];
        var spans = await chain.SpansAsync(traceId, 5);
        Assert.All(spans, s => Assert.Equal(format, s.Format));

        // The chain of parents: a's SERVER span is the root, then CLIENT, SERVER, ... as the call went.
        var ordered = new List<CollectedSpan> { Assert.Single(spans, s => s.ParentId == null) };
        while (spans.SingleOrDefault(s => s.ParentId == ordered[^1].Id) is { } child)
        {
            ordered.Add(child);
        }

        Assert.Equal(["SERVER", "CLIENT", "SERVER", "CLIENT", "SERVER"], ordered.Select(s => s.Kind));
        Assert.Equal(["a", "a", "b", "b", "c"], ordered.Select(s => s.Tags["istio.canonical_service"]));
        Assert.Equal(["inbound|9080||", "outbound|9080||b.default.svc.cluster.local", "inbound|9080||", "outbound|9080||c.default.svc.cluster.local", "inbound|9080||"], ordered.Select(s => s.Tags["upstream_cluster"]));
        Assert.Equal(["a.default.svc.cluster.local:9080/*", "b.default.svc.cluster.local:9080/*", "b.default.svc.cluster.local:9080/*", "c.default.svc.cluster.local:9080/*", "c.default.svc.cluster.local:9080/*"], ordered.Select(s => s.Name));
        for (var i = 0; i < ordered.Count; i++)
        {
            var span = ordered[i];
            var proxy = chain.Proxies[i / 2];
            Assert.Equal($"sidecar~{proxy.Ip}~{"abc"[i / 2]}-v1.default~default.svc.cluster.local", span.Tags["node_id"]);
            Assert.Equal("200", span.Tags["http.status_code"]);
            Assert.Equal("GET", span.Tags["http.method"]);
            Assert.Equal("proxy", span.Tags["component"]);
            Assert.Equal("default", span.Tags["istio.namespace"]);
            Assert.Equal("cluster.local", span.Tags["istio.mesh_id"]);
            Assert.Equal(a["x-request-id"], span.Tags["guid:x-request-id"]);
            Assert.False(span.Tags.ContainsKey("error"));
        }

        Assert.Equal(provider == "zipkin" ? "a-v1.default" : "a.default", ordered[0].Service);

        // One request id, generated by a's sidecar, reached every app.
        Assert.True(Guid.TryParse(a["x-request-id"], out _));
        Assert.All(chain.Apps, app => Assert.Equal(a["x-request-id"], app.Received[^1]["x-request-id"]));
    }

    [Fact]
    public async Task ThreeHopCall_SamplingZero_NoSpansButTheContextPropagates()
    {
        await using var chain = await Chain.StartAsync("zipkin", 0, "envoy.tracers.zipkin");

        await chain.CallAsync(new HttpRequestMessage(HttpMethod.Get, chain.Url));
        var unsampled = chain.Apps.Select(app => app.Received[^1]).ToList();

        // The same trace reaches every hop, marked not sampled.
        Assert.All(unsampled, h => Assert.Equal(unsampled[0]["x-b3-traceid"], h["x-b3-traceid"]));
        Assert.All(unsampled, h => Assert.Equal("0", h["x-b3-sampled"]));

        // A request the client marks sampled is traced; its spans arriving means the earlier trace's would have too.
        var forced = new HttpRequestMessage(HttpMethod.Get, chain.Url);
        forced.Headers.Add("x-b3-sampled", "1");
        await chain.CallAsync(forced);
        var sampledTrace = chain.Apps[0].Received[^1]["x-b3-traceid"];
        Assert.NotEqual(unsampled[0]["x-b3-traceid"], sampledTrace);
        await chain.SpansAsync(sampledTrace, 5);
        Assert.Empty(chain.Collector.Trace(unsampled[0]["x-b3-traceid"]));
    }

    /// <summary>The mesh of one test: meshd, the collector, and a, b, c each with its app and sidecar.</summary>
    private sealed class Chain : IAsyncDisposable
    {
        private Chain(MeshHarness mesh, TraceCollector collector, TracingApp[] apps, ProxyProcess[] proxies)
        {
            Mesh = mesh;
            Collector = collector;
            Apps = apps;
            Proxies = proxies;
        }

        public MeshHarness Mesh { get; }

        public TraceCollector Collector { get; }

        public TracingApp[] Apps { get; }

        public ProxyProcess[] Proxies { get; }

        /// <summary>a's service as the test client calls it: straight to a's sidecar inbound port.</summary>
        public string Url => $"http://{Proxies[0].Ip}:9080/";

        public static async Task<Chain> StartAsync(string provider, double sampling, string tracer)
        {
            var collector = await TraceCollector.StartAsync();
            var mesh = await MeshHarness.StartWithMeshConfigAsync(MeshConfig(collector), ("services.yaml", Services(collector)), ("telemetry.yaml", Telemetry(provider, sampling)));
            var apps = new List<TracingApp>();
            var proxies = new List<ProxyProcess>();
            try
            {
                foreach (var name in new[] { "a", "b", "c" })
                {
                    var app = await TracingApp.StartAsync(name);
                    apps.Add(app);
                    var proxy = ProxyProcess.Start(mesh.Meshd.XdsPort, $"{name}-v1", "default", mesh.NextIp(), $"app={name},version=v1", "default", [$"9080=127.0.0.1:{app.Port}"]);
                    mesh.Own(proxy);
                    proxies.Add(proxy);
                }

                apps[0].Next = ("http://b.default.svc.cluster.local:9080/", proxies[0]);
                apps[1].Next = ("http://c.default.svc.cluster.local:9080/", proxies[1]);
                using var http = new HttpClient();
                foreach (var proxy in proxies)
                {
                    await mesh.WaitReadyAsync(proxy);
                    await MeshHarness.Eventually(async () => (await http.GetStringAsync(proxy.Admin("/config_dump"))).Contains(tracer, StringComparison.Ordinal), $"{tracer} on {proxy.Ip}", () => proxy.Output);
                }

                return new Chain(mesh, collector, [.. apps], [.. proxies]);
            }
            catch
            {
                await new Chain(mesh, collector, [.. apps], [.. proxies]).DisposeAsync();
                throw;
            }
        }

        /// <summary>Sends the request (again, until the whole chain answers 200: outbound routes may still be arriving).</summary>
        public async Task CallAsync(HttpRequestMessage template)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            await MeshHarness.Eventually(async () =>
            {
                using var request = new HttpRequestMessage(template.Method, template.RequestUri);
                foreach (var header in template.Headers)
                {
                    request.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                request.Headers.Host = "a.default.svc.cluster.local:9080";
                using var response = await http.SendAsync(request);
                return response.IsSuccessStatusCode && Apps[2].Received.Count > 0;
            }, "a → b → c answering 200", () => string.Join("\n---\n", Proxies.Select(p => p.Output)));
        }

        /// <summary>The trace's spans once <paramref name="count"/> have arrived (bounded wait).</summary>
        public async Task<IReadOnlyList<CollectedSpan>> SpansAsync(string traceId, int count)
        {
            await MeshHarness.Eventually(() => Task.FromResult(Collector.Trace(traceId).Count >= count), $"{count} spans of trace {traceId}",
                () => $"collected: {string.Join(", ", Collector.Spans.Select(s => $"{s.TraceId}/{s.Id}<-{s.ParentId} {s.Kind} {s.Name}"))}\n" + string.Join("\n---\n", Proxies.Select(p => p.Output)), SpanWait);
            var spans = Collector.Trace(traceId);
            Assert.Equal(count, spans.Count);
            return spans;
        }

        public async ValueTask DisposeAsync()
        {
            await Mesh.DisposeAsync();
            foreach (var app in Apps)
            {
                await app.DisposeAsync();
            }

            await Collector.DisposeAsync();
        }
    }
}
