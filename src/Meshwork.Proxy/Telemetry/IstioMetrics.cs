using System.Collections.Concurrent;
using System.Text;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Istio's standard metrics as one proxy records them (istio_requests_total, the request duration
/// and size histograms, the four istio_tcp_* counters), one series per label combination, rendered
/// in Prometheus text on /stats/prometheus. Recording looks up the series by its labels and does
/// interlocked adds; nothing is locked on the request path.
/// </summary>
internal sealed class IstioMetrics
{
    /// <summary>The families by <see cref="StandardMetric"/> bit position, as Prometheus names them.</summary>
    private static readonly (string Name, string Type)[] Families =
    [
        ("istio_requests_total", "counter"),
        ("istio_request_duration_milliseconds", "histogram"),
        ("istio_request_bytes", "histogram"),
        ("istio_response_bytes", "histogram"),
        ("istio_tcp_connections_opened_total", "counter"),
        ("istio_tcp_connections_closed_total", "counter"),
        ("istio_tcp_sent_bytes_total", "counter"),
        ("istio_tcp_received_bytes_total", "counter"),
    ];

    private readonly ConcurrentDictionary<StandardLabels, HttpSeries> _http = new();
    private readonly ConcurrentDictionary<StandardLabels, TcpSeries> _tcp = new();

    /// <summary>Series of one metric whose labels a Telemetry tag override changed, per metric (bit position).</summary>
    private readonly ConcurrentDictionary<MetricLabels, RelabelledSeries>[] _relabelled = Families.Select(_ => new ConcurrentDictionary<MetricLabels, RelabelledSeries>()).ToArray();

    public void RecordRequest(StandardLabels labels, double durationMs, long requestBytes, long responseBytes) =>
        Http(labels).Record(durationMs, requestBytes, responseBytes);

    /// <summary>The series of one label combination, created on first use; callers may keep it and record into it directly.</summary>
    public HttpSeries Http(StandardLabels labels) => _http.GetOrAdd(labels, static l => new HttpSeries(l));

    public void ConnectionOpened(StandardLabels labels) => Tcp(labels).Open();

    public void ConnectionClosed(StandardLabels labels, long sent, long received) => Tcp(labels).Close(sent, received);

    public long RequestCount(StandardLabels labels) => _http.TryGetValue(labels, out var series) ? Interlocked.Read(ref series.Requests) : 0;

    /// <summary>The series of <paramref name="metric"/> (one flag) under overridden labels, created on first use.</summary>
    public RelabelledSeries Relabelled(StandardMetric metric, MetricLabels labels)
    {
        var index = System.Numerics.BitOperations.Log2((uint)metric);
        return _relabelled[index].GetOrAdd(labels, static (_, histogram) => new RelabelledSeries(histogram), Families[index].Type == "histogram");
    }

    public string Render()
    {
        var text = new StringBuilder();
        WritePrometheus(text);
        return text.ToString();
    }

    /// <summary>Every family with observations (a metric a Telemetry override drops never has any, so it is absent).</summary>
    public void WritePrometheus(StringBuilder text)
    {
        var http = _http.ToArray();
        var tcp = _tcp.ToArray();
        for (var i = 0; i < Families.Length; i++)
        {
            var (name, type) = Families[i];
            var typed = false;
            Func<HttpSeries, Histogram>? histogram = i switch { 1 => s => s.Duration, 2 => s => s.RequestBytes, 3 => s => s.ResponseBytes, _ => null };
            foreach (var (labels, series) in http)
            {
                if (i == 0 && Interlocked.Read(ref series.Requests) > 0)
                {
                    Sample(Typed(text, name, type, ref typed), name, labels, Interlocked.Read(ref series.Requests));
                }
                else if (histogram != null && histogram(series).Count > 0)
                {
                    histogram(series).WriteTo(Typed(text, name, type, ref typed), name, labels);
                }
            }

            foreach (var (labels, series) in tcp)
            {
                var shown = i switch { 4 => Interlocked.Read(ref series.Opened) > 0, 5 => Interlocked.Read(ref series.Closed) > 0, 6 => Volatile.Read(ref series.SentOn), 7 => Volatile.Read(ref series.ReceivedOn), _ => false };
                if (shown)
                {
                    Sample(Typed(text, name, type, ref typed), name, labels, series.Read(i));
                }
            }

            foreach (var (labels, series) in _relabelled[i])
            {
                if (series.Histogram is { } recorded)
                {
                    recorded.WriteTo(Typed(text, name, type, ref typed), name, labels);
                }
                else
                {
                    Sample(Typed(text, name, type, ref typed), name, labels, Interlocked.Read(ref series.Value));
                }
            }
        }
    }

    public TcpSeries Tcp(StandardLabels labels) => _tcp.GetOrAdd(labels, static l => new TcpSeries(l));

    private static StringBuilder Typed(StringBuilder text, string name, string type, ref bool typed)
    {
        if (!typed)
        {
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            typed = true;
        }

        return text;
    }

    private static void Sample(StringBuilder text, string name, MetricLabels labels, long value)
    {
        text.Append(name).Append('{');
        labels.WriteTo(text);
        text.Append("} ").Append(value).Append('\n');
    }

    /// <summary>One series of one metric under overridden labels: a counter's value, or a histogram. It exists only once recorded, so it is always shown.</summary>
    internal sealed class RelabelledSeries(bool histogram)
    {
        public long Value;
        public readonly Histogram? Histogram = histogram ? new Histogram() : null;
    }

    /// <summary>One HTTP label combination's counter and histograms.</summary>
    internal sealed class HttpSeries(StandardLabels labels)
    {
        public long Requests;
        public readonly Histogram Duration = new();
        public readonly Histogram RequestBytes = new();
        public readonly Histogram ResponseBytes = new();

        /// <summary>The labels this series is recorded under (what tag overrides start from).</summary>
        public StandardLabels Labels => labels;

        public void Record(double durationMs, long requestBytes, long responseBytes, StandardMetric dropped = StandardMetric.None)
        {
            if (dropped == StandardMetric.None)
            {
                Interlocked.Increment(ref Requests);
                Duration.Record(durationMs);
                RequestBytes.Record(requestBytes);
                ResponseBytes.Record(responseBytes);
                return;
            }

            if ((dropped & StandardMetric.RequestsTotal) == 0)
            {
                Interlocked.Increment(ref Requests);
            }

            if ((dropped & StandardMetric.RequestDuration) == 0)
            {
                Duration.Record(durationMs);
            }

            if ((dropped & StandardMetric.RequestBytes) == 0)
            {
                RequestBytes.Record(requestBytes);
            }

            if ((dropped & StandardMetric.ResponseBytes) == 0)
            {
                ResponseBytes.Record(responseBytes);
            }
        }
    }

    /// <summary>One TCP label combination's four counters.</summary>
    internal sealed class TcpSeries(StandardLabels labels)
    {
        public StandardLabels Labels => labels;

        public long Opened;
        public long Closed;
        public long Sent;
        public long Received;

        /// <summary>Set when a connection was recorded with the byte counters on, so a connection that moved no bytes still shows them (0).</summary>
        public bool SentOn;
        public bool ReceivedOn;

        /// <summary>The counter of the family at bit position <paramref name="family"/> (4 to 7).</summary>
        public long Read(int family) => family switch
        {
            4 => Interlocked.Read(ref Opened),
            5 => Interlocked.Read(ref Closed),
            6 => Interlocked.Read(ref Sent),
            _ => Interlocked.Read(ref Received),
        };

        public void Open(StandardMetric dropped = StandardMetric.None)
        {
            if ((dropped & StandardMetric.TcpOpened) == 0)
            {
                Interlocked.Increment(ref Opened);
            }
        }

        public void Close(long sent, long received, StandardMetric dropped = StandardMetric.None)
        {
            if ((dropped & StandardMetric.TcpClosed) == 0)
            {
                Interlocked.Increment(ref Closed);
            }

            if ((dropped & StandardMetric.TcpSentBytes) == 0)
            {
                SentOn = true;
                Interlocked.Add(ref Sent, sent);
            }

            if ((dropped & StandardMetric.TcpReceivedBytes) == 0)
            {
                ReceivedOn = true;
                Interlocked.Add(ref Received, received);
            }
        }
    }
}
