using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Upstream;

namespace Meshwork.Proxy.Tracing;

/// <summary>
/// Spans leave the request path here: each collector (cluster, path, protocol, service name) has a
/// bounded queue that the request only tries to write to (full: the span is dropped and counted),
/// and one loop that sends batches off the request path, as Envoy's tracers flush: when
/// <see cref="MinFlushSpans"/> are buffered or <see cref="FlushInterval"/> after the first. The
/// collector host is picked from the named cluster of the proxy when the batch goes; spans are sent
/// in plaintext. Stats under Envoy's names: <c>tracing.zipkin.*</c>, <c>tracing.opentelemetry.*</c>.
/// </summary>
internal sealed partial class SpanExporter : IAsyncDisposable
{
    public const int QueueCapacity = 4096;
    public const int MaxBatch = 256;
    public const int MinFlushSpans = 5;

    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a stopping proxy still sends the spans it has queued.</summary>
    public static readonly TimeSpan ShutdownFlush = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<(CollectorTarget Target, string? Service), Lazy<Sink>> _sinks = new();
    private readonly ClusterSet _clusters;
    private readonly TracerIdentity _identity;
    private readonly StatsStore _stats;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly HttpMessageInvoker _client;
    private readonly CancellationTokenSource _stopping = new();

    public SpanExporter(ClusterSet clusters, TracerIdentity identity, StatsStore stats, TimeProvider time, ILogger<SpanExporter> log, HttpMessageHandler? handler = null)
    {
        _clusters = clusters;
        _identity = identity;
        _stats = stats;
        _time = time;
        _log = log;
        _client = new HttpMessageInvoker(handler ?? new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1), UseProxy = false });
    }

    public void Enqueue(TracingPlan plan, FinishedSpan span)
    {
        // Lazy: a sink starts a loop, so a lost GetOrAdd race must not build one.
        var sink = _sinks.GetOrAdd((plan.Collector, plan.ServiceName), key => new Lazy<Sink>(() => new Sink(this, key.Target, key.Service))).Value;
        if (!sink.Queue.Writer.TryWrite(span))
        {
            sink.Dropped.Increment();
        }
    }

    /// <summary>Sends what is queued (within <see cref="ShutdownFlush"/>), then stops every loop.</summary>
    public async ValueTask DisposeAsync()
    {
        var sinks = _sinks.Values.Select(s => s.Value).ToArray();
        foreach (var sink in sinks)
        {
            sink.Queue.Writer.TryComplete();
        }

        var loops = Task.WhenAll(sinks.Select(s => s.Loop));
        await Task.WhenAny(loops, Task.Delay(ShutdownFlush, _time)).ConfigureAwait(false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await loops.ConfigureAwait(false);
        _client.Dispose();
        _stopping.Dispose();
    }

    private async Task RunAsync(Sink sink)
    {
        var reader = sink.Queue.Reader;
        var batch = new List<FinishedSpan>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                var due = _time.GetTimestamp();
                while (batch.Count < MaxBatch)
                {
                    while (batch.Count < MaxBatch && reader.TryRead(out var span))
                    {
                        batch.Add(span);
                    }

                    var left = FlushInterval - _time.GetElapsedTime(due);
                    if (batch.Count >= MinFlushSpans || left <= TimeSpan.Zero || !await MoreWithinAsync(reader, left).ConfigureAwait(false))
                    {
                        break;
                    }
                }

                await SendAsync(sink, batch).ConfigureAwait(false);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits up to <paramref name="left"/> for another span; false when none came (or the queue closed).</summary>
    private async Task<bool> MoreWithinAsync(ChannelReader<FinishedSpan> reader, TimeSpan left)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        using var timer = _time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), wait, left, Timeout.InfiniteTimeSpan);
        try
        {
            return await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task SendAsync(Sink sink, List<FinishedSpan> batch)
    {
        var target = sink.Target;
        if (!_clusters.TryGet(target.Cluster, out var cluster) || cluster.Pick(default) is not { } endpoint)
        {
            sink.Failed.Increment();
            Log.NoCollector(_log, batch.Count, target.Cluster);
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{endpoint.Address}{target.Path}");
        // A cluster name (Envoy's fallback Host) is no valid host name: then the collector's address.
        request.Headers.Host = Uri.CheckHostName(target.Host.Split(':')[0]) != UriHostNameType.Unknown ? target.Host : endpoint.Address;
        switch (target.Protocol)
        {
            case CollectorProtocol.ZipkinJson:
                request.Content = Body(SpanEncoding.ZipkinJson(batch, _identity), "application/json");
                break;
            case CollectorProtocol.OtlpHttp:
                request.Content = Body(Google.Protobuf.MessageExtensions.ToByteArray(SpanEncoding.Otlp(batch, sink.Service!)), "application/x-protobuf");
                break;
            default:
                request.Version = HttpVersion.Version20;
                request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                request.Headers.TryAddWithoutValidation("te", "trailers");
                request.Content = Body(SpanEncoding.GrpcFrame(SpanEncoding.Otlp(batch, sink.Service!)), "application/grpc");
                break;
        }

        try
        {
            using var deadline = new CancellationTokenSource(target.Timeout, _time);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stopping.Token);
            using var response = await _client.SendAsync(request, timeout.Token).ConfigureAwait(false);
            await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            var grpcStatus = target.Protocol == CollectorProtocol.OtlpGrpc ? GrpcStatus(response) : "0";
            if (response.IsSuccessStatusCode && grpcStatus == "0")
            {
                sink.Sent.Add(batch.Count);
                sink.Reports.Increment();
                return;
            }

            sink.Failed.Increment();
            Log.Rejected(_log, batch.Count, target.Cluster, (int)response.StatusCode, grpcStatus ?? "-");
        }
        catch (Exception e)
        {
            // Whatever went wrong with this batch, the loop goes on with the next (or ends when stopping).
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            sink.Failed.Increment();
            Log.SendFailed(_log, batch.Count, target.Cluster, e.Message);
        }
    }

    private static ByteArrayContent Body(byte[] bytes, string type)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static string? GrpcStatus(HttpResponseMessage response) =>
        response.TrailingHeaders.TryGetValues("grpc-status", out var values) || response.Headers.TryGetValues("grpc-status", out values) ? values.FirstOrDefault() : null;

    /// <summary>One collector's queue, loop and counters.</summary>
    private sealed class Sink
    {
        public Sink(SpanExporter exporter, CollectorTarget target, string? service)
        {
            Target = target;
            Service = service;
            var scope = target.Protocol == CollectorProtocol.ZipkinJson ? "zipkin" : "opentelemetry";
            Sent = exporter._stats.Counter("tracing", scope, "spans_sent");
            Dropped = exporter._stats.Counter("tracing", scope, "spans_dropped");
            Reports = exporter._stats.Counter("tracing", scope, "reports_sent");
            Failed = exporter._stats.Counter("tracing", scope, "reports_failed");
            Queue = Channel.CreateBounded<FinishedSpan>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
            Loop = Task.Run(() => exporter.RunAsync(this));
        }

        public CollectorTarget Target { get; }

        public string? Service { get; }

        public Channel<FinishedSpan> Queue { get; }

        public Task Loop { get; }

        public Counter Sent { get; }

        public Counter Dropped { get; }

        public Counter Reports { get; }

        public Counter Failed { get; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "tracing: {Count} spans not sent: cluster \"{Cluster}\" has no host")]
        public static partial void NoCollector(ILogger logger, int count, string cluster);

        [LoggerMessage(EventId = 601, Level = LogLevel.Warning, Message = "tracing: {Count} spans rejected by cluster \"{Cluster}\": HTTP {Status}, grpc-status {GrpcStatus}")]
        public static partial void Rejected(ILogger logger, int count, string cluster, int status, string grpcStatus);

        [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "tracing: {Count} spans not sent to cluster \"{Cluster}\": {Reason}")]
        public static partial void SendFailed(ILogger logger, int count, string cluster, string reason);
    }
}
