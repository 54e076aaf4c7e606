using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Warnings for routes that can never be chosen (analyzeUnreachableHTTPRules and its TCP/TLS twins): a rule
/// after one without matches, a match identical to an earlier one (match names aside), and an HTTP prefix
/// match already covered by an earlier, shorter prefix with the same other conditions. The first matching
/// rule wins, so these are dead configuration; Istio accepts them with a warning.
/// </summary>
public sealed class UnreachableRouteRule : SpecRule<VirtualService>
{
    protected override void Check(VirtualService spec, RuleContext context)
    {
        AnalyzeHttp(spec.Http, context);
        AnalyzeL4([.. spec.Tcp.Select(r => r.Match.Cast<object>().ToList())], "spec.tcp", context);
        AnalyzeL4([.. spec.Tls.Select(r => r.Match.Cast<object>().ToList())], "spec.tls", context);
    }

    private static void AnalyzeHttp(IReadOnlyList<HttpRoute> routes, RuleContext context)
    {
        var seen = new List<(HttpMatchRequest Match, int Rule)>();
        var prefixMatches = new List<PrefixMatch>();
        var catchAll = -1;
        for (var r = 0; r < routes.Count; r++)
        {
            var route = routes[r];
            var path = $"spec.http[{r}]";
            if (route.Match.IsEmpty)
            {
                if (catchAll >= 0)
                {
                    Unused(context, path, RouteName(route, r), "only the last rule can have no matches");
                }

                catchAll = r;
                continue;
            }

            var duplicates = 0;
            for (var m = 0; m < route.Match.Count; m++)
            {
                var match = route.Match[m];
                if (catchAll >= 0)
                {
                    Unused(context, $"{path}.match[{m}]", RouteName(route, r), "route without matches defined before");
                    continue;
                }

                // Match names only label access logs; they take no part in routing.
                var key = match with { Name = string.Empty };
                var earlier = seen.FindIndex(s => s.Match.Equals(key));
                if (earlier >= 0)
                {
                    var rule = seen[earlier].Rule;
                    Ineffective(context, $"{path}.match[{m}]", RouteName(route, r), MatchName(match, m), RouteName(routes[rule], rule));
                    duplicates++;
                    continue;
                }

                seen.Add((key, r));
                if (PrefixMatch.Of(route, match, r, m) is { } prefix)
                {
                    prefixMatches.Add(prefix);
                }
            }

            if (duplicates == route.Match.Count)
            {
                Unused(context, path, RouteName(route, r), "all matches used by prior rules");
            }
        }

        for (var a = 0; a < prefixMatches.Count; a++)
        {
            for (var b = a + 1; b < prefixMatches.Count; b++)
            {
                var earlier = prefixMatches[a];
                var later = prefixMatches[b];
                if (later.Prefix != earlier.Prefix && earlier.Covers(later))
                {
                    Ineffective(context, later.Path, later.RouteName, $"{later.MatchName} of prefix {later.Prefix}", $"{earlier.MatchName} of prefix {earlier.Prefix} on {earlier.RouteName}");
                }
            }
        }
    }

    private static void AnalyzeL4(IReadOnlyList<List<object>> routes, string field, RuleContext context)
    {
        var seen = new List<(object Match, int Rule)>();
        var catchAll = -1;
        for (var r = 0; r < routes.Count; r++)
        {
            var path = $"{field}[{r}]";
            if (routes[r].Count == 0)
            {
                if (catchAll >= 0)
                {
                    Unused(context, path, $"#{r}", "only the last rule can have no matches");
                }

                catchAll = r;
                continue;
            }

            var duplicates = 0;
            for (var m = 0; m < routes[r].Count; m++)
            {
                if (catchAll >= 0)
                {
                    Unused(context, $"{path}.match[{m}]", $"#{r}", "route without matches defined before");
                    continue;
                }

                var earlier = seen.FindIndex(s => s.Match.Equals(routes[r][m]));
                if (earlier >= 0)
                {
                    Ineffective(context, $"{path}.match[{m}]", $"#{r}", $"#{m}", $"#{seen[earlier].Rule}");
                    duplicates++;
                }
                else
                {
                    seen.Add((routes[r][m], r));
                }
            }

            if (duplicates == routes[r].Count)
            {
                Unused(context, path, $"#{r}", "all matches used by prior rules");
            }
        }
    }

    private static string RouteName(HttpRoute route, int index) => route.Name.Length > 0 ? $"\"{route.Name}\"" : $"#{index}";

    private static string MatchName(HttpMatchRequest match, int index) => match.Name.Length > 0 ? $"\"{match.Name}\"" : $"#{index}";

    private static void Unused(RuleContext context, string path, string rule, string reason) =>
        context.Warning(path, $"virtualService rule {rule} not used ({reason})");

    private static void Ineffective(RuleContext context, string path, string rule, string match, string duplicateOf) =>
        context.Warning(path, $"virtualService rule {rule} match {match} is not used (duplicate/overlapping match in rule {duplicateOf})");

    /// <summary>Istio's OverlappingMatchValidationForHTTPRoute: a URI prefix match and the other conditions, as exact:/prefix: strings.</summary>
    private sealed record PrefixMatch(
        string Path,
        string RouteName,
        string MatchName,
        string Prefix,
        uint Port,
        string Method,
        string Authority,
        Dictionary<string, string> Headers,
        Dictionary<string, string> QueryParams,
        Dictionary<string, string> WithoutHeaders)
    {
        public static PrefixMatch? Of(HttpRoute route, HttpMatchRequest match, int r, int m)
        {
            var prefix = match.Uri?.Prefix ?? string.Empty;
            if (prefix.Length == 0)
            {
                return null;
            }

            var method = ExactOrPrefix(match.Method);
            return new PrefixMatch(
                $"spec.http[{r}].match[{m}]",
                UnreachableRouteRule.RouteName(route, r),
                UnreachableRouteRule.MatchName(match, m),
                prefix,
                match.Port,
                method.Length > 0 ? method : "exact:GET",
                ExactOrPrefix(match.Authority),
                match.Headers.ToDictionary(e => e.Key, e => ExactOrPrefix(e.Value)),
                match.QueryParams.ToDictionary(e => e.Key, e => ExactOrPrefix(e.Value)),
                match.WithoutHeaders.ToDictionary(e => e.Key, e => ExactOrPrefix(e.Value)));
        }

        /// <summary>Istio's coveredValidation, kept as written (the value comparisons test this one's value against the other's as a prefix).</summary>
        public bool Covers(PrefixMatch other) =>
            other.Prefix.StartsWith(Prefix, StringComparison.Ordinal)
            && other.Port == Port
            && Loose(Method, other.Method)
            && Loose(Authority, other.Authority)
            && SameKeys(Headers, other.Headers)
            && SameKeys(QueryParams, other.QueryParams)
            && SameKeys(WithoutHeaders, other.WithoutHeaders);

        private static bool Loose(string mine, string theirs) => mine == theirs || mine.StartsWith(theirs, StringComparison.Ordinal);

        private static bool SameKeys(Dictionary<string, string> mine, Dictionary<string, string> theirs) =>
            mine.Count == theirs.Count && mine.All(e => theirs.TryGetValue(e.Key, out var value) && Loose(e.Value, value));

        private static string ExactOrPrefix(StringMatch? match) =>
            match?.Exact is { Length: > 0 } exact ? "exact:" + exact
            : match?.Prefix is { Length: > 0 } prefix ? "prefix:" + prefix
            : string.Empty;
    }
}
