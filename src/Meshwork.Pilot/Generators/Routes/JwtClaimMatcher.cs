using Envoy.Type.Matcher.V3;
using Meshwork.Config.Networking;

namespace Meshwork.Pilot.Generators.Routes;

/// <summary>
/// Routing on JWT claims (<c>@request.auth.claims.group</c> or <c>@request.auth.claims[a][b]</c> as a
/// header name), after Istio's translateMetadataMatch: a dynamic-metadata matcher on the payload the
/// jwt_authn filter stores, whose value list must contain a matching string. Without that filter's
/// metadata the route simply does not match, which is the safe reading.
/// </summary>
internal static class JwtClaimMatcher
{
    private const string ClaimPrefix = "@request.auth.claims";
    private const string JwtFilter = "envoy.filters.http.jwt_authn";
    private const string PayloadKey = "payload";

    public static MetadataMatcher? Translate(string headerName, StringMatch? value, bool invert)
    {
        var claims = Claims(headerName);
        if (claims == null)
        {
            return null;
        }

        var matcher = new MetadataMatcher { Filter = JwtFilter, Invert = invert };
        matcher.Path.Add(new MetadataMatcher.Types.PathSegment { Key = PayloadKey });
        foreach (var claim in claims)
        {
            matcher.Path.Add(new MetadataMatcher.Types.PathSegment { Key = claim });
        }

        var expected = RouteMatchTranslator.IsPresenceMatch(value)
            ? new StringMatcher { SafeRegex = RouteMatchTranslator.Regex(".+") }
            : RouteMatchTranslator.StringMatcher(value!);
        matcher.Value = new ValueMatcher { ListMatch = new ListMatcher { OneOf = new ValueMatcher { StringMatch = expected } } };
        return matcher;
    }

    /// <summary>Istio's ToRoutingClaim: <c>.a.b</c> or <c>[a][b]</c> after the prefix; anything else is not a claim.</summary>
    private static IReadOnlyList<string>? Claims(string name)
    {
        if (!name.StartsWith(ClaimPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = name[ClaimPrefix.Length..];
        if (rest.StartsWith('.'))
        {
            var parts = rest[1..].Split('.');
            return parts.Any(p => p.Length == 0) ? null : parts;
        }

        if (rest.StartsWith('[') && rest.EndsWith(']'))
        {
            var parts = rest[1..^1].Split("][");
            return parts.Any(p => p.Length == 0 || p.Contains('[') || p.Contains(']')) ? null : parts;
        }

        return null;
    }
}
