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
    private readonly ConcurrentDictionary<StandardLabels, HttpSeries> _http = new();
    private readonly ConcurrentDictionary<StandardLabels, TcpSeries> _tcp = new();

    public void RecordRequest(StandardLabels labels, double durationMs, long requestBytes, long responseBytes) =>
        Http(labels).Record(durationMs, requestBytes, responseBytes);

    /// <summary>The series of one label combination, created on first use; callers may keep it and record into it directly.</summary>
    public HttpSeries Http(StandardLabels labels) => _http.GetOrAdd(labels, static _ => new HttpSeries());

    public void ConnectionOpened(StandardLabels labels) => Tcp(labels).Open();

    public void ConnectionClosed(StandardLabels labels, long sent, long received) => Tcp(labels).Close(sent, received);

    public long RequestCount(StandardLabels labels) => _http.TryGetValue(labels, out var series) ? Interlocked.Read(ref series.Requests) : 0;

    public string Render()
    {
        var text = new StringBuilder();
        WritePrometheus(text);
        return text.ToString();
    }

    public void WritePrometheus(StringBuilder text)
    {
        var http = _http.ToArray();
        if (http.Length > 0)
        {
            text.Append("# TYPE istio_requests_total counter\n");
            foreach (var (labels, series) in http)
            {
                text.Append("istio_requests_total{");
                labels.WriteTo(text);
                text.Append("} ").Append(Interlocked.Read(ref series.Requests)).Append('\n');
            }

            WriteHistograms(text, http, "istio_request_duration_milliseconds", s => s.Duration);
            WriteHistograms(text, http, "istio_request_bytes", s => s.RequestBytes);
            WriteHistograms(text, http, "istio_response_bytes", s => s.ResponseBytes);
        }

        var tcp = _tcp.ToArray();
        if (tcp.Length > 0)
        {
            WriteCounters(text, tcp, "istio_tcp_connections_opened_total", s => ref s.Opened);
            WriteCounters(text, tcp, "istio_tcp_connections_closed_total", s => ref s.Closed);
            WriteCounters(text, tcp, "istio_tcp_sent_bytes_total", s => ref s.Sent);
            WriteCounters(text, tcp, "istio_tcp_received_bytes_total", s => ref s.Received);
        }
    }

    public TcpSeries Tcp(StandardLabels labels) => _tcp.GetOrAdd(labels, static _ => new TcpSeries());

    private static void WriteHistograms(StringBuilder text, KeyValuePair<StandardLabels, HttpSeries>[] all, string name, Func<HttpSeries, Histogram> pick)
    {
        text.Append("# TYPE ").Append(name).Append(" histogram\n");
        foreach (var (labels, series) in all)
        {
            pick(series).WriteTo(text, name, labels);
        }
    }

    private delegate ref long Field(TcpSeries series);

    private static void WriteCounters(StringBuilder text, KeyValuePair<StandardLabels, TcpSeries>[] all, string name, Field field)
    {
        text.Append("# TYPE ").Append(name).Append(" counter\n");
        foreach (var (labels, series) in all)
        {
            text.Append(name).Append('{');
            labels.WriteTo(text);
            text.Append("} ").Append(Interlocked.Read(ref field(series))).Append('\n');
        }
    }

    /// <summary>One HTTP label combination's counter and histograms.</summary>
    internal sealed class HttpSeries
    {
        public long Requests;
        public readonly Histogram Duration = new();
        public readonly Histogram RequestBytes = new();
        public readonly Histogram ResponseBytes = new();

        public void Record(double durationMs, long requestBytes, long responseBytes)
        {
            Interlocked.Increment(ref Requests);
            Duration.Record(durationMs);
            RequestBytes.Record(requestBytes);
            ResponseBytes.Record(responseBytes);
        }
    }

    /// <summary>One TCP label combination's four counters.</summary>
    internal sealed class TcpSeries
    {
        public long Opened;
        public long Closed;
        public long Sent;
        public long Received;

        public void Open() => Interlocked.Increment(ref Opened);

        public void Close(long sent, long received)
        {
            Interlocked.Increment(ref Closed);
            Interlocked.Add(ref Sent, sent);
            Interlocked.Add(ref Received, received);
        }
    }
}
