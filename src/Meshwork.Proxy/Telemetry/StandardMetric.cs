using Istio.Stats;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Istio's standard metrics by their stats-filter names, as flags: what a stats filter's metric
/// overrides drop (a Telemetry resource's <c>disabled</c>). A dropped metric is never recorded, so
/// it never appears on /stats/prometheus.
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

/// <summary>Reads the drops out of a stats filter's <c>metrics</c> overrides.</summary>
public static class StandardMetricOverrides
{
    private static readonly Dictionary<string, StandardMetric> Names = new(StringComparer.Ordinal)
    {
        ["requests_total"] = StandardMetric.RequestsTotal,
        ["request_duration_milliseconds"] = StandardMetric.RequestDuration,
        ["request_bytes"] = StandardMetric.RequestBytes,
        ["response_bytes"] = StandardMetric.ResponseBytes,
        ["tcp_connections_opened_total"] = StandardMetric.TcpOpened,
        ["tcp_connections_closed_total"] = StandardMetric.TcpClosed,
        ["tcp_sent_bytes_total"] = StandardMetric.TcpSentBytes,
        ["tcp_received_bytes_total"] = StandardMetric.TcpReceivedBytes,
        // gRPC message counts are not recorded by mesh-proxy; dropping them changes nothing.
        ["request_messages_total"] = StandardMetric.None,
        ["response_messages_total"] = StandardMetric.None,
    };

    public static StandardMetric Dropped(PluginConfig config, string where)
    {
        var dropped = StandardMetric.None;
        for (var i = 0; i < config.Metrics.Count; i++)
        {
            var metric = config.Metrics[i];
            var at = $"{where}: metrics[{i}]";
            if (metric.Dimensions.Count > 0 || metric.TagsToRemove.Count > 0 || metric.Match.Length > 0)
            {
                throw new ProxyConfigException($"{at}: dimensions, tags_to_remove and match are not supported by mesh-proxy (only drop)");
            }

            if (!metric.Drop)
            {
                continue;
            }

            if (metric.Name.Length == 0)
            {
                return (StandardMetric)0xFF;
            }

            dropped |= Names.TryGetValue(metric.Name, out var known)
                ? known
                : throw new ProxyConfigException($"{at}: name \"{metric.Name}\" is not one of Istio's standard metrics ({string.Join(", ", Names.Keys)})");
        }

        return dropped;
    }
}
