using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// A route's RouteMatch compiled once: the path test (prefix, exact path, full-match regex or
/// path-separated prefix, on the path without the query), then runtime fraction, headers, query
/// parameters, gRPC content type and dynamic metadata, all of which must hold (Envoy's
/// RouteEntryImplBase::matchRoute). Also knows how much of the path it matched, which is what
/// <c>prefix_rewrite</c> replaces.
/// </summary>
internal sealed class RouteConditions
{
    private enum PathKind { Prefix, Exact, Regex, SeparatedPrefix }

    private readonly PathKind _pathKind;
    private readonly string _path;
    private readonly StringComparison _pathComparison;
    private readonly System.Text.RegularExpressions.Regex? _pathRegex;
    private readonly Percentage? _runtimeFraction;
    private readonly HeaderMatch[] _headers;
    private readonly QueryMatch[] _queryParameters;
    private readonly bool _grpcOnly;
    private readonly bool _neverMatches;

    private RouteConditions(PathKind kind, string path, bool caseSensitive, System.Text.RegularExpressions.Regex? regex, Percentage? runtimeFraction, HeaderMatch[] headers, QueryMatch[] query, bool grpcOnly, bool neverMatches)
    {
        _pathKind = kind;
        _path = path;
        _pathComparison = caseSensitive ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        _pathRegex = regex;
        _runtimeFraction = runtimeFraction;
        _headers = headers;
        _queryParameters = query;
        _grpcOnly = grpcOnly;
        _neverMatches = neverMatches;
    }

    /// <summary>Whether <c>prefix_rewrite</c> replaces only the matched prefix (prefix routes) or the whole path (path and regex routes).</summary>
    public bool RewritesWholePath => _pathKind is PathKind.Exact or PathKind.Regex;

    /// <summary>The configured prefix or path, whose length <c>prefix_rewrite</c> replaces.</summary>
    public string MatchedPrefix => _path;

    public static RouteConditions Compile(RouteMatch match, string where)
    {
        if (match == null)
        {
            throw new ProxyConfigException($"{where}: match is required");
        }

        var caseSensitive = match.CaseSensitive ?? true;
        var (kind, path, regex) = match.PathSpecifierCase switch
        {
            RouteMatch.PathSpecifierOneofCase.Prefix => (PathKind.Prefix, match.Prefix, null),
            RouteMatch.PathSpecifierOneofCase.Path => (PathKind.Exact, match.Path, null),
            RouteMatch.PathSpecifierOneofCase.SafeRegex => (PathKind.Regex, match.SafeRegex.Regex, Re2Regex.FullMatch(match.SafeRegex, where)),
            RouteMatch.PathSpecifierOneofCase.PathSeparatedPrefix => (PathKind.SeparatedPrefix, SeparatedPrefix(match.PathSeparatedPrefix, where), (System.Text.RegularExpressions.Regex?)null),
            _ => throw new ProxyConfigException($"{where}: match path specifier {match.PathSpecifierCase} is not supported (prefix, path, safe_regex or path_separated_prefix)"),
        };

        if (match.TlsContext != null)
        {
            throw new ProxyConfigException($"{where}: match tls_context is not supported");
        }

        var headers = match.Headers.Select(h => HeaderMatch.Compile(h, where)).ToArray();
        var query = match.QueryParameters.Select(q => QueryMatch.Compile(q, where)).ToArray();
        Percentage? fraction = match.RuntimeFraction != null ? Percentage.From(match.RuntimeFraction.DefaultValue) : null;

        // dynamic_metadata: Pilot emits these for JWT claims (jwt_authn's payload). This proxy runs no
        // jwt_authn filter, so no request carries that metadata; Envoy then fails a matcher and
        // passes an inverted one (match ^ invert). A non-inverted matcher can never hold.
        var neverMatches = false;
        foreach (var metadata in match.DynamicMetadata)
        {
            if (metadata.Value == null || metadata.Filter.Length == 0)
            {
                throw new ProxyConfigException($"{where}: dynamic_metadata matcher needs a filter and a value");
            }

            neverMatches |= !metadata.Invert;
        }

        return new RouteConditions(kind, path, caseSensitive, regex, fraction, headers, query, match.Grpc != null, neverMatches);
    }

    public bool Matches(HttpRequest request, double random01)
    {
        if (_neverMatches || !MatchesPath(RequestValues.PathOf(request)))
        {
            return false;
        }

        if (_runtimeFraction is { } fraction && !fraction.IsHit(random01))
        {
            return false;
        }

        foreach (var header in _headers)
        {
            if (!header.Matches(request))
            {
                return false;
            }
        }

        if (_queryParameters.Length > 0)
        {
            var query = request.Query;
            foreach (var parameter in _queryParameters)
            {
                if (!parameter.Matches(query))
                {
                    return false;
                }
            }
        }

        return !_grpcOnly || IsGrpc(request);
    }

    /// <summary>Envoy's Grpc::Common::isGrpcRequestHeaders: content-type exactly application/grpc or application/grpc+something (not grpc-web).</summary>
    public static bool IsGrpc(HttpRequest request)
    {
        var contentType = request.ContentType.AsSpan();
        const string grpc = "application/grpc";
        return contentType.StartsWith(grpc, StringComparison.Ordinal) && (contentType.Length == grpc.Length || contentType[grpc.Length] == '+');
    }

    private bool MatchesPath(string path) => _pathKind switch
    {
        PathKind.Prefix => path.StartsWith(_path, _pathComparison),
        PathKind.Exact => path.Equals(_path, _pathComparison),
        PathKind.Regex => _pathRegex!.IsMatch(path),
        _ => path.StartsWith(_path, _pathComparison) && (path.Length == _path.Length || path[_path.Length] == '/'),
    };

    private static string SeparatedPrefix(string prefix, string where) =>
        prefix.StartsWith('/') && !prefix.EndsWith('/') && prefix.IndexOfAny(['?', '#']) < 0
            ? prefix
            : throw new ProxyConfigException($"{where}: path_separated_prefix \"{prefix}\" must start with '/', not end with '/', and hold no '?' or '#'");
}

/// <summary>Envoy's QueryParameterMatcher: the first value of the parameter, present or matched by a string matcher.</summary>
internal sealed class QueryMatch
{
    private readonly string _name;
    private readonly StringMatch? _value;
    private readonly bool _presentResult;

    private QueryMatch(string name, StringMatch? value, bool presentResult = true)
    {
        _name = name;
        _value = value;
        _presentResult = presentResult;
    }

    public static QueryMatch Compile(QueryParameterMatcher matcher, string where)
    {
        if (matcher.Name.Length == 0)
        {
            throw new ProxyConfigException($"{where}: query parameter matcher has no name");
        }

        return matcher.QueryParameterMatchSpecifierCase switch
        {
            QueryParameterMatcher.QueryParameterMatchSpecifierOneofCase.StringMatch => new QueryMatch(matcher.Name, StringMatch.Compile(matcher.StringMatch, $"{where}: query parameter \"{matcher.Name}\"")),
            // Envoy answers present_match itself once the parameter exists, so false never matches.
            QueryParameterMatcher.QueryParameterMatchSpecifierOneofCase.PresentMatch => new QueryMatch(matcher.Name, null, matcher.PresentMatch),
            _ => new QueryMatch(matcher.Name, null),
        };
    }

    public bool Matches(IQueryCollection query) =>
        query.TryGetValue(_name, out var values) && values.Count > 0 && (_value?.Matches(values[0]) ?? _presentResult);
}
