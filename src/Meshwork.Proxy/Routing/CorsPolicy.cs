using Envoy.Config.Core.V3;
using Envoy.Type.Matcher.V3;
using Microsoft.AspNetCore.Http;
using FilterCors = Envoy.Extensions.Filters.Http.Cors.V3.CorsPolicy;
using RouteCors = Envoy.Config.Route.V3.CorsPolicy;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// The CORS filter's effective policy for one route (Envoy's CorsFilter): per field, the most
/// specific level that sets it wins (route, then virtual host, then route configuration), whether it
/// came from <c>typed_per_filter_config["envoy.filters.http.cors"]</c> or the older <c>cors</c> field.
/// An allowed origin's preflight is answered here with 200; an actual request from an allowed
/// origin gets Access-Control-Allow-Origin (and credentials / expose headers) on its response.
/// </summary>
public sealed class CorsPolicy
{
    private readonly StringMatch[] _allowOrigins;

    private CorsPolicy(StringMatch[] allowOrigins) => _allowOrigins = allowOrigins;

    public string AllowMethods { get; private init; } = string.Empty;

    public string AllowHeaders { get; private init; } = string.Empty;

    public string ExposeHeaders { get; private init; } = string.Empty;

    public string MaxAge { get; private init; } = string.Empty;

    public bool AllowCredentials { get; private init; }

    public bool AllowPrivateNetworkAccess { get; private init; }

    public Percentage FilterEnabled { get; private init; } = Percentage.Always;

    /// <summary>Shadow mode only counts in Envoy; it never changes a response, so it is kept for the pipeline's stats only.</summary>
    public Percentage ShadowEnabled { get; private init; } = Percentage.Never;

    /// <summary>Whether a preflight from an origin that is not allowed goes upstream (Envoy's default) or gets a bare 200 here.</summary>
    public bool ForwardNotMatchingPreflights { get; private init; } = true;

    /// <summary>An OPTIONS request with a non-empty Origin and Access-Control-Request-Method.</summary>
    public static bool IsPreflight(HttpRequest request) =>
        HttpMethods.IsOptions(request.Method)
        && !string.IsNullOrEmpty(request.Headers.Origin)
        && !string.IsNullOrEmpty(request.Headers.AccessControlRequestMethod);

    public bool IsOriginAllowed(string? origin)
    {
        if (string.IsNullOrEmpty(origin))
        {
            return false;
        }

        foreach (var allowed in _allowOrigins)
        {
            // Envoy also accepts any matcher that matches "*" itself as "all origins".
            if (allowed.Matches("*") || allowed.Matches(origin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// For a preflight: true when the proxy answers it itself (status 200 and the Access-Control
    /// headers for an allowed origin, or a bare 200 when unmatched preflights are not forwarded);
    /// false when the request continues upstream.
    /// </summary>
    public bool TryBuildPreflight(HttpRequest request, HttpResponse response, double random01 = 0)
    {
        if (!IsPreflight(request) || !FilterEnabled.IsHit(random01))
        {
            return false;
        }

        string origin = request.Headers.Origin!;
        if (!IsOriginAllowed(origin))
        {
            if (ForwardNotMatchingPreflights)
            {
                return false;
            }

            response.StatusCode = StatusCodes.Status200OK;
            return true;
        }

        response.StatusCode = StatusCodes.Status200OK;
        var headers = response.Headers;
        headers.AccessControlAllowOrigin = origin;
        if (AllowCredentials)
        {
            headers.AccessControlAllowCredentials = "true";
        }

        if (AllowMethods.Length > 0)
        {
            headers.AccessControlAllowMethods = AllowMethods;
        }

        if (AllowHeaders.Length > 0)
        {
            headers.AccessControlAllowHeaders = AllowHeaders;
        }

        if (MaxAge.Length > 0)
        {
            headers.AccessControlMaxAge = MaxAge;
        }

        if (AllowPrivateNetworkAccess && request.Headers["access-control-request-private-network"] == "true")
        {
            headers["access-control-allow-private-network"] = "true";
        }

        return true;
    }

    /// <summary>For a forwarded request from an allowed origin: the CORS headers on the upstream's response.</summary>
    public void ApplyToResponse(HttpRequest request, HttpResponse response, double random01 = 0)
    {
        string? origin = request.Headers.Origin;
        if (!FilterEnabled.IsHit(random01) || !IsOriginAllowed(origin))
        {
            return;
        }

        response.Headers.AccessControlAllowOrigin = origin;
        if (AllowCredentials)
        {
            response.Headers.AccessControlAllowCredentials = "true";
        }

        if (ExposeHeaders.Length > 0)
        {
            response.Headers.AccessControlExposeHeaders = ExposeHeaders;
        }
    }

    /// <summary>Merges the levels, most specific first; null when no level has a policy.</summary>
    internal static CorsPolicy? Merge(IReadOnlyList<Level> levels)
    {
        if (levels.Count == 0)
        {
            return null;
        }

        return new CorsPolicy(levels.Select(l => l.AllowOrigins).FirstOrDefault(o => o.Length > 0) ?? [])
        {
            AllowMethods = First(levels, l => l.AllowMethods),
            AllowHeaders = First(levels, l => l.AllowHeaders),
            ExposeHeaders = First(levels, l => l.ExposeHeaders),
            MaxAge = First(levels, l => l.MaxAge),
            AllowCredentials = levels.Select(l => l.AllowCredentials).FirstOrDefault(c => c != null) ?? false,
            AllowPrivateNetworkAccess = levels.Select(l => l.AllowPrivateNetworkAccess).FirstOrDefault(c => c != null) ?? false,
            FilterEnabled = levels[0].FilterEnabled,
            ShadowEnabled = levels[0].ShadowEnabled,
            ForwardNotMatchingPreflights = levels.Select(l => l.ForwardNotMatchingPreflights).FirstOrDefault(c => c != null) ?? true,
        };
    }

    private static string First(IReadOnlyList<Level> levels, Func<Level, string> field) =>
        levels.Select(field).FirstOrDefault(v => v.Length > 0) ?? string.Empty;

    /// <summary>One level's CORS settings, from either proto shape.</summary>
    internal sealed record Level(
        StringMatch[] AllowOrigins, string AllowMethods, string AllowHeaders, string ExposeHeaders, string MaxAge,
        bool? AllowCredentials, bool? AllowPrivateNetworkAccess, Percentage FilterEnabled, Percentage ShadowEnabled, bool? ForwardNotMatchingPreflights)
    {
        public static Level From(FilterCors cors, string where) => new(
            Origins(cors.AllowOriginStringMatch, where), cors.AllowMethods, cors.AllowHeaders, cors.ExposeHeaders, MaxAgeOf(cors.MaxAge, where),
            cors.AllowCredentials, cors.AllowPrivateNetworkAccess, Enabled(cors.FilterEnabled), Shadow(cors.ShadowEnabled), cors.ForwardNotMatchingPreflights);

        public static Level From(RouteCors cors, string where) => new(
            Origins(cors.AllowOriginStringMatch, where), cors.AllowMethods, cors.AllowHeaders, cors.ExposeHeaders, MaxAgeOf(cors.MaxAge, where),
            cors.AllowCredentials, cors.AllowPrivateNetworkAccess, Enabled(cors.FilterEnabled), Shadow(cors.ShadowEnabled), cors.ForwardNotMatchingPreflights);

        private static StringMatch[] Origins(IEnumerable<StringMatcher> matchers, string where) =>
            matchers.Select(m => StringMatch.Compile(m, $"{where}: cors allow_origin_string_match")).ToArray();

        private static Percentage Enabled(RuntimeFractionalPercent? percent) => Percentage.From(percent, Percentage.Always);

        private static Percentage Shadow(RuntimeFractionalPercent? percent) => Percentage.From(percent, Percentage.Never);

        private static string MaxAgeOf(string maxAge, string where) =>
            maxAge.Length == 0 || maxAge.All(char.IsAsciiDigit) ? maxAge : throw new ProxyConfigException($"{where}: cors max_age \"{maxAge}\" must be a number of seconds");
    }
}
