using Envoy.Config.Route.V3;
using Microsoft.AspNetCore.Http;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

namespace Meshwork.Proxy.Routing;

/// <summary>What a route inherits from its virtual host and route configuration, resolved once per virtual host.</summary>
internal sealed record RouteDefaults(
    PerFilterConfig VirtualHostFilters,
    PerFilterConfig TableFilters,
    HeaderMutations VirtualHostRequest,
    HeaderMutations VirtualHostResponse,
    HeaderMutations TableRequest,
    HeaderMutations TableResponse,
    bool MostSpecificHeaderMutationsWins,
    RetryPolicy? VirtualHostRetry,
    IReadOnlyList<MirrorPolicy> VirtualHostMirrors,
    IReadOnlyList<MirrorPolicy> TableMirrors,
    bool IncludeRequestAttemptCount,
    bool IncludeAttemptCountInResponse,
    uint MaxDirectResponseBodyBytes);

/// <summary>Envoy's Route proto → <see cref="CompiledRoute"/>: validates as Envoy's RouteEntryImplBase does and resolves inherited policies.</summary>
internal static class RouteCompiler
{
    public static CompiledRoute Compile(EnvoyRoute route, RouteDefaults defaults, string where)
    {
        var conditions = RouteConditions.Compile(route.Match, where);
        var filters = PerFilterConfig.Parse(route.TypedPerFilterConfig, route.ActionCase == EnvoyRoute.ActionOneofCase.Route_ ? route.Route_.Cors : null, where);
        ReadOnlySpan<PerFilterConfig> levels = [filters, defaults.VirtualHostFilters, defaults.TableFilters];
        var routeRequest = HeaderMutations.Compile(route.RequestHeadersToAdd, route.RequestHeadersToRemove, $"{where}: request headers");
        var routeResponse = HeaderMutations.Compile(route.ResponseHeadersToAdd, route.ResponseHeadersToRemove, $"{where}: response headers");
        HeaderMutations[] requestChain = defaults.MostSpecificHeaderMutationsWins
            ? [defaults.TableRequest, defaults.VirtualHostRequest, routeRequest]
            : [routeRequest, defaults.VirtualHostRequest, defaults.TableRequest];
        HeaderMutations[] responseChain = defaults.MostSpecificHeaderMutationsWins
            ? [defaults.TableResponse, defaults.VirtualHostResponse, routeResponse]
            : [routeResponse, defaults.VirtualHostResponse, defaults.TableResponse];

        var common = new CompiledRoute(route.Name, conditions)
        {
            Operation = route.Decorator?.Operation is { Length: > 0 } operation ? operation : null,
            Fault = PerFilterConfig.ResolveFault(levels, where),
            Cors = PerFilterConfig.ResolveCors(levels),
            RequestHeaderChain = requestChain.Where(m => !m.IsEmpty).ToArray(),
            ResponseHeaderChain = responseChain.Where(m => !m.IsEmpty).ToArray(),
            IncludeRequestAttemptCount = defaults.IncludeRequestAttemptCount,
            IncludeAttemptCountInResponse = defaults.IncludeAttemptCountInResponse,
        };

        return route.ActionCase switch
        {
            EnvoyRoute.ActionOneofCase.Route_ => Forwarding(common, route.Route_, conditions, defaults, where),
            EnvoyRoute.ActionOneofCase.Redirect => With(common, RouteActionKind.Redirect, redirect: RedirectTarget.Compile(route.Redirect, conditions, where)),
            EnvoyRoute.ActionOneofCase.DirectResponse => With(common, RouteActionKind.DirectResponse, direct: Direct(route.DirectResponse, defaults.MaxDirectResponseBodyBytes, where)),
            EnvoyRoute.ActionOneofCase.NonForwardingAction => With(common, RouteActionKind.NonForwarding),
            EnvoyRoute.ActionOneofCase.None => throw new ProxyConfigException($"{where}: route has no action (route, redirect or direct_response)"),
            _ => throw new ProxyConfigException($"{where}: route action {route.ActionCase} is not supported"),
        };
    }

    private static CompiledRoute Forwarding(CompiledRoute common, RouteAction action, RouteConditions conditions, RouteDefaults defaults, string where)
    {
        if (action.MetadataMatch != null)
        {
            throw new ProxyConfigException($"{where}: route metadata_match is not supported");
        }

        var (kind, single, weighted, header) = action.ClusterSpecifierCase switch
        {
            RouteAction.ClusterSpecifierOneofCase.Cluster when action.Cluster.Length > 0 =>
                (RouteActionKind.Cluster, ClusterChoice.Plain(action.Cluster), null, null),
            RouteAction.ClusterSpecifierOneofCase.WeightedClusters =>
                (RouteActionKind.WeightedClusters, (ClusterChoice?)null, WeightedClusterPicker.Compile(action.WeightedClusters, where), (string?)null),
            RouteAction.ClusterSpecifierOneofCase.ClusterHeader when action.ClusterHeader.Length > 0 =>
                (RouteActionKind.ClusterHeader, null, null, action.ClusterHeader),
            _ => throw new ProxyConfigException($"{where}: route action needs a cluster, weighted_clusters or cluster_header"),
        };

        var (hostKind, literal, hostHeader, pathRegex) = HostRewrite(action, where);
        var mirrors = action.RequestMirrorPolicies.Count > 0 ? action.RequestMirrorPolicies.Select(m => MirrorPolicy.Compile(m, where)).ToArray()
            : defaults.VirtualHostMirrors.Count > 0 ? defaults.VirtualHostMirrors
            : defaults.TableMirrors;

        return common with
        {
            Kind = kind,
            SingleCluster = single,
            WeightedClusters = weighted,
            ClusterHeader = header,
            ClusterNotFoundStatus = action.ClusterNotFoundResponseCode switch
            {
                RouteAction.Types.ClusterNotFoundResponseCode.NotFound => StatusCodes.Status404NotFound,
                RouteAction.Types.ClusterNotFoundResponseCode.InternalServerError => StatusCodes.Status500InternalServerError,
                _ => StatusCodes.Status503ServiceUnavailable,
            },
            Timeouts = RouteTimeouts.Compile(action),
            RetryPolicy = action.RetryPolicy != null ? RetryPolicy.Compile(action.RetryPolicy, where) : defaults.VirtualHostRetry,
            Mirrors = mirrors,
            HashPolicy = HashPolicy.Compile(action.HashPolicy, where),
            PathRewriter = PathRewriter.Compile(action.PrefixRewrite, action.RegexRewrite, conditions, where),
            HostRewrite = hostKind,
            HostRewriteLiteral = literal,
            HostRewriteHeader = hostHeader,
            HostRewritePathRegex = pathRegex,
        };
    }

    private static (HostRewriteKind, string?, string?, (System.Text.RegularExpressions.Regex, string)?) HostRewrite(RouteAction action, string where)
    {
        switch (action.HostRewriteSpecifierCase)
        {
            case RouteAction.HostRewriteSpecifierOneofCase.HostRewriteLiteral when action.HostRewriteLiteral.Length > 0:
                return (HostRewriteKind.Literal, action.HostRewriteLiteral, null, null);
            case RouteAction.HostRewriteSpecifierOneofCase.AutoHostRewrite when action.AutoHostRewrite == true:
                return (HostRewriteKind.Auto, null, null, null);
            case RouteAction.HostRewriteSpecifierOneofCase.HostRewriteHeader when action.HostRewriteHeader.Length > 0:
                return (HostRewriteKind.FromHeader, null, action.HostRewriteHeader, null);
            case RouteAction.HostRewriteSpecifierOneofCase.HostRewritePathRegex:
                var at = $"{where}: host_rewrite_path_regex";
                var rewrite = action.HostRewritePathRegex;
                var regex = Re2Regex.Search(rewrite.Pattern ?? throw new ProxyConfigException($"{at}: pattern is required"), at);
                return (HostRewriteKind.FromPathRegex, null, null, (regex, Re2Regex.Substitution(rewrite.Substitution, regex, at)));
            default:
                return (HostRewriteKind.None, null, null, null);
        }
    }

    private static DirectResponse Direct(DirectResponseAction action, uint maxBodyBytes, string where)
    {
        if (action.Status is < 200 or >= 600)
        {
            throw new ProxyConfigException($"{where}: direct_response status {action.Status} must be in [200, 600)");
        }

        var body = action.Body?.SpecifierCase switch
        {
            null or Envoy.Config.Core.V3.DataSource.SpecifierOneofCase.None => [],
            Envoy.Config.Core.V3.DataSource.SpecifierOneofCase.InlineString => System.Text.Encoding.UTF8.GetBytes(action.Body.InlineString),
            Envoy.Config.Core.V3.DataSource.SpecifierOneofCase.InlineBytes => action.Body.InlineBytes.ToByteArray(),
            var other => throw new ProxyConfigException($"{where}: direct_response body from {other} is not supported (inline_string or inline_bytes)"),
        };
        if (body.Length > maxBodyBytes)
        {
            throw new ProxyConfigException($"{where}: direct_response body is {body.Length} bytes; max_direct_response_body_size_bytes is {maxBodyBytes}");
        }

        return new DirectResponse((int)action.Status, body);
    }

    private static CompiledRoute With(CompiledRoute common, RouteActionKind kind, RedirectTarget? redirect = null, DirectResponse? direct = null) =>
        common with { Kind = kind, Redirect = redirect, DirectResponse = direct };
}
