using Envoy.Config.Cluster.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy;

namespace Meshwork.Pilot.Generators.Clusters;

/// <summary>
/// A DestinationRule's load balancer onto an Envoy cluster. Only the algorithm lives here: the
/// consistent-hash key (header, cookie, source IP, query parameter) is a route's hash policy (RDS).
/// Locality weights and failover are LocalityLoadBalancer's (CDS and EDS).
/// </summary>
internal static class LoadBalancerTranslation
{
    /// <summary>Istio's minimum ring size when neither the ring hash nor the deprecated field sets one (Envoy's own default).</summary>
    public const ulong DefaultMinimumRingSize = 1024;

    /// <summary>
    /// Istio's applyLoadBalancer: LEAST_REQUEST by default and for LEAST_CONN, ROUND_ROBIN, RANDOM;
    /// PASSTHROUGH means an original-destination cluster (the plan already chose that type); a
    /// consistent hash means RING_HASH (or MAGLEV) whatever else is set. Slow start (warmup) goes
    /// with ROUND_ROBIN and LEAST_REQUEST.
    /// </summary>
    public static void Apply(Cluster cluster, LoadBalancerSettings? lb)
    {
        if (cluster.Type == Cluster.Types.DiscoveryType.OriginalDst)
        {
            cluster.LbPolicy = LbPolicy.ClusterProvided;
            return;
        }

        switch (lb?.Simple)
        {
            case SimpleLb.Random:
                cluster.LbPolicy = LbPolicy.Random;
                break;
            case SimpleLb.RoundRobin:
                cluster.LbPolicy = LbPolicy.RoundRobin;
                if (SlowStart(lb) is { } roundRobinWarmup)
                {
                    cluster.RoundRobinLbConfig = new Cluster.Types.RoundRobinLbConfig { SlowStartConfig = roundRobinWarmup };
                }

                break;
            default:
                cluster.LbPolicy = LbPolicy.LeastRequest;
                if (SlowStart(lb) is { } leastRequestWarmup)
                {
                    cluster.LeastRequestLbConfig = new Cluster.Types.LeastRequestLbConfig { SlowStartConfig = leastRequestWarmup };
                }

                break;
        }

        ApplyConsistentHash(cluster, lb?.ConsistentHash);
    }

    /// <summary>
    /// Proxyless gRPC clients know ROUND_ROBIN and RING_HASH only and NACK a cluster with anything
    /// else, so every simple policy becomes ROUND_ROBIN and MAGLEV becomes RING_HASH.
    /// </summary>
    public static void ApplyForProxyless(Cluster cluster, LoadBalancerSettings? lb)
    {
        cluster.LbPolicy = LbPolicy.RoundRobin;
        if (lb?.ConsistentHash is not { } hash)
        {
            return;
        }

        cluster.LbPolicy = LbPolicy.RingHash;
        var size = hash.RingHash is { MinimumRingSize: > 0 } ring ? ring.MinimumRingSize
            : hash.MinimumRingSize != 0 ? hash.MinimumRingSize
            : DefaultMinimumRingSize;
        cluster.RingHashLbConfig = new Cluster.Types.RingHashLbConfig { MinimumRingSize = size };
    }

    /// <summary>Istio's ApplyRingHashLoadBalancer.</summary>
    private static void ApplyConsistentHash(Cluster cluster, ConsistentHashLb? hash)
    {
        if (hash == null)
        {
            return;
        }

        if (hash.Maglev is { } maglev)
        {
            cluster.LbPolicy = LbPolicy.Maglev;
            if (maglev.TableSize != 0)
            {
                cluster.MaglevLbConfig = new Cluster.Types.MaglevLbConfig { TableSize = maglev.TableSize };
            }
        }
        else if (hash.RingHash is { } ring)
        {
            cluster.LbPolicy = LbPolicy.RingHash;
            if (ring.MinimumRingSize != 0)
            {
                cluster.RingHashLbConfig = new Cluster.Types.RingHashLbConfig { MinimumRingSize = ring.MinimumRingSize };
            }
        }
        else
        {
            cluster.LbPolicy = LbPolicy.RingHash;
            cluster.RingHashLbConfig = new Cluster.Types.RingHashLbConfig
            {
                MinimumRingSize = hash.MinimumRingSize != 0 ? hash.MinimumRingSize : DefaultMinimumRingSize,
            };
        }
    }

    /// <summary>The warmup window (warmup.duration, else the deprecated warmupDurationSecs) and the minimum weight percent.</summary>
    private static Cluster.Types.SlowStartConfig? SlowStart(LoadBalancerSettings? lb)
    {
        var window = lb?.Warmup?.Duration ?? lb?.WarmupDurationSecs;
        if (window is not { } duration)
        {
            return null;
        }

        var config = new Cluster.Types.SlowStartConfig { SlowStartWindow = Duration.FromTimeSpan(duration) };
        if (lb?.Warmup?.MinimumPercent is { } minimum)
        {
            config.MinWeightPercent = new Envoy.Type.V3.Percent { Value = minimum };
        }

        return config;
    }
}
