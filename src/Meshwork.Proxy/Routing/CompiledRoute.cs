using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Routing;

/// <summary>What a matched route does (Envoy's Route.action).</summary>
public enum RouteActionKind
{
    /// <summary>Forward to <see cref="CompiledRoute.Cluster"/>.</summary>
    Cluster,

    /// <summary>Forward to a cluster picked by weight (<see cref="CompiledRoute.WeightedClusters"/>).</summary>
    WeightedClusters,

    /// <summary>Forward to the cluster a request header names (<see cref="CompiledRoute.ClusterHeader"/>).</summary>
    ClusterHeader,

    /// <summary>Answer with a redirect (<see cref="CompiledRoute.Redirect"/>).</summary>
    Redirect,

    /// <summary>Answer with a fixed status and body (<see cref="CompiledRoute.DirectResponse"/>).</summary>
    DirectResponse,

    /// <summary>Neither forward nor answer: a filter is expected to respond (Envoy's non_forwarding_action).</summary>
    NonForwarding,
}

/// <summary>A direct_response: the status and the body bytes, read once at config time.</summary>
public sealed record DirectResponse(int Status, ReadOnlyMemory<byte> Body);

/// <summary>
/// The request target (encoded path and query, as it goes on the wire) and authority to forward with;
/// null parts are unchanged. A regex rewrite may put a query into the path (Envoy then keeps the
/// request's own query after it), which is why the target is one string and not a PathString.
/// </summary>
public readonly record struct RequestRewrite(string? PathAndQuery, string? Authority);

/// <summary>How the upstream Host is rewritten (Envoy's host_rewrite_specifier).</summary>
public enum HostRewriteKind
{
    None,
    Literal,
    FromHeader,
    FromPathRegex,

    /// <summary>auto_host_rewrite: the pipeline sets the chosen endpoint's hostname.</summary>
    Auto,
}

/// <summary>
/// One route, compiled: its conditions, its action, and every per-route policy already resolved
/// against its virtual host and route configuration (retry, mirrors, fault, CORS, header edits in
/// Envoy's order), so the pipeline reads fields and calls small methods per request and never
/// consults the config again.
/// </summary>
public sealed record CompiledRoute
{
    internal CompiledRoute(string name, RouteConditions conditions)
    {
        Name = name;
        Conditions = conditions;
    }

    public string Name { get; }

    /// <summary>The decorator's operation (trace span name), or null.</summary>
    public string? Operation { get; internal init; }

    public RouteActionKind Kind { get; internal init; }

    /// <summary>The single cluster of a <see cref="RouteActionKind.Cluster"/> route.</summary>
    public string? Cluster => SingleCluster?.Name;

    public WeightedClusterPicker? WeightedClusters { get; internal init; }

    public string? ClusterHeader { get; internal init; }

    /// <summary>The status when the cluster does not exist (cluster_not_found_response_code: 503, 404 or 500).</summary>
    public int ClusterNotFoundStatus { get; internal init; } = StatusCodes.Status503ServiceUnavailable;

    public RedirectTarget? Redirect { get; internal init; }

    public DirectResponse? DirectResponse { get; internal init; }

    public RouteTimeouts Timeouts { get; internal init; } = RouteTimeouts.None;

    /// <summary>The route's retry policy, else its virtual host's (never merged); null means no retries.</summary>
    public RetryPolicy? RetryPolicy { get; internal init; }

    /// <summary>The pipeline sends x-envoy-attempt-count upstream.</summary>
    public bool IncludeRequestAttemptCount { get; internal init; }

    /// <summary>The pipeline sends x-envoy-attempt-count downstream on the response.</summary>
    public bool IncludeAttemptCountInResponse { get; internal init; }

    public FaultPolicy? Fault { get; internal init; }

    public CorsPolicy? Cors { get; internal init; }

    /// <summary>The route's mirror policies, else its virtual host's, else its route configuration's.</summary>
    public IReadOnlyList<MirrorPolicy> Mirrors { get; internal init; } = [];

    public HashPolicy? HashPolicy { get; internal init; }

    public HostRewriteKind HostRewrite { get; internal init; }

    internal RouteConditions Conditions { get; }

    internal ClusterChoice? SingleCluster { get; init; }

    internal PathRewriter? PathRewriter { get; init; }

    internal string? HostRewriteLiteral { get; init; }

    internal string? HostRewriteHeader { get; init; }

    internal (System.Text.RegularExpressions.Regex Regex, string Substitution)? HostRewritePathRegex { get; init; }

    /// <summary>Request edits in the order Envoy runs them (route, virtual host, configuration; reversed when the most specific wins).</summary>
    internal HeaderMutations[] RequestHeaderChain { get; init; } = [];

    internal HeaderMutations[] ResponseHeaderChain { get; init; } = [];

    /// <summary>The cluster for a cluster or weighted route (weighted: by <paramref name="random01"/> in [0, 1)).</summary>
    public ClusterChoice PickCluster(double random01) => Kind switch
    {
        RouteActionKind.Cluster => SingleCluster!,
        RouteActionKind.WeightedClusters => WeightedClusters!.PickCluster(random01),
        _ => throw new InvalidOperationException($"route \"{Name}\" is a {Kind} route; use PickCluster(HttpRequest, double)"),
    };

    /// <summary>The cluster for any forwarding route; null when a cluster_header route's header is missing (the pipeline answers <see cref="ClusterNotFoundStatus"/>).</summary>
    public ClusterChoice? PickCluster(HttpRequest request, double random01) => Kind switch
    {
        RouteActionKind.Cluster => SingleCluster!,
        RouteActionKind.WeightedClusters => WeightedClusters!.PickCluster(request, random01),
        RouteActionKind.ClusterHeader => request.Headers[ClusterHeader!] is { Count: > 0 } value && !string.IsNullOrEmpty(value[0]) ? ClusterChoice.Plain(value[0]!) : null,
        _ => null,
    };

    public string BuildRedirectLocation(HttpRequest request) =>
        (Redirect ?? throw new InvalidOperationException($"route \"{Name}\" is not a redirect")).BuildRedirectLocation(request);

    /// <summary>The path and authority to forward with, after prefix/regex rewrite and host rewrite (the route's host rewrite wins over the cluster's).</summary>
    public RequestRewrite RewriteRequest(HttpRequest request, ClusterChoice? choice = null)
    {
        var path = PathRewriter == null ? null : PathRewriter.Rewrite(RequestValues.EncodedPath(request)) + request.QueryString.Value;
        var authority = HostRewrite switch
        {
            HostRewriteKind.Literal => HostRewriteLiteral,
            HostRewriteKind.FromHeader => request.Headers[HostRewriteHeader!] is { Count: > 0 } value && !string.IsNullOrEmpty(value[0]) ? value[0] : null,
            HostRewriteKind.FromPathRegex => HostRewritePathRegex!.Value.Regex.Replace(RequestValues.EncodedPath(request), HostRewritePathRegex.Value.Substitution),
            _ => null,
        };
        return new RequestRewrite(path, authority ?? choice?.HostRewriteLiteral);
    }

    /// <summary>Runs the request header edits: the chosen weighted cluster's first, then the route's chain.</summary>
    public void ApplyRequestHeaders(HttpRequest request, ClusterChoice? choice = null)
    {
        choice?.RequestHeaders.Apply(request.Headers, request.HttpContext);
        foreach (var mutations in RequestHeaderChain)
        {
            mutations.Apply(request.Headers, request.HttpContext);
        }
    }

    /// <summary>Runs the response header edits: the chosen weighted cluster's first, then the route's chain.</summary>
    public void ApplyResponseHeaders(HttpResponse response, ClusterChoice? choice = null)
    {
        choice?.ResponseHeaders.Apply(response.Headers, response.HttpContext);
        foreach (var mutations in ResponseHeaderChain)
        {
            mutations.Apply(response.Headers, response.HttpContext);
        }
    }

    public override string ToString() => $"route \"{Name}\" ({Kind})";
}
