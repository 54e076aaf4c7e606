using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateConnectionPool, shared by DestinationRule traffic policies (upstream limits) and
/// Sidecar ingress listeners and inbound pools (downstream limits).
/// </summary>
internal static class TrafficPolicyConnectionPoolChecks
{
    public static void Check(RuleContext context, string path, ConnectionPoolSettings? pool)
    {
        if (pool == null)
        {
            return;
        }

        if (pool.Http == null && pool.Tcp == null)
        {
            context.Error(path, "connection pool must have at least one field: set tcp or http");
            return;
        }

        if (pool.Http is { } http)
        {
            var at = path + ".http";
            NonNegative(context, at + ".http1MaxPendingRequests", "http1 max pending requests", http.Http1MaxPendingRequests);
            NonNegative(context, at + ".http2MaxRequests", "http2 max requests", http.Http2MaxRequests);
            NonNegative(context, at + ".maxRequestsPerConnection", "max requests per connection", http.MaxRequestsPerConnection);
            NonNegative(context, at + ".maxRetries", "max retries", http.MaxRetries);
            TrafficPolicyDuration.Check(context, at + ".idleTimeout", http.IdleTimeout);
            if (http.H2UpgradePolicy == H2UpgradePolicy.Upgrade && http.UseClientProtocol)
            {
                context.Error(at + ".useClientProtocol", "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
            }

            NonNegative(context, at + ".maxConcurrentStreams", "max concurrent streams", http.MaxConcurrentStreams);

            // Envoy rejects HTTP/2 keepalive intervals and timeouts under 1ms, the same bound as every Istio duration.
            TrafficPolicyDuration.Check(context, at + ".http2KeepAlive.interval", http.Http2KeepAlive?.Interval);
            TrafficPolicyDuration.Check(context, at + ".http2KeepAlive.timeout", http.Http2KeepAlive?.Timeout);
        }

        if (pool.Tcp is { } tcp)
        {
            var at = path + ".tcp";
            NonNegative(context, at + ".maxConnections", "max connections", tcp.MaxConnections);
            TrafficPolicyDuration.Check(context, at + ".connectTimeout", tcp.ConnectTimeout);
            TrafficPolicyDuration.Check(context, at + ".maxConnectionDuration", tcp.MaxConnectionDuration);

            // 0s (anything under a millisecond, as Istio counts it) disables the idle timeout.
            if (tcp.IdleTimeout is { } idle && (long)idle.TotalMilliseconds != 0)
            {
                TrafficPolicyDuration.Check(context, at + ".idleTimeout", idle);
            }

            TrafficPolicyDuration.Check(context, at + ".tcpKeepalive.time", tcp.TcpKeepalive?.Time);
            TrafficPolicyDuration.Check(context, at + ".tcpKeepalive.interval", tcp.TcpKeepalive?.Interval);
        }
    }

    private static void NonNegative(RuleContext context, string path, string what, int value)
    {
        if (value < 0)
        {
            context.Error(path, $"{what} must be non-negative, got {value}");
        }
    }
}
