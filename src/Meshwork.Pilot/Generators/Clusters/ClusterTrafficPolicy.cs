using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Mesh;
using Meshwork.Config.Networking;
using CoreTcpKeepalive = Envoy.Config.Core.V3.TcpKeepalive;
using EnvoyOutlierDetection = Envoy.Config.Cluster.V3.OutlierDetection;
using IstioOutlierDetection = Meshwork.Config.Networking.OutlierDetection;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// A DestinationRule's connection pool and outlier detection onto an Envoy cluster, by Istio's
/// rules (cluster_traffic_policy.go). Zero means "unset" for Istio's plain integer fields, so a
/// zero limit keeps the default, as it does in Istio.
/// </summary>
internal static class ClusterTrafficPolicy
{
    /// <summary>
    /// Connect timeout (MeshConfig's, 10 s by default, unless the pool sets one), circuit-breaker
    /// thresholds (Istio raises Envoy's small defaults to 2^32-1 so rolling updates do not trip
    /// them), TCP keepalive, and the HTTP connection limits. Applied to every cluster, with an empty
    /// pool when the rule has none.
    /// </summary>
    public static void ApplyConnectionPool(Cluster cluster, UpstreamHttpOptions http, ConnectionPoolSettings? settings, MeshConfig mesh)
    {
        settings ??= new ConnectionPoolSettings();
        var thresholds = DefaultThresholds();
        TimeSpan? idleTimeout = null;
        TimeSpan? maxConnectionDuration = null;
        var maxRequestsPerConnection = 0;
        var maxConcurrentStreams = 0;
        if (settings.Http is { } h)
        {
            thresholds.MaxRequests = h.Http2MaxRequests > 0 ? (uint)h.Http2MaxRequests : thresholds.MaxRequests;
            thresholds.MaxPendingRequests = h.Http1MaxPendingRequests > 0 ? (uint)h.Http1MaxPendingRequests : thresholds.MaxPendingRequests;
            thresholds.MaxRetries = h.MaxRetries > 0 ? (uint)h.MaxRetries : thresholds.MaxRetries;
            idleTimeout = h.IdleTimeout;
            maxRequestsPerConnection = h.MaxRequestsPerConnection;
            maxConcurrentStreams = h.MaxConcurrentStreams;
        }

        cluster.ConnectTimeout = Duration.FromTimeSpan(mesh.EffectiveConnectTimeout);
        if (settings.Tcp is { } tcp)
        {
            if (tcp.ConnectTimeout is { } connect)
            {
                cluster.ConnectTimeout = Duration.FromTimeSpan(connect);
            }

            thresholds.MaxConnections = tcp.MaxConnections > 0 ? (uint)tcp.MaxConnections : thresholds.MaxConnections;
            maxConnectionDuration = tcp.MaxConnectionDuration;
            idleTimeout ??= tcp.IdleTimeout;
            ApplyTcpKeepalive(cluster, tcp.TcpKeepalive);
        }

        cluster.CircuitBreakers = new CircuitBreakers { Thresholds = { thresholds } };
        if (maxConnectionDuration != null || idleTimeout != null || maxRequestsPerConnection > 0 || maxConcurrentStreams > 0)
        {
            var common = http.Common();
            if (idleTimeout is { } idle)
            {
                common.IdleTimeout = Duration.FromTimeSpan(idle);
            }

            if (maxRequestsPerConnection > 0)
            {
                common.MaxRequestsPerConnection = (uint)maxRequestsPerConnection;
            }

            if (maxConnectionDuration is { } duration)
            {
                common.MaxConnectionDuration = Duration.FromTimeSpan(duration);
            }

            // Only a cluster that is HTTP/2 by now gets the stream limit (an h2 upgrade comes later, as in Istio).
            if (http.Options?.ExplicitHttpConfig?.Http2ProtocolOptions is { } h2 && maxConcurrentStreams > 0)
            {
                h2.MaxConcurrentStreams = (uint)maxConcurrentStreams;
            }
        }

        if (settings.Http is { UseClientProtocol: true })
        {
            http.UseDownstreamProtocol();
        }
    }

    /// <summary>
    /// Istio's shouldH2Upgrade: the rule's UPGRADE (even on a port not declared HTTP: the user knows)
    /// or DO_NOT_UPGRADE decides; otherwise MeshConfig's h2UpgradePolicy, whose default (and only
    /// value in Meshwork) is not to upgrade.
    /// </summary>
    /// <summary>
    /// Istio's retry budget: Envoy's circuit-breaker budget (20 % of active requests and at least 3
    /// concurrent retries unless the rule says otherwise); with a budget Envoy ignores max_retries.
    /// </summary>
    public static void ApplyRetryBudget(Cluster cluster, Config.Networking.RetryBudget? budget)
    {
        if (budget == null || cluster.CircuitBreakers is not { Thresholds.Count: > 0 } breakers)
        {
            return;
        }

        breakers.Thresholds[0].RetryBudget = new CircuitBreakers.Types.Thresholds.Types.RetryBudget
        {
            BudgetPercent = new Envoy.Type.V3.Percent { Value = budget.Percent ?? 20.0 },
            MinRetryConcurrency = budget.MinRetryConcurrency > 0 ? budget.MinRetryConcurrency : 3,
        };
    }

    public static bool ShouldUpgradeToHttp2(ConnectionPoolSettings? settings) =>
        settings?.Http?.H2UpgradePolicy == H2UpgradePolicy.Upgrade;

    /// <summary>
    /// Istio's applyOutlierDetection: success-rate ejection off, consecutive 5xx and gateway errors
    /// enforced at 100 % when set, local-origin failures only when split, and the healthy panic
    /// threshold set to minHealthPercent (0 by default: Istio turns Envoy's panic mode off).
    /// </summary>
    public static void ApplyOutlierDetection(Cluster cluster, IstioOutlierDetection? outlier)
    {
        if (outlier == null)
        {
            return;
        }

        var result = new EnvoyOutlierDetection { EnforcingSuccessRate = 0 };
        if (outlier.Consecutive5xxErrors is { } errors5xx)
        {
            result.Consecutive5Xx = errors5xx;
            result.EnforcingConsecutive5Xx = errors5xx > 0 ? 100u : 0u;
        }

        if (outlier.ConsecutiveGatewayErrors is { } gatewayErrors)
        {
            result.ConsecutiveGatewayFailure = gatewayErrors;
            result.EnforcingConsecutiveGatewayFailure = gatewayErrors > 0 ? 100u : 0u;
        }

        if (outlier.Interval is { } interval)
        {
            result.Interval = Duration.FromTimeSpan(interval);
        }

        if (outlier.BaseEjectionTime is { } ejection)
        {
            result.BaseEjectionTime = Duration.FromTimeSpan(ejection);
        }

        if (outlier.MaxEjectionPercent > 0)
        {
            result.MaxEjectionPercent = (uint)outlier.MaxEjectionPercent;
        }

        if (outlier.SplitExternalLocalOriginErrors)
        {
            result.SplitExternalLocalOriginErrors = true;
            if (outlier.ConsecutiveLocalOriginFailures is > 0 and var localFailures)
            {
                result.ConsecutiveLocalOriginFailure = localFailures;
                result.EnforcingConsecutiveLocalOriginFailure = 100;
            }

            result.EnforcingLocalOriginSuccessRate = 0;
        }

        cluster.OutlierDetection = result;
        if (outlier.MinHealthPercent >= 0)
        {
            (cluster.CommonLbConfig ??= new Cluster.Types.CommonLbConfig()).HealthyPanicThreshold = new Envoy.Type.V3.Percent { Value = outlier.MinHealthPercent };
        }
    }

    public static CircuitBreakers.Types.Thresholds DefaultThresholds() => new()
    {
        MaxConnections = uint.MaxValue,
        MaxPendingRequests = uint.MaxValue,
        MaxRequests = uint.MaxValue,
        MaxRetries = uint.MaxValue,
        TrackRemaining = true,
    };

    /// <summary>SO_KEEPALIVE with the OS defaults, then each value the rule sets (times in whole seconds).</summary>
    private static void ApplyTcpKeepalive(Cluster cluster, TcpKeepalive? keepalive)
    {
        if (keepalive == null)
        {
            return;
        }

        var options = cluster.UpstreamConnectionOptions ??= new UpstreamConnectionOptions { TcpKeepalive = new CoreTcpKeepalive() };
        options.TcpKeepalive ??= new CoreTcpKeepalive();
        if (keepalive.Probes > 0)
        {
            options.TcpKeepalive.KeepaliveProbes = keepalive.Probes;
        }

        if (keepalive.Time is { } time)
        {
            options.TcpKeepalive.KeepaliveTime = (uint)time.TotalSeconds;
        }

        if (keepalive.Interval is { } interval)
        {
            options.TcpKeepalive.KeepaliveInterval = (uint)interval.TotalSeconds;
        }
    }
}
