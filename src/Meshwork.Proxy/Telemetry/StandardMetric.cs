namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Istio's standard metrics as flags, one bit each in the order of <see cref="IstioMetrics"/>'
/// families: what a stats filter's metric overrides drop (a Telemetry resource's <c>disabled</c>)
/// or relabel (its tag overrides). A dropped metric is never recorded, so it never appears on
/// /stats/prometheus.
/// </summary>
[Flags]
public enum StandardMetric
{
    None = 0,
    RequestsTotal = 1,
    RequestDuration = 2,
    RequestBytes = 4,
    ResponseBytes = 8,
    TcpOpened = 16,
    TcpClosed = 32,
    TcpSentBytes = 64,
    TcpReceivedBytes = 128,
}
