using System.Text.RegularExpressions;
using Envoy.Config.Core.V3;
using Envoy.Config.Rbac.V3;
using Envoy.Config.Route.V3;
using Envoy.Type.Matcher.V3;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Generators.Routes;

namespace Meshwork.Pilot.Generators.Authorization;

/// <summary>
/// Istio's authz matchers (pilot/pkg/security/authz/matcher and model/generator.go): how one value of
/// an AuthorizationPolicy field becomes an RBAC permission or principal. Values take Istio's
/// wildcards: <c>*</c> alone (any, present), <c>x*</c> (prefix), <c>*x</c> (suffix), else exact.
/// </summary>
internal static class RbacMatchers
{
    /// <summary>The dynamic metadata namespace Istio's authn filter fills from a validated JWT.</summary>
    public const string AuthnFilter = "istio_authn";

    private const string SpiffePrefix = "spiffe://";

    /// <summary>Istio's StringMatcher: <c>*</c> is the regex <c>.+</c> (any non-empty value).</summary>
    public static StringMatcher String(string value, bool ignoreCase = false)
    {
        if (value == "*")
        {
            return new StringMatcher { SafeRegex = RouteMatchTranslator.Regex(".+") };
        }

        if (value.StartsWith('*'))
        {
            return new StringMatcher { Suffix = value[1..], IgnoreCase = ignoreCase };
        }

        return value.EndsWith('*')
            ? new StringMatcher { Prefix = value[..^1], IgnoreCase = ignoreCase }
            : new StringMatcher { Exact = value, IgnoreCase = ignoreCase };
    }

    /// <summary>A peer identity (<c>cluster.local/ns/a/sa/b</c>) as the SPIFFE URI SAN of its certificate.</summary>
    public static Principal PeerPrincipal(string value)
    {
        StringMatcher name;
        if (value == "*")
        {
            name = new StringMatcher { SafeRegex = RouteMatchTranslator.Regex(".+") };
        }
        else if (value.StartsWith('*'))
        {
            name = new StringMatcher { SafeRegex = RouteMatchTranslator.Regex(SpiffePrefix + ".*" + Regex.Escape(value[1..])) };
        }
        else if (value.EndsWith('*'))
        {
            name = new StringMatcher { Prefix = SpiffePrefix + value[..^1] };
        }
        else
        {
            name = new StringMatcher { Exact = SpiffePrefix + value };
        }

        return Authenticated(name);
    }

    /// <summary>A namespace as the <c>/ns/NAME/</c> segment of the peer's SPIFFE identity; <c>*</c> inside stands for any text.</summary>
    public static Principal Namespace(string value)
    {
        var pattern = string.Join(".*", value.Split('*').Select(Regex.Escape));
        return Authenticated(new StringMatcher { SafeRegex = RouteMatchTranslator.Regex($".*/ns/{pattern}/.*") });
    }

    public static Principal DirectRemoteIp(string cidr) => new() { DirectRemoteIp = Cidr(cidr) };

    public static Principal RemoteIp(string cidr) => new() { RemoteIp = Cidr(cidr) };

    /// <summary><c>request.auth.principal</c>, <c>audiences</c>, <c>presenter</c>: a string in the authn metadata.</summary>
    public static Principal AuthnValue(string key, string value) => new()
    {
        Metadata = new MetadataMatcher
        {
            Filter = AuthnFilter,
            Path = { new MetadataMatcher.Types.PathSegment { Key = key } },
            Value = new ValueMatcher { StringMatch = String(value) },
        },
    };

    /// <summary><c>request.auth.claims[a][b]</c>: the claim's value list must hold a matching string.</summary>
    public static Principal Claim(IReadOnlyList<string> claim, string value)
    {
        var matcher = new MetadataMatcher
        {
            Filter = AuthnFilter,
            Path = { new MetadataMatcher.Types.PathSegment { Key = "request.auth.claims" } },
            Value = new ValueMatcher { ListMatch = new ListMatcher { OneOf = new ValueMatcher { StringMatch = String(value) } } },
        };
        matcher.Path.AddRange(claim.Select(c => new MetadataMatcher.Types.PathSegment { Key = c }));
        return new Principal { Metadata = matcher };
    }

    /// <summary><c>request.headers[NAME]</c>: <c>*</c> means the header is present.</summary>
    public static Principal Header(string name, string value) => new() { Header = HeaderMatch(name, value, ignoreCase: false) };

    /// <summary>Operation.hosts: the authority, compared without case.</summary>
    public static Permission Host(string value) => new() { Header = HeaderMatch(":authority", value, ignoreCase: true) };

    public static Permission Method(string value) => new() { Header = HeaderMatch(":method", value, ignoreCase: false) };

    /// <summary>Operation.paths: the path without query (Envoy's url_path), <c>/a/*</c> as the prefix <c>/a/</c>.</summary>
    public static Permission Path(string value) => new() { UrlPath = new PathMatcher { Path = String(value) } };

    public static Permission Port(string value) => new() { DestinationPort = uint.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };

    public static Permission DestinationIp(string cidr) => new() { DestinationIp = Cidr(cidr) };

    public static Permission ServerName(string value) => new() { RequestedServerName = String(value) };

    /// <summary><c>experimental.envoy.filters.a.b[c]</c>: the string at key c of filter a.b's dynamic metadata.</summary>
    public static Permission FilterMetadata(string filter, IReadOnlyList<string> path, string value)
    {
        var matcher = new MetadataMatcher { Filter = filter, Value = new ValueMatcher { StringMatch = String(value) } };
        matcher.Path.AddRange(path.Select(p => new MetadataMatcher.Types.PathSegment { Key = p }));
        return new Permission { Metadata = matcher };
    }

    private static Principal Authenticated(StringMatcher name) =>
        new() { Authenticated = new Principal.Types.Authenticated { PrincipalName = name } };

    private static HeaderMatcher HeaderMatch(string name, string value, bool ignoreCase)
    {
        if (value == "*")
        {
            return new HeaderMatcher { Name = name, PresentMatch = true };
        }

        if (ignoreCase)
        {
            return new HeaderMatcher { Name = name, StringMatch = String(value, ignoreCase: true) };
        }

        if (value.StartsWith('*'))
        {
            return new HeaderMatcher { Name = name, SuffixMatch = value[1..] };
        }

        return value.EndsWith('*')
            ? new HeaderMatcher { Name = name, PrefixMatch = value[..^1] }
            : new HeaderMatcher { Name = name, ExactMatch = value };
    }

    /// <summary>Validation has accepted the value as an IP or CIDR, so a parse failure cannot happen here.</summary>
    private static CidrRange Cidr(string value) =>
        NetworkFilters.Cidr(value) ?? throw new InvalidOperationException($"not an IP or CIDR: {value}");
}
