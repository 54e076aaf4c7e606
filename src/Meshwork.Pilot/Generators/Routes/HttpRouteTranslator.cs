using Envoy.Config.Route.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// One VirtualService's HTTP rules → Envoy routes for one listener port, after Istio's
/// BuildHTTPRoutesForVirtualService: each match of a rule is one route (matches are ORed), in order;
/// a match for another port or another source (labels, namespace, gateway) is left out; the first
/// catch-all route ends the list, since nothing after it can match.
/// </summary>
internal static class HttpRouteTranslator
{
    public const string DefaultRouteName = "default";

    /// <summary>The routes, or an empty list when no rule applies to this port and proxy (the host then gets its default route).</summary>
    public static IReadOnlyList<Route> Translate(BoundVirtualService virtualService, RouteContext context)
    {
        var routes = new List<Route>();
        foreach (var http in virtualService.Spec.Http)
        {
            var catchAll = false;
            if (http.Match.IsEmpty)
            {
                if (TranslateRule(virtualService, http, null, context) is { } route)
                {
                    routes.Add(route);
                }

                catchAll = true;
            }
            else
            {
                foreach (var match in http.Match)
                {
                    if (TranslateRule(virtualService, http, match, context) is { } route)
                    {
                        routes.Add(route);
                        if (RouteMatchTranslator.IsCatchAll(route))
                        {
                            catchAll = true;
                            break;
                        }
                    }
                }
            }

            if (catchAll)
            {
                break;
            }
        }

        return routes;
    }

    /// <summary>The route of a host without a VirtualService: everything to its cluster, with the mesh's default retries (Istio's BuildDefaultHTTPOutboundRoute).</summary>
    public static Route DefaultRoute(string cluster, string operation, HttpRetry? meshRetry, ConsistentHashLb? hash, bool proxyless)
    {
        var action = new RouteAction { Cluster = cluster };
        var hashPolicy = HashPolicyTranslator.Translate(hash);
        if (hashPolicy != null)
        {
            action.HashPolicy.Add(hashPolicy);
        }

        action.RetryPolicy = RetryPolicyTranslator.Translate(meshRetry, consistentHash: false);
        RouteActionTranslator.ApplyTimeout(action, null, proxyless);
        return new Route
        {
            Name = DefaultRouteName,
            Match = RouteMatchTranslator.CatchAll(),
            Route_ = action,
            Decorator = new Decorator { Operation = operation },
        };
    }

    /// <summary>Istio's sourceMatchHTTP: gateway names when the match lists any, else source labels and namespace.</summary>
    public static bool SourceMatches(HttpMatchRequest? match, ProxyNode proxy, IReadOnlySet<string> gatewayNames)
    {
        if (match == null)
        {
            return true;
        }

        if (!match.Gateways.IsEmpty)
        {
            return match.Gateways.Any(gatewayNames.Contains);
        }

        return match.SourceLabels.All(l => proxy.Labels.TryGetValue(l.Key, out var value) && value == l.Value)
            && (match.SourceNamespace.Length == 0 || match.SourceNamespace == proxy.Namespace);
    }

    private static Route? TranslateRule(BoundVirtualService virtualService, HttpRoute http, HttpMatchRequest? match, RouteContext context)
    {
        if (match is { Port: > 0 } && match.Port != context.Port)
        {
            return null;
        }

        if (!SourceMatches(match, context.Proxy, context.GatewayNames))
        {
            return null;
        }

        var route = new Route
        {
            Name = match is { Name.Length: > 0 } ? $"{http.Name}.{match.Name}" : http.Name,
            Match = RouteMatchTranslator.Translate(match),
        };

        var operations = HeaderOperationsTranslator.Translate(http.Headers);
        route.RequestHeadersToAdd.AddRange(operations.RequestHeadersToAdd);
        route.RequestHeadersToRemove.AddRange(operations.RequestHeadersToRemove);
        route.ResponseHeadersToAdd.AddRange(operations.ResponseHeadersToAdd);
        route.ResponseHeadersToRemove.AddRange(operations.ResponseHeadersToRemove);

        var hasAction = http.Redirect != null ? RouteActionTranslator.ApplyRedirect(route, http.Redirect, context.Port, context.IsTls)
            : http.DirectResponse != null ? DirectResponse(route, http.DirectResponse)
            : RouteActionTranslator.ApplyDestinations(route, http, context, operations.Authority);
        if (!hasAction)
        {
            // A delegating rule (resolved elsewhere) or a rule with nothing Envoy can do.
            return null;
        }

        route.Decorator = new Decorator { Operation = Operation(route, virtualService.Name, context.Port) };

        if (FaultAndCorsTranslator.Fault(http.Fault) is { } fault)
        {
            route.TypedPerFilterConfig[FaultAndCorsTranslator.FaultFilter] = Any.Pack(fault);
        }

        // Proxyless gRPC has no CORS filter; a per-route config for a filter it lacks would be NACKed.
        if (http.CorsPolicy is { } cors && !context.IsProxyless)
        {
            route.TypedPerFilterConfig[FaultAndCorsTranslator.CorsFilterName] = Any.Pack(FaultAndCorsTranslator.Cors(cors));
        }

        return route;
    }

    private static bool DirectResponse(Route route, HttpDirectResponse response)
    {
        RouteActionTranslator.ApplyDirectResponse(route, response);
        return true;
    }

    /// <summary>Istio's GetRouteOperation, the trace span name: <c>host:port/path</c> for one cluster, else <c>vsName:port/path</c>.</summary>
    private static string Operation(Route route, string virtualServiceName, uint port)
    {
        var match = route.Match;
        var path = match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => match.Prefix + "*",
            RouteMatch.PathSpecifierOneofCase.Path => match.Path,
            RouteMatch.PathSpecifierOneofCase.SafeRegex => match.SafeRegex.Regex,
            _ => "/*",
        };
        if (route.ActionCase == Route.ActionOneofCase.Route_ && ClusterNames.ParseOutbound(route.Route_.Cluster) is { } target)
        {
            return $"{target.Host}:{target.Port}{path}";
        }

        return $"{virtualServiceName}:{port}{path}";
    }
}
