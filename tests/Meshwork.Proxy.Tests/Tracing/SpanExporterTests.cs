using Envoy.Config.Trace.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Tests.Upstream;
using Meshwork.Proxy.Tracing;
using Microsoft.Extensions.Logging.Abstractions;
using HcmTracing = Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Types.Tracing;

namespace Meshwork.Proxy.Tests.Tracing;

/// <summary>The export queue: bounded, never blocking the request path, dropping and counting when the collector falls behind.</summary>
public sealed class SpanExporterTests
{
    [Fact]
    public async Task Enqueue_CollectorStuck_DropsBeyondTheQueueAndCountsThem()
    {
        var stuck = new StuckHandler();
        var stats = new StatsStore();
        var clusters = UpstreamTestClusters.NewSet().Set;
        clusters.ApplyOne(UpstreamTestClusters.Static("zipkin", ("127.0.0.1", 9411)));
        var exporter = new SpanExporter(clusters, new TracerIdentity("n", string.Empty, "s", "127.0.0.1"), stats, TimeProvider.System, NullLogger<SpanExporter>.Instance, stuck);
        var plan = TracingPlan.Compile(new HcmTracing
        {
            Provider = new Envoy.Config.Trace.V3.Tracing.Types.Http
            {
                Name = TracingPlan.ZipkinTracer,
                TypedConfig = Any.Pack(new ZipkinConfig { CollectorCluster = "zipkin", CollectorEndpoint = "/api/v2/spans", CollectorEndpointVersion = ZipkinConfig.Types.CollectorEndpointVersion.HttpJson }),
            },
        }, "l")!;
        var span = new FinishedSpan { Context = new TraceContext(0, 1, 2, 0, true, null), Name = "x", Kind = SpanKind.Server, Start = DateTimeOffset.UnixEpoch, Duration = TimeSpan.FromMilliseconds(1), Tags = [] };
        const int sent = 5000;

        for (var i = 0; i < sent; i++)
        {
            exporter.Enqueue(plan, span);
        }

        // The export loop holds at most one batch while its send hangs; everything beyond the queue and that batch is dropped.
        Assert.InRange(stats.Counter("tracing", "zipkin", "spans_dropped").Value, sent - SpanExporter.QueueCapacity - SpanExporter.MaxBatch, sent - SpanExporter.QueueCapacity);
        stuck.Release();
        await exporter.DisposeAsync();
        clusters.Dispose();
    }

    private sealed class StuckHandler : HttpMessageHandler
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _release.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await _release.Task.WaitAsync(cancellationToken);
            return new HttpResponseMessage(System.Net.HttpStatusCode.Accepted);
        }
    }
}
