using Envoy.Config.Core.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// What a matched HTTP route does, after Istio's applyHTTPRouteDestination, ApplyRedirect and
/// ApplyDirectResponse: forward to one cluster or weighted clusters (with per-destination headers
/// and hash policies), rewrite, time out, retry and mirror; or redirect; or answer directly.
/// </summary>
internal static class RouteActionTranslator
{
    private static readonly Duration NoTimeout = Duration.FromTimeSpan(TimeSpan.Zero);

    /// <summary>Sets the forwarding action; false when the route has no destination to forward to.</summary>
    public static bool ApplyDestinations(Route route, HttpRoute http, RouteContext context, string authority)
    {
        var destinations = http.Route.Where(d => d.Destination != null).ToList();
        if (destinations.Count == 0)
        {
            return false;
        }

        var action = new RouteAction();
        ApplyTimeout(action, http.Timeout, context.IsProxyless);
        route.Route_ = action;

        if (http.Rewrite is { } rewrite)
        {
            ApplyRewrite(action, rewrite, route.Match);
            if (rewrite.Authority.Length > 0)
            {
                authority = rewrite.Authority;
            }
        }

        if (authority.Length > 0)
        {
            action.HostRewriteLiteral = authority;
        }

        ApplyMirrors(action, http, context);

        var consistentHash = false;
        if (destinations.Count == 1)
        {
            var only = destinations[0];
            action.Cluster = ClusterNames.ForDestination(only.Destination!, context.ServiceFor(only.Destination!.Host), context.Port);
            var operations = HeaderOperationsTranslator.Translate(only.Headers);
            route.RequestHeadersToAdd.AddRange(operations.RequestHeadersToAdd);
            route.RequestHeadersToRemove.AddRange(operations.RequestHeadersToRemove);
            route.ResponseHeadersToAdd.AddRange(operations.ResponseHeadersToAdd);
            route.ResponseHeadersToRemove.AddRange(operations.ResponseHeadersToRemove);

            // A route-level rewrite wins over the destination's authority, as with one cluster or several.
            if (operations.Authority.Length > 0 && action.HostRewriteSpecifierCase == RouteAction.HostRewriteSpecifierOneofCase.None)
            {
                action.HostRewriteLiteral = operations.Authority;
            }

            consistentHash = AddHashPolicy(action, only.Destination, context);
        }
        else
        {
            var weighted = new WeightedCluster();
            foreach (var destination in destinations.Where(d => d.Weight > 0))
            {
                var cluster = new WeightedCluster.Types.ClusterWeight
                {
                    Name = ClusterNames.ForDestination(destination.Destination!, context.ServiceFor(destination.Destination!.Host), context.Port),
                    Weight = (uint)destination.Weight,
                };
                var operations = HeaderOperationsTranslator.Translate(destination.Headers);
                cluster.RequestHeadersToAdd.AddRange(operations.RequestHeadersToAdd);
                cluster.RequestHeadersToRemove.AddRange(operations.RequestHeadersToRemove);
                cluster.ResponseHeadersToAdd.AddRange(operations.ResponseHeadersToAdd);
                cluster.ResponseHeadersToRemove.AddRange(operations.ResponseHeadersToRemove);
                if (operations.Authority.Length > 0)
                {
                    cluster.HostRewriteLiteral = operations.Authority;
                }

                weighted.Clusters.Add(cluster);
                AddHashPolicy(action, destination.Destination, context);
            }

            action.WeightedClusters = weighted;
        }

        var retries = http.Retries ?? context.Mesh.DefaultHttpRetryPolicy;
        action.RetryPolicy = RetryPolicyTranslator.Translate(retries, consistentHash);
        return true;
    }

    /// <summary>
    /// Istio's setTimeout: the route timeout, 0s (disabled) by default. gRPC reads a cap on the stream
    /// instead: proxyless clients read max_stream_duration; Envoy caps the grpc-timeout header with
    /// grpc_timeout_header_max (the replacement for Istio's deprecated max_grpc_timeout).
    /// </summary>
    public static void ApplyTimeout(RouteAction action, TimeSpan? timeout, bool proxyless)
    {
        var value = timeout is { } t ? Duration.FromTimeSpan(t) : NoTimeout;
        action.Timeout = value;
        action.MaxStreamDuration = proxyless
            ? new RouteAction.Types.MaxStreamDuration { MaxStreamDuration_ = value }
            : new RouteAction.Types.MaxStreamDuration { GrpcTimeoutHeaderMax = value };
    }

    /// <summary>Sets the redirect; false for a redirect code Envoy cannot send (Istio then leaves the route without an action).</summary>
    public static bool ApplyRedirect(Route route, HttpRedirect redirect, uint port, bool isTls)
    {
        var action = new RedirectAction { HostRedirect = redirect.Authority };
        if (redirect.PrefixRewrite.Length > 0)
        {
            action.PrefixRewrite = redirect.PrefixRewrite;
        }
        else if (redirect.Uri.Length > 0)
        {
            // Istio always sets path_redirect (the oneof keeps "" on the wire); "" keeps the path anyway, so it is left out.
            action.PathRedirect = redirect.Uri;
        }

        if (redirect.Scheme.Length > 0)
        {
            action.SchemeRedirect = redirect.Scheme;
        }

        if (redirect.Port != null || redirect.DerivePort != null)
        {
            if (redirect.Port is { } fixedPort)
            {
                action.PortRedirect = fixedPort;
            }
            else if (redirect.DerivePort == RedirectPortSelection.FromRequestPort)
            {
                // Envoy cannot read the request port, but these routes serve exactly one port.
                action.PortRedirect = port;
            }

            // Never write the scheme's default port explicitly.
            var scheme = redirect.Scheme.Length > 0 ? redirect.Scheme : isTls ? "https" : "http";
            if ((action.PortRedirect == 80 && scheme == "http") || (action.PortRedirect == 443 && scheme == "https"))
            {
                action.PortRedirect = 0;
            }
        }

        RedirectAction.Types.RedirectResponseCode? code = redirect.RedirectCode switch
        {
            0 or 301 => RedirectAction.Types.RedirectResponseCode.MovedPermanently,
            302 => RedirectAction.Types.RedirectResponseCode.Found,
            303 => RedirectAction.Types.RedirectResponseCode.SeeOther,
            307 => RedirectAction.Types.RedirectResponseCode.TemporaryRedirect,
            308 => RedirectAction.Types.RedirectResponseCode.PermanentRedirect,
            _ => null,
        };
        if (code == null)
        {
            return false;
        }

        action.ResponseCode = code.Value;
        route.Redirect = action;
        return true;
    }

    public static void ApplyDirectResponse(Route route, HttpDirectResponse response)
    {
        var action = new DirectResponseAction { Status = response.Status };
        if (response.Body?.String is { } text)
        {
            action.Body = new DataSource { InlineString = text };
        }
        else if (response.Body?.Bytes is { } bytes)
        {
            action.Body = new DataSource { InlineBytes = Google.Protobuf.ByteString.CopyFrom(bytes.ToArray()) };
        }

        route.DirectResponse = action;
    }

    /// <summary>
    /// A prefix match rewrites only the matched prefix (prefix_rewrite); an exact or regex match
    /// rewrites the whole path (a regex rewrite of <c>^.*$</c>), which is what Envoy does with
    /// prefix_rewrite on such routes, made explicit. <c>uriRegexRewrite</c> maps to regex_rewrite.
    /// </summary>
    private static void ApplyRewrite(RouteAction action, HttpRewrite rewrite, RouteMatch match)
    {
        if (rewrite.UriRegexRewrite is { } regex)
        {
            action.RegexRewrite = new RegexMatchAndSubstitute { Pattern = RouteMatchTranslator.Regex(regex.Match), Substitution = regex.Rewrite };
        }
        else if (rewrite.Uri.Length > 0)
        {
            if (match.PathSpecifierCase == RouteMatch.PathSpecifierOneofCase.Prefix)
            {
                action.PrefixRewrite = rewrite.Uri;
            }
            else
            {
                action.RegexRewrite = new RegexMatchAndSubstitute { Pattern = RouteMatchTranslator.Regex("^.*$"), Substitution = rewrite.Uri };
            }
        }
    }

    private static void ApplyMirrors(RouteAction action, HttpRoute http, RouteContext context)
    {
        if (http.Mirror is { } mirror && LegacyMirrorFraction(http) is { } fraction)
        {
            action.RequestMirrorPolicies.Add(MirrorPolicy(mirror, fraction, context));
        }

        foreach (var policy in http.Mirrors)
        {
            if (policy.Destination == null)
            {
                continue;
            }

            var share = policy.Percentage == null ? Hundred(100) : policy.Percentage.Value > 0 ? FaultAndCorsTranslator.Fraction(policy.Percentage) : null;
            if (share != null)
            {
                action.RequestMirrorPolicies.Add(MirrorPolicy(policy.Destination, share, context));
            }
        }
    }

    /// <summary>Istio's MirrorPercent: mirrorPercentage, else the deprecated integer mirrorPercent, else all; an explicit 0 mirrors nothing.</summary>
    private static Envoy.Type.V3.FractionalPercent? LegacyMirrorFraction(HttpRoute http)
    {
        if (http.MirrorPercentage is { } percentage)
        {
            return percentage.Value > 0 ? FaultAndCorsTranslator.Fraction(percentage) : null;
        }

        if (http.MirrorPercent is { } percent)
        {
            return percent > 0 ? Hundred(percent) : null;
        }

        return Hundred(100);
    }

    private static RouteAction.Types.RequestMirrorPolicy MirrorPolicy(Destination destination, Envoy.Type.V3.FractionalPercent fraction, RouteContext context) => new()
    {
        Cluster = ClusterNames.ForDestination(destination, context.ServiceFor(destination.Host), context.Port),
        RuntimeFraction = new RuntimeFractionalPercent { DefaultValue = fraction },
        TraceSampled = false,
    };

    private static Envoy.Type.V3.FractionalPercent Hundred(uint percent) =>
        new() { Numerator = percent, Denominator = Envoy.Type.V3.FractionalPercent.Types.DenominatorType.Hundred };

    private static bool AddHashPolicy(RouteAction action, Destination? destination, RouteContext context)
    {
        if (destination == null)
        {
            return false;
        }

        var hash = context.Rules.HashFor(destination, context.ServiceFor(destination.Host)?.Namespace);
        if (HashPolicyTranslator.Translate(hash) is not { } policy)
        {
            return false;
        }

        // Weighted destinations with the same rule would repeat the same policy; once is enough.
        if (!action.HashPolicy.Contains(policy))
        {
            action.HashPolicy.Add(policy);
        }

        return true;
    }
}
