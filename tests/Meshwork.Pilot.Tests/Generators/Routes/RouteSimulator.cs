using System.Text.RegularExpressions;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;

namespace Meshwork.Pilot.Tests.Generators.Routes;

/// <summary>
/// Sends a synthetic request through a generated route table the way Envoy picks: the virtual host
/// by domain (exact, then the longest <c>*.suffix</c>, then the longest <c>prefix*</c>, then
/// <c>*</c>), then the first route whose path and headers match. Tests assert where a request lands.
/// </summary>
internal static class RouteSimulator
{
    public sealed record Outcome(VirtualHost? VirtualHost, Route? Route)
    {
        /// <summary>The cluster, the weighted clusters as <c>name:weight</c>, <c>direct:STATUS</c>, <c>redirect</c>, or null when nothing matched.</summary>
        public string? Target => Route?.ActionCase switch
        {
            Route.ActionOneofCase.Route_ when Route.Route_.ClusterSpecifierCase == RouteAction.ClusterSpecifierOneofCase.Cluster => Route.Route_.Cluster,
            Route.ActionOneofCase.Route_ => string.Join(",", Route.Route_.WeightedClusters.Clusters.Select(c => $"{c.Name}:{c.Weight}")),
            Route.ActionOneofCase.DirectResponse => $"direct:{Route.DirectResponse.Status}",
            Route.ActionOneofCase.Redirect => "redirect",
            _ => null,
        };
    }

    public static Outcome Send(RouteConfiguration table, string authority, string path = "/", IReadOnlyDictionary<string, string>? headers = null, string method = "GET", string scheme = "http")
    {
        var host = table.IgnorePortInHostMatching && authority.LastIndexOf(':') is var colon and > 0 ? authority[..colon] : authority;
        var virtualHost = PickVirtualHost(table, host);
        if (virtualHost == null)
        {
            return new Outcome(null, null);
        }

        var all = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
        {
            [":method"] = method,
            [":authority"] = authority,
            [":scheme"] = scheme,
        };
        var pathOnly = path.Split('?')[0];
        return new Outcome(virtualHost, virtualHost.Routes.FirstOrDefault(r => PathMatches(r.Match, pathOnly) && r.Match.Headers.All(h => HeaderMatches(h, all))));
    }

    private static VirtualHost? PickVirtualHost(RouteConfiguration table, string host)
    {
        var exact = table.VirtualHosts.FirstOrDefault(v => v.Domains.Any(d => string.Equals(d, host, StringComparison.OrdinalIgnoreCase)));
        if (exact != null)
        {
            return exact;
        }

        var suffix = table.VirtualHosts
            .SelectMany(v => v.Domains.Where(d => d.StartsWith('*') && d.Length > 1 && host.EndsWith(d[1..], StringComparison.OrdinalIgnoreCase)).Select(d => (v, d.Length)))
            .OrderByDescending(x => x.Length).FirstOrDefault();
        if (suffix.v != null)
        {
            return suffix.v;
        }

        var prefix = table.VirtualHosts
            .SelectMany(v => v.Domains.Where(d => d.EndsWith('*') && d.Length > 1 && host.StartsWith(d[..^1], StringComparison.OrdinalIgnoreCase)).Select(d => (v, d.Length)))
            .OrderByDescending(x => x.Length).FirstOrDefault();
        return prefix.v ?? table.VirtualHosts.FirstOrDefault(v => v.Domains.Contains("*"));
    }

    private static bool PathMatches(RouteMatch match, string path)
    {
        var comparison = match.CaseSensitive is false ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => path.StartsWith(match.Prefix, comparison),
            RouteMatch.PathSpecifierOneofCase.Path => string.Equals(path, match.Path, comparison),
            RouteMatch.PathSpecifierOneofCase.SafeRegex => Regex.IsMatch(path, $"^(?:{match.SafeRegex.Regex})$"),
            _ => false,
        };
    }

    private static bool HeaderMatches(HeaderMatcher matcher, IReadOnlyDictionary<string, string> headers)
    {
        var present = headers.TryGetValue(matcher.Name, out var value);
        if (!present && matcher.TreatMissingHeaderAsEmpty)
        {
            present = true;
            value = string.Empty;
        }

        var matches = matcher.HeaderMatchSpecifierCase switch
        {
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PresentMatch => present == matcher.PresentMatch,
            HeaderMatcher.HeaderMatchSpecifierOneofCase.StringMatch => present && StringMatches(matcher.StringMatch, value!),
            HeaderMatcher.HeaderMatchSpecifierOneofCase.ExactMatch => present && value == matcher.ExactMatch,
            HeaderMatcher.HeaderMatchSpecifierOneofCase.PrefixMatch => present && value!.StartsWith(matcher.PrefixMatch, StringComparison.Ordinal),
            _ => present,
        };
        return matches != matcher.InvertMatch;
    }

    private static bool StringMatches(StringMatcher matcher, string value) => matcher.MatchPatternCase switch
    {
        StringMatcher.MatchPatternOneofCase.Exact => value == matcher.Exact,
        StringMatcher.MatchPatternOneofCase.Prefix => value.StartsWith(matcher.Prefix, StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.Suffix => value.EndsWith(matcher.Suffix, StringComparison.Ordinal),
        StringMatcher.MatchPatternOneofCase.SafeRegex => Regex.IsMatch(value, $"^(?:{matcher.SafeRegex.Regex})$"),
        StringMatcher.MatchPatternOneofCase.Contains => value.Contains(matcher.Contains, StringComparison.Ordinal),
        _ => false,
    };
}
