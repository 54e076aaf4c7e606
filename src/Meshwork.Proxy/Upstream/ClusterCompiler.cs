using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Envoy.Config.Cluster.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using DiscoveryType = Envoy.Config.Cluster.V3.Cluster.Types.DiscoveryType;
using LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy;
using UpstreamHttp = Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// Compiles one CDS Cluster into a <see cref="ClusterModel"/> with Envoy's defaults, rejecting
/// what Envoy would reject (or what this proxy cannot honour) with a message naming the cluster
/// and field. Pure: no I/O, no clock.
/// </summary>
internal static class ClusterCompiler
{
    public const string HttpOptionsExtension = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

    /// <summary>Envoy's ring-size defaults; the maximum is capped lower than Envoy's 8M entries (128 MB per ring) because no mesh needs that resolution.</summary>
    public const ulong DefaultMinRingSize = 1024;
    public const ulong MaxRingSizeCap = 1 << 20;
    public const int DefaultMaglevTableSize = 65537;

    /// <summary>Longer durations are treated as this: effectively forever, and within what timers accept.</summary>
    public static readonly TimeSpan LongestDuration = TimeSpan.FromDays(30);

    public static ClusterModel Compile(Cluster cluster, IReadOnlyDictionary<int, DnsEndPoint> inboundApps)
    {
        var where = $"cluster \"{cluster.Name}\"";
        if (cluster.Name.Length == 0)
        {
            throw new ProxyConfigException("cluster with an empty name");
        }

        if (cluster.ClusterDiscoveryTypeCase == Cluster.ClusterDiscoveryTypeOneofCase.ClusterType)
        {
            throw new ProxyConfigException($"{where}: cluster_type \"{cluster.ClusterType.Name}\" (custom cluster) is not supported");
        }

        var discovery = cluster.Type switch
        {
            DiscoveryType.Static => UpstreamDiscovery.Static,
            DiscoveryType.Eds => UpstreamDiscovery.Eds,
            DiscoveryType.StrictDns => UpstreamDiscovery.StrictDns,
            DiscoveryType.LogicalDns => UpstreamDiscovery.LogicalDns,
            DiscoveryType.OriginalDst => UpstreamDiscovery.OriginalDst,
            _ => throw new ProxyConfigException($"{where}: type {cluster.Type} is not supported"),
        };

        var http = HttpOptions(cluster, where);
        var upstreamHttp = http?.UpstreamHttpProtocolOptions;
        var transports = new List<TransportModel>();
        var defaultTransport = AddTransport(transports, TransportCompiler.Compile(cluster.TransportSocket, where + ": transport_socket", upstreamHttp?.AutoSni == true, upstreamHttp?.AutoSanValidation == true));
        var matches = new List<TransportMatchModel>();
        for (var i = 0; i < cluster.TransportSocketMatches.Count; i++)
        {
            var match = cluster.TransportSocketMatches[i];
            var transport = TransportCompiler.Compile(match.TransportSocket, $"{where}: transport_socket_matches[{i}] \"{match.Name}\"", upstreamHttp?.AutoSni == true, upstreamHttp?.AutoSanValidation == true);
            var fields = (match.Match?.Fields ?? new Google.Protobuf.Collections.MapField<string, Value>()).ToFrozenDictionary(StringComparer.Ordinal);
            matches.Add(new TransportMatchModel(match.Name, fields, AddTransport(transports, transport)));
        }

        var model = new ClusterModel(
            cluster.Name,
            cluster,
            discovery,
            cluster.EdsClusterConfig?.ServiceName is { Length: > 0 } service ? service : cluster.Name,
            LoadBalancing(cluster, discovery, where),
            Limits(cluster, where),
            Outlier(cluster.OutlierDetection, where),
            Connection(cluster, http, where),
            transports,
            matches,
            defaultTransport,
            Positive(cluster.DnsRefreshRate, TimeSpan.FromSeconds(5), where + ": dns_refresh_rate"),
            cluster.DnsLookupFamily switch
            {
                Cluster.Types.DnsLookupFamily.V4Only => AddressFamily.InterNetwork,
                Cluster.Types.DnsLookupFamily.V6Only => AddressFamily.InterNetworkV6,
                _ => AddressFamily.Unspecified,
            },
            Positive(cluster.CleanupInterval, TimeSpan.FromSeconds(5), where + ": cleanup_interval"),
            null)
        {
            Service = Telemetry.DestinationService.FromClusterMetadata(cluster.Metadata),
            MeshExternal = cluster.Metadata?.FilterMetadata.TryGetValue("istio", out var istio) == true
                && istio.Fields.TryGetValue("external", out var external) && external.BoolValue,
            PeerExchangeProtocol = UpstreamFilters(cluster, where),
        };

        if (discovery is UpstreamDiscovery.Static or UpstreamDiscovery.StrictDns or UpstreamDiscovery.LogicalDns)
        {
            model = model with { InlineEndpoints = EndpointCompiler.Compile(model, cluster.LoadAssignment ?? new(), where + ": load_assignment", inboundApps) };
        }

        return model;
    }

    /// <summary>The cluster's upstream network filters: Istio's metadata exchange is the one mesh-proxy runs; any other is refused.</summary>
    private static string? UpstreamFilters(Cluster cluster, string where)
    {
        string? protocol = null;
        for (var i = 0; i < cluster.Filters.Count; i++)
        {
            var filter = cluster.Filters[i];
            if (filter.Name != Telemetry.TcpPeerExchange.FilterName || filter.TypedConfig?.Is(Envoy.Tcp.MetadataExchange.Config.MetadataExchange.Descriptor) != true)
            {
                throw new ProxyConfigException($"{where}: filters[{i}] \"{filter.Name}\": unknown upstream network filter (mesh-proxy runs only {Telemetry.TcpPeerExchange.FilterName} with envoy.tcp.metadataexchange.config.MetadataExchange)");
            }

            protocol = filter.TypedConfig.Unpack<Envoy.Tcp.MetadataExchange.Config.MetadataExchange>().Protocol;
            if (protocol.Length == 0)
            {
                throw new ProxyConfigException($"{where}: filters[{i}] \"{filter.Name}\": protocol is required");
            }
        }

        return protocol;
    }

    private static int AddTransport(List<TransportModel> transports, TransportModel transport)
    {
        for (var i = 0; i < transports.Count; i++)
        {
            if (Equals(transports[i].Source, transport.Source))
            {
                return i;
            }
        }

        transports.Add(transport);
        return transports.Count - 1;
    }

    private static LoadBalancingSettings LoadBalancing(Cluster cluster, UpstreamDiscovery discovery, string where)
    {
        var policy = cluster.LbPolicy switch
        {
            LbPolicy.RoundRobin => UpstreamLbPolicy.RoundRobin,
            LbPolicy.LeastRequest => UpstreamLbPolicy.LeastRequest,
            LbPolicy.Random => UpstreamLbPolicy.Random,
            LbPolicy.RingHash => UpstreamLbPolicy.RingHash,
            LbPolicy.Maglev => UpstreamLbPolicy.Maglev,
            LbPolicy.ClusterProvided => UpstreamLbPolicy.ClusterProvided,
            _ => throw new ProxyConfigException($"{where}: lb_policy {cluster.LbPolicy} is not supported"),
        };

        if ((policy == UpstreamLbPolicy.ClusterProvided) != (discovery == UpstreamDiscovery.OriginalDst))
        {
            // A STATIC or DNS cluster's original_dst-only lb_policy is rejected by Envoy; ORIGINAL_DST clusters pick by destination alone.
            throw new ProxyConfigException($"{where}: lb_policy {cluster.LbPolicy} is not valid for cluster type {cluster.Type} (CLUSTER_PROVIDED goes with ORIGINAL_DST only, and ORIGINAL_DST needs CLUSTER_PROVIDED)");
        }

        var common = cluster.CommonLbConfig;
        var panic = common?.HealthyPanicThreshold?.Value ?? 50.0;
        if (panic is < 0 or > 100 || double.IsNaN(panic))
        {
            throw new ProxyConfigException($"{where}: common_lb_config.healthy_panic_threshold {panic} must be within 0-100");
        }

        var choiceCount = (int)(cluster.LeastRequestLbConfig?.ChoiceCount ?? 2);
        if (choiceCount < 2)
        {
            throw new ProxyConfigException($"{where}: least_request_lb_config.choice_count must be at least 2");
        }

        var ring = cluster.RingHashLbConfig;
        var minRing = ring?.MinimumRingSize ?? DefaultMinRingSize;
        var maxRing = Math.Min(ring?.MaximumRingSize ?? MaxRingSizeCap, MaxRingSizeCap);
        if (minRing == 0 || minRing > (ring?.MaximumRingSize ?? 8 * 1024 * 1024UL))
        {
            throw new ProxyConfigException($"{where}: ring_hash_lb_config: minimum_ring_size {minRing} must be between 1 and maximum_ring_size");
        }

        if (ring != null && ring.HashFunction != Cluster.Types.RingHashLbConfig.Types.HashFunction.XxHash)
        {
            throw new ProxyConfigException($"{where}: ring_hash_lb_config.hash_function {ring.HashFunction} is not supported (XX_HASH only)");
        }

        var table = cluster.MaglevLbConfig?.TableSize ?? DefaultMaglevTableSize;
        if (table > 5_000_011 || !IsPrime(table))
        {
            throw new ProxyConfigException($"{where}: maglev_lb_config.table_size {table} must be a prime number up to 5000011");
        }

        var slowStartConfig = policy switch
        {
            UpstreamLbPolicy.RoundRobin => cluster.RoundRobinLbConfig?.SlowStartConfig,
            UpstreamLbPolicy.LeastRequest => cluster.LeastRequestLbConfig?.SlowStartConfig,
            _ => null,
        };
        SlowStart? slowStart = null;
        if (slowStartConfig?.SlowStartWindow is { } window && window.ToTimeSpan() > TimeSpan.Zero)
        {
            var aggression = slowStartConfig.Aggression?.DefaultValue ?? 1.0;
            var minPercent = slowStartConfig.MinWeightPercent?.Value ?? 10.0;
            if (aggression <= 0 || double.IsNaN(aggression) || minPercent is < 0 or > 100)
            {
                throw new ProxyConfigException($"{where}: slow_start_config: aggression must be positive and min_weight_percent within 0-100");
            }

            slowStart = new SlowStart(Positive(window, TimeSpan.Zero, where + ": slow_start_config.slow_start_window"), aggression, minPercent);
        }

        return new LoadBalancingSettings(policy, panic, common?.LocalityWeightedLbConfig != null, choiceCount, Math.Min(minRing, maxRing), maxRing, (int)table, slowStart);
    }

    private static CircuitBreakerLimits Limits(Cluster cluster, string where)
    {
        var defaults = CircuitBreakerLimits.EnvoyDefaults;
        var thresholds = cluster.CircuitBreakers?.Thresholds.FirstOrDefault(t => t.Priority == Envoy.Config.Core.V3.RoutingPriority.Default);
        if (thresholds == null)
        {
            return defaults;
        }

        double? budget = null;
        var minRetry = defaults.MinRetryConcurrency;
        if (thresholds.RetryBudget is { } retryBudget)
        {
            budget = retryBudget.BudgetPercent?.Value ?? 20.0;
            if (budget is < 0 or > 100)
            {
                throw new ProxyConfigException($"{where}: circuit_breakers.thresholds.retry_budget.budget_percent {budget} must be within 0-100");
            }

            minRetry = retryBudget.MinRetryConcurrency ?? 3;
        }

        return new CircuitBreakerLimits(
            thresholds.MaxConnections ?? defaults.MaxConnections,
            thresholds.MaxPendingRequests ?? defaults.MaxPendingRequests,
            thresholds.MaxRequests ?? defaults.MaxRequests,
            thresholds.MaxRetries ?? defaults.MaxRetries,
            budget,
            minRetry);
    }

    private static OutlierSettings? Outlier(OutlierDetection? outlier, string where)
    {
        if (outlier == null)
        {
            return null;
        }

        where += ": outlier_detection";
        var baseEjection = Positive(outlier.BaseEjectionTime, TimeSpan.FromSeconds(30), where + ".base_ejection_time");
        return new OutlierSettings(
            Interval: Positive(outlier.Interval, TimeSpan.FromSeconds(10), where + ".interval"),
            BaseEjectionTime: baseEjection,
            MaxEjectionTime: TimeSpan.FromTicks(Math.Max(baseEjection.Ticks, Positive(outlier.MaxEjectionTime, TimeSpan.FromSeconds(300), where + ".max_ejection_time").Ticks)),
            MaxEjectionPercent: Math.Min(100, outlier.MaxEjectionPercent ?? 10),
            Consecutive5xx: outlier.Consecutive5Xx ?? 5,
            Enforcing5xx: Percent(outlier.EnforcingConsecutive5Xx ?? 100, where + ".enforcing_consecutive_5xx"),
            ConsecutiveGatewayFailure: outlier.ConsecutiveGatewayFailure ?? 5,
            EnforcingGatewayFailure: Percent(outlier.EnforcingConsecutiveGatewayFailure ?? 0, where + ".enforcing_consecutive_gateway_failure"),
            SplitLocalOriginErrors: outlier.SplitExternalLocalOriginErrors,
            ConsecutiveLocalOriginFailure: outlier.ConsecutiveLocalOriginFailure ?? 5,
            EnforcingLocalOriginFailure: Percent(outlier.EnforcingConsecutiveLocalOriginFailure ?? 100, where + ".enforcing_consecutive_local_origin_failure"),
            AlwaysEjectOneHost: outlier.AlwaysEjectOneHost ?? false);
    }

    private static ConnectionSettings Connection(Cluster cluster, UpstreamHttp? http, string where)
    {
        var common = http?.CommonHttpProtocolOptions;
        var protocol = UpstreamProtocol.Http1;
        if (http?.UpstreamProtocolOptionsCase == UpstreamHttp.UpstreamProtocolOptionsOneofCase.ExplicitHttpConfig
            && http.ExplicitHttpConfig.ProtocolConfigCase == UpstreamHttp.Types.ExplicitHttpConfig.ProtocolConfigOneofCase.Http2ProtocolOptions)
        {
            protocol = UpstreamProtocol.Http2;
        }
        else if (http?.UpstreamProtocolOptionsCase == UpstreamHttp.UpstreamProtocolOptionsOneofCase.UseDownstreamProtocolConfig)
        {
            protocol = UpstreamProtocol.SameAsDownstream;
        }
        else if (http?.UpstreamProtocolOptionsCase == UpstreamHttp.UpstreamProtocolOptionsOneofCase.AutoConfig)
        {
            throw new ProxyConfigException($"{where}: typed_extension_protocol_options[\"{HttpOptionsExtension}\"].auto_config (ALPN-negotiated protocol) is not supported");
        }

        var maxRequests = common?.MaxRequestsPerConnection ?? 0;
        return new ConnectionSettings(
            Positive(cluster.ConnectTimeout, TimeSpan.FromSeconds(5), where + ": connect_timeout"),
            Positive(common?.IdleTimeout, TimeSpan.FromHours(1), where + ": common_http_protocol_options.idle_timeout"),
            common?.MaxConnectionDuration is { } duration ? Positive(duration, TimeSpan.Zero, where + ": common_http_protocol_options.max_connection_duration") : null,
            (int)Math.Min(int.MaxValue, maxRequests),
            protocol,
            cluster.UpstreamConnectionOptions?.TcpKeepalive);
    }

    private static UpstreamHttp? HttpOptions(Cluster cluster, string where)
    {
        foreach (var (name, any) in cluster.TypedExtensionProtocolOptions)
        {
            if (name != HttpOptionsExtension)
            {
                throw new ProxyConfigException($"{where}: typed_extension_protocol_options[\"{name}\"] is not supported (only {HttpOptionsExtension})");
            }
        }

        if (!cluster.TypedExtensionProtocolOptions.TryGetValue(HttpOptionsExtension, out var packed))
        {
            return null;
        }

        try
        {
            return packed.Unpack<UpstreamHttp>();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProxyConfigException($"{where}: typed_extension_protocol_options[\"{HttpOptionsExtension}\"] does not parse as HttpProtocolOptions: {e.Message}");
        }
    }

    /// <summary>A positive duration (zero = the fallback), at most <see cref="LongestDuration"/>.</summary>
    private static TimeSpan Positive(Duration? duration, TimeSpan fallback, string where)
    {
        if (duration == null)
        {
            return fallback;
        }

        if (duration.Seconds < 0 || duration.Nanos < 0)
        {
            throw new ProxyConfigException($"{where}: must not be negative");
        }

        // Config sometimes means "never" with a huge value; timers take at most ~49 days.
        var value = duration.Seconds >= (long)LongestDuration.TotalSeconds ? LongestDuration : duration.ToTimeSpan();
        return value == TimeSpan.Zero ? fallback : value;
    }

    private static double Percent(uint value, string where) =>
        value <= 100 ? value : throw new ProxyConfigException($"{where}: {value} is above 100");

    private static bool IsPrime(ulong n)
    {
        if (n < 2)
        {
            return false;
        }

        for (ulong i = 2; i * i <= n; i++)
        {
            if (n % i == 0)
            {
                return false;
            }
        }

        return true;
    }
}
