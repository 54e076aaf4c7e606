using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// HTTPMatchRequest → Envoy RouteMatch, after Istio's TranslateRouteMatch: the URI becomes the path
/// specifier, headers (sorted by name) and <c>withoutHeaders</c> (inverted) become header matchers,
/// then method, authority and scheme as the <c>:method</c>, <c>:authority</c> and <c>:scheme</c>
/// pseudo-headers, then query parameters. A regex of <c>*</c> or an empty match means "present".
/// </summary>
internal static class RouteMatchTranslator
{
    /// <summary>Prefix <c>/</c>: what a route without a match (or a default route) matches.</summary>
    public static RouteMatch CatchAll() => new() { Prefix = "/" };

    public static RouteMatch Translate(HttpMatchRequest? match)
    {
        var output = CatchAll();
        if (match == null)
        {
            return output;
        }

        var headers = new List<HeaderMatcher>();
        foreach (var (name, value) in match.Headers)
        {
            if (JwtClaimMatcher.Translate(name, value, invert: false) is { } claim)
            {
                output.DynamicMetadata.Add(claim);
            }
            else
            {
                headers.Add(Header(name, value));
            }
        }

        foreach (var (name, value) in match.WithoutHeaders)
        {
            if (JwtClaimMatcher.Translate(name, value, invert: true) is { } claim)
            {
                output.DynamicMetadata.Add(claim);
                continue;
            }

            var header = Header(name, value);
            header.InvertMatch = true;

            // treat_missing_header_as_empty conflicts with present_match, which already inverts to "absent".
            header.TreatMissingHeaderAsEmpty = !IsPresenceMatch(value);
            headers.Add(header);
        }

        output.Headers.AddRange(headers.OrderBy(h => h.Name, StringComparer.Ordinal));

        if (match.Uri is { } uri)
        {
            if (uri.Exact != null)
            {
                output.Path = uri.Exact;
            }
            else if (uri.Prefix != null)
            {
                output.Prefix = uri.Prefix;
            }
            else if (uri.Regex != null)
            {
                output.SafeRegex = Regex(uri.Regex);
            }
        }

        output.CaseSensitive = !match.IgnoreUriCase;

        if (match.Method != null)
        {
            output.Headers.Add(Header(":method", match.Method));
        }

        if (match.Authority != null)
        {
            output.Headers.Add(Header(":authority", match.Authority));
        }

        if (match.Scheme != null)
        {
            output.Headers.Add(Header(":scheme", match.Scheme));
        }

        foreach (var (name, value) in match.QueryParams.OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            var query = new QueryParameterMatcher { Name = name };
            if (IsPresenceMatch(value))
            {
                query.PresentMatch = true;
            }
            else
            {
                query.StringMatch = StringMatcher(value!);
            }

            output.QueryParameters.Add(query);
        }

        return output;
    }

    /// <summary>Istio's IsCatchAllRoute: prefix <c>/</c> (or regex <c>.*</c>) with no header or query condition; later routes can never match.</summary>
    public static bool IsCatchAll(Route route)
    {
        var match = route.Match;
        var catchAll = match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => match.Prefix == "/",
            RouteMatch.PathSpecifierOneofCase.PathSeparatedPrefix => match.PathSeparatedPrefix == "/",
            RouteMatch.PathSpecifierOneofCase.SafeRegex => match.SafeRegex.Regex == ".*",
            _ => false,
        };
        return catchAll && match.Headers.Count == 0 && match.QueryParameters.Count == 0 && match.DynamicMetadata.Count == 0;
    }

    /// <summary>Istio's ConvertToEnvoyMatch: exact, prefix or RE2 regex.</summary>
    public static StringMatcher StringMatcher(StringMatch match)
    {
        if (match.Exact != null)
        {
            return new StringMatcher { Exact = match.Exact };
        }

        if (match.Prefix != null)
        {
            return new StringMatcher { Prefix = match.Prefix };
        }

        return new StringMatcher { SafeRegex = Regex(match.Regex ?? string.Empty) };
    }

    public static RegexMatcher Regex(string regex) => new() { GoogleRe2 = new RegexMatcher.Types.GoogleRE2(), Regex = regex };

    private static HeaderMatcher Header(string name, StringMatch? value)
    {
        var header = new HeaderMatcher { Name = name };
        if (IsPresenceMatch(value))
        {
            header.PresentMatch = true;
        }
        else
        {
            header.StringMatch = StringMatcher(value!);
        }

        return header;
    }

    /// <summary>Istio's canBeConvertedToPresentMatch: no match type at all, or the regex <c>*</c> (not RE2, but users write it).</summary>
    internal static bool IsPresenceMatch(StringMatch? value) =>
        value == null || (value.Exact == null && value.Prefix == null && (value.Regex == null || value.Regex == "*"));
}
