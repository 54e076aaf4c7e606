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

    /// <summary>Every family with observations (a metric a Telemetry override drops never has any, so it is absent).</summary>
    public void WritePrometheus(StringBuilder text)
    {
        var http = _http.ToArray();
        WriteFamily(text, http, "istio_requests_total", "counter", s => Interlocked.Read(ref s.Requests) > 0, (t, name, labels, s) => Sample(t, name, labels, Interlocked.Read(ref s.Requests)));
        WriteHistograms(text, http, "istio_request_duration_milliseconds", s => s.Duration);
        WriteHistograms(text, http, "istio_request_bytes", s => s.RequestBytes);
        WriteHistograms(text, http, "istio_response_bytes", s => s.ResponseBytes);

        var tcp = _tcp.ToArray();
        WriteFamily(text, tcp, "istio_tcp_connections_opened_total", "counter", s => Interlocked.Read(ref s.Opened) > 0, (t, name, labels, s) => Sample(t, name, labels, Interlocked.Read(ref s.Opened)));
        WriteFamily(text, tcp, "istio_tcp_connections_closed_total", "counter", s => Interlocked.Read(ref s.Closed) > 0, (t, name, labels, s) => Sample(t, name, labels, Interlocked.Read(ref s.Closed)));
        WriteFamily(text, tcp, "istio_tcp_sent_bytes_total", "counter", s => Volatile.Read(ref s.SentOn), (t, name, labels, s) => Sample(t, name, labels, Interlocked.Read(ref s.Sent)));
        WriteFamily(text, tcp, "istio_tcp_received_bytes_total", "counter", s => Volatile.Read(ref s.ReceivedOn), (t, name, labels, s) => Sample(t, name, labels, Interlocked.Read(ref s.Received)));
    }

    public TcpSeries Tcp(StandardLabels labels) => _tcp.GetOrAdd(labels, static _ => new TcpSeries());

    private static void WriteHistograms(StringBuilder text, KeyValuePair<StandardLabels, HttpSeries>[] all, string name, Func<HttpSeries, Histogram> pick) =>
        WriteFamily(text, all, name, "histogram", s => pick(s).Count > 0, (t, n, labels, s) => pick(s).WriteTo(t, n, labels));

    private static void WriteFamily<T>(StringBuilder text, KeyValuePair<StandardLabels, T>[] all, string name, string type, Func<T, bool> shown, Action<StringBuilder, string, StandardLabels, T> write)
    {
        var typed = false;
        foreach (var (labels, series) in all)
        {
            if (!shown(series))
            {
                continue;
            }

            if (!typed)
            {
                text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                typed = true;
            }

            write(text, name, labels, series);
        }
    }

    private static void Sample(StringBuilder text, string name, StandardLabels labels, long value)
    {
        text.Append(name).Append('{');
        labels.WriteTo(text);
        text.Append("} ").Append(value).Append('\n');
    }

    /// <summary>One HTTP label combination's counter and histograms.</summary>
    internal sealed class HttpSeries
    {
        public long Requests;
        public readonly Histogram Duration = new();
        public readonly Histogram RequestBytes = new();
        public readonly Histogram ResponseBytes = new();

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
    internal sealed class TcpSeries
    {
        public long Opened;
        public long Closed;
        public long Sent;
        public long Received;

        /// <summary>Set when a connection was recorded with the byte counters on, so a connection that moved no bytes still shows them (0).</summary>
        public bool SentOn;
        public bool ReceivedOn;

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
