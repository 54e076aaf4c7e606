using System.Globalization;
using Microsoft.AspNetCore.Http;
using Envoy.Config.Route.V3;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// The upstream cluster a forwarded request goes to, with what that choice brings along: a weighted
/// cluster's own header edits and host rewrite (applied before the route's, as Envoy's
/// WeightedClusterEntry does). A single-cluster route's choice is precomputed, so it costs nothing.
/// </summary>
public sealed record ClusterChoice(string Name, HeaderMutations RequestHeaders, HeaderMutations ResponseHeaders, string? HostRewriteLiteral)
{
    internal static ClusterChoice Plain(string name) => new(name, HeaderMutations.None, HeaderMutations.None, null);
}

/// <summary>
/// Envoy's weighted_clusters pick: a value in [0, total weight) — from the random source, or from a
/// request header when <c>header_name</c> is set — falls into one cluster's cumulative weight band.
/// Zero-weight clusters are never chosen; <c>total_weight</c> (deprecated upstream) is ignored, the
/// sum of the weights is the total.
/// </summary>
public sealed class WeightedClusterPicker
{
    private readonly ClusterChoice[] _clusters;
    private readonly ulong[] _cumulativeWeights;
    private readonly string? _randomValueHeader;

    private WeightedClusterPicker(ClusterChoice[] clusters, ulong[] cumulativeWeights, string? randomValueHeader)
    {
        _clusters = clusters;
        _cumulativeWeights = cumulativeWeights;
        _randomValueHeader = randomValueHeader;
        TotalWeight = cumulativeWeights[^1];
    }

    public ulong TotalWeight { get; }

    public IReadOnlyList<ClusterChoice> Clusters => _clusters;

    internal static WeightedClusterPicker Compile(WeightedCluster weighted, string where)
    {
        if (weighted.Clusters.Count == 0)
        {
            throw new ProxyConfigException($"{where}: weighted_clusters has no clusters");
        }

        var clusters = new ClusterChoice[weighted.Clusters.Count];
        var cumulative = new ulong[weighted.Clusters.Count];
        ulong total = 0;
        for (var i = 0; i < clusters.Length; i++)
        {
            var cluster = weighted.Clusters[i];
            var at = $"{where}: weighted_clusters[{i}]";
            if (cluster.Name.Length == 0)
            {
                throw new ProxyConfigException($"{at}: name is required");
            }

            if (cluster.TypedPerFilterConfig.Count > 0)
            {
                throw new ProxyConfigException($"{at} \"{cluster.Name}\": typed_per_filter_config on a weighted cluster is not supported");
            }

            if (cluster.MetadataMatch != null)
            {
                throw new ProxyConfigException($"{at} \"{cluster.Name}\": metadata_match is not supported");
            }

            total += cluster.Weight ?? 0;
            cumulative[i] = total;
            clusters[i] = new ClusterChoice(
                cluster.Name,
                HeaderMutations.Compile(cluster.RequestHeadersToAdd, cluster.RequestHeadersToRemove, at),
                HeaderMutations.Compile(cluster.ResponseHeadersToAdd, cluster.ResponseHeadersToRemove, at),
                cluster.HasHostRewriteLiteral && cluster.HostRewriteLiteral.Length > 0 ? cluster.HostRewriteLiteral : null);
        }

        if (total == 0)
        {
            throw new ProxyConfigException($"{where}: sum of weights in weighted_clusters must be greater than 0");
        }

        return new WeightedClusterPicker(clusters, cumulative, weighted.HasHeaderName && weighted.HeaderName.Length > 0 ? weighted.HeaderName : null);
    }

    /// <summary>The cluster for a uniform random number in [0, 1).</summary>
    public ClusterChoice PickCluster(double random01) => PickByValue(Math.Min((ulong)(Math.Clamp(random01, 0, 1) * TotalWeight), TotalWeight - 1));

    /// <summary>As Envoy: the header named by <c>header_name</c>, when it holds an unsigned number, replaces the random value.</summary>
    public ClusterChoice PickCluster(HttpRequest request, double random01)
    {
        if (_randomValueHeader != null
            && ulong.TryParse(request.Headers[_randomValueHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return PickByValue(value % TotalWeight);
        }

        return PickCluster(random01);
    }

    private ClusterChoice PickByValue(ulong selected)
    {
        for (var i = 0; i < _cumulativeWeights.Length; i++)
        {
            if (selected < _cumulativeWeights[i])
            {
                return _clusters[i];
            }
        }

        return _clusters[^1];
    }
}

/// <summary>A request_mirror_policies entry: the shadow cluster (or the header naming it) and the share of requests mirrored.</summary>
public sealed record MirrorPolicy(string Cluster, string ClusterHeader, Percentage Fraction, bool? TraceSampled, bool DisableShadowHostSuffixAppend)
{
    public bool ShouldMirror(double random01) => Fraction.IsHit(random01);

    internal static MirrorPolicy Compile(RouteAction.Types.RequestMirrorPolicy policy, string where)
    {
        if ((policy.Cluster.Length == 0) == (policy.ClusterHeader.Length == 0))
        {
            throw new ProxyConfigException($"{where}: request_mirror_policies: exactly one of cluster and cluster_header is required");
        }

        // Without runtime_fraction Envoy mirrors every request.
        return new MirrorPolicy(policy.Cluster, policy.ClusterHeader, Percentage.From(policy.RuntimeFraction, Percentage.Always), policy.TraceSampled, policy.DisableShadowHostSuffixAppend);
    }
}

/// <summary>
/// A route's time limits. <see cref="Timeout"/> null means none (Envoy's 0s); Envoy's 15 s default
/// applies when the route leaves it out. <see cref="IdleTimeout"/> null means "the connection
/// manager's stream idle timeout", zero means disabled. <see cref="GrpcTimeoutHeaderMax"/> null means
/// the grpc-timeout header is ignored; zero means it is honoured without a cap.
/// </summary>
public sealed record RouteTimeouts(TimeSpan? Timeout, TimeSpan? IdleTimeout, TimeSpan? MaxStreamDuration, TimeSpan? GrpcTimeoutHeaderMax, TimeSpan? GrpcTimeoutHeaderOffset)
{
    public static readonly TimeSpan EnvoyDefaultTimeout = TimeSpan.FromSeconds(15);

    public static RouteTimeouts None { get; } = new(null, null, null, null, null);

    internal static RouteTimeouts Compile(RouteAction action)
    {
        var timeout = action.Timeout == null ? EnvoyDefaultTimeout : action.Timeout.ToTimeSpan();
        var stream = action.MaxStreamDuration;
        var maxStream = stream?.MaxStreamDuration_?.ToTimeSpan();
        return new RouteTimeouts(
            timeout > TimeSpan.Zero ? timeout : null,
            action.IdleTimeout?.ToTimeSpan(),
            maxStream > TimeSpan.Zero ? maxStream : null,
            stream?.GrpcTimeoutHeaderMax?.ToTimeSpan(),
            stream?.GrpcTimeoutHeaderOffset?.ToTimeSpan());
    }
}
