using Meshwork.Proxy.Routing;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class RouteConditionsTests
{
    private static bool Matches(string matchJson, string url, string method = "GET", params (string, string)[] headers) =>
        Routes($$"""[{ "name": "r", "match": {{matchJson}}, "route": { "cluster": "c" } }]""").Match(Request(url, method, headers), 0.5) != null;

    [Theory]
    [InlineData("""{ "prefix": "/api" }""", "http://h/api/v1", true)]
    [InlineData("""{ "prefix": "/api" }""", "http://h/API/v1", false)]
    [InlineData("""{ "prefix": "/api", "caseSensitive": false }""", "http://h/API/v1", true)]
    [InlineData("""{ "path": "/exact" }""", "http://h/exact?q=1", true)]
    [InlineData("""{ "path": "/exact" }""", "http://h/exact/more", false)]
    [InlineData("""{ "path": "/exact", "caseSensitive": false }""", "http://h/EXACT", true)]
    [InlineData("""{ "safeRegex": { "regex": "/v[0-9]+/items" } }""", "http://h/v12/items?x=1", true)]
    [InlineData("""{ "safeRegex": { "regex": "/v[0-9]+" } }""", "http://h/v12/items", false)]
    [InlineData("""{ "pathSeparatedPrefix": "/api" }""", "http://h/api", true)]
    [InlineData("""{ "pathSeparatedPrefix": "/api" }""", "http://h/api/x", true)]
    [InlineData("""{ "pathSeparatedPrefix": "/api" }""", "http://h/apix", false)]
    public void Match_PathSpecifier_FollowsEnvoy(string match, string url, bool expected)
    {
        Assert.Equal(expected, Matches(match, url));
    }

    [Theory]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "Abc" } }""", "Abc", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "Abc" } }""", "abc", false)]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "Abc", "ignoreCase": true } }""", "aBC", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "prefix": "ab" } }""", "abc", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "suffix": "bc" } }""", "abc", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "contains": "B", "ignoreCase": true } }""", "abc", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "safeRegex": { "regex": "[a-c]+" } } }""", "abc", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "safeRegex": { "regex": "[a-b]+" } } }""", "abc", false)]
    [InlineData("""{ "name": "x", "exactMatch": "abc" }""", "abc", true)]
    [InlineData("""{ "name": "x", "prefixMatch": "z" }""", "abc", false)]
    [InlineData("""{ "name": "x", "rangeMatch": { "start": 10, "end": 20 } }""", "10", true)]
    [InlineData("""{ "name": "x", "rangeMatch": { "start": 10, "end": 20 } }""", "20", false)]
    [InlineData("""{ "name": "x", "rangeMatch": { "start": -5, "end": 0 } }""", "-5", true)]
    [InlineData("""{ "name": "x", "rangeMatch": { "start": 10, "end": 20 } }""", "abc", false)]
    [InlineData("""{ "name": "x", "presentMatch": true }""", "", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "abc" }, "invertMatch": true }""", "abc", false)]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "abc" }, "invertMatch": true }""", "xyz", true)]
    public void Match_HeaderMatcher_OnPresentHeader(string matcher, string value, bool expected)
    {
        Assert.Equal(expected, Matches($$"""{ "prefix": "/", "headers": [{{matcher}}] }""", "http://h/", "GET", ("x", value)));
    }

    [Theory]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "" } }""", false)]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "" }, "treatMissingHeaderAsEmpty": true }""", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "abc" }, "invertMatch": true }""", true)]
    [InlineData("""{ "name": "x", "presentMatch": true }""", false)]
    [InlineData("""{ "name": "x", "presentMatch": false }""", true)]
    [InlineData("""{ "name": "x", "presentMatch": true, "invertMatch": true }""", true)]
    [InlineData("""{ "name": "x", "stringMatch": { "exact": "old" }, "invertMatch": true, "treatMissingHeaderAsEmpty": true }""", true)]
    public void Match_HeaderMatcher_OnMissingHeader(string matcher, bool expected)
    {
        Assert.Equal(expected, Matches($$"""{ "prefix": "/", "headers": [{{matcher}}] }""", "http://h/"));
    }

    [Fact]
    public void Match_HeaderWithSeveralValues_SeesThemJoinedByComma()
    {
        var match = """{ "prefix": "/", "headers": [{ "name": "x", "stringMatch": { "exact": "a,b" } }] }""";

        Assert.True(Matches(match, "http://h/", "GET", ("x", "a"), ("x", "b")));
    }

    [Theory]
    [InlineData(":method", "POST", true)]
    [InlineData(":method", "GET", false)]
    [InlineData(":authority", "svc:8080", true)]
    [InlineData("host", "svc:8080", true)]
    [InlineData(":path", "/p?q=1", true)]
    [InlineData(":scheme", "https", true)]
    public void Match_PseudoHeader_ReadsRequestProperties(string name, string value, bool expected)
    {
        var match = $$"""{ "prefix": "/", "headers": [{ "name": "{{name}}", "stringMatch": { "exact": "{{value}}" } }] }""";

        Assert.Equal(expected, Matches(match, "https://svc:8080/p?q=1", "POST"));
    }

    [Theory]
    [InlineData("http://h/?debug", true)]
    [InlineData("http://h/?page=1", false)]
    public void Match_QueryPresentMatch_NeedsParameter(string url, bool expected)
    {
        Assert.Equal(expected, Matches("""{ "prefix": "/", "queryParameters": [{ "name": "debug", "presentMatch": true }] }""", url));
    }

    [Theory]
    [InlineData("http://h/?page=12", true)]
    [InlineData("http://h/?page=1a", false)]
    [InlineData("http://h/?page=3&page=x", true)]
    public void Match_QueryStringMatch_TestsFirstValue(string url, bool expected)
    {
        Assert.Equal(expected, Matches("""{ "prefix": "/", "queryParameters": [{ "name": "page", "stringMatch": { "safeRegex": { "regex": "[0-9]+" } } }] }""", url));
    }

    [Fact]
    public void Match_RuntimeFraction_UsesTheRandomValue()
    {
        var table = Routes("""
            [{ "name": "canary", "match": { "prefix": "/", "runtimeFraction": { "defaultValue": { "numerator": 25 } } }, "route": { "cluster": "canary" } },
             { "name": "rest", "match": { "prefix": "/" }, "route": { "cluster": "stable" } }]
            """);

        Assert.Equal("canary", table.Match(Request("http://h/"), 0.2499)!.Value.Route.Name);
        Assert.Equal("rest", table.Match(Request("http://h/"), 0.25)!.Value.Route.Name);
    }

    [Fact]
    public void Match_WithoutRandomValue_DrawsFromTheInjectedSource()
    {
        var config = Table("""{ "name": "t", "virtualHosts": [{ "name": "v", "domains": ["*"], "routes": [{ "match": { "prefix": "/", "runtimeFraction": { "defaultValue": { "numerator": 50 } } }, "route": { "cluster": "half" } }] }] }""");

        Assert.NotNull(RouteTable.Compile(config, () => 0.49).Match(Request("http://h/")));
        Assert.Null(RouteTable.Compile(config, () => 0.5).Match(Request("http://h/")));
    }

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/json", false)]
    public void Match_GrpcOption_NeedsGrpcContentType(string contentType, bool expected)
    {
        Assert.Equal(expected, Matches("""{ "prefix": "/", "grpc": {} }""", "http://h/", "POST", ("content-type", contentType)));
    }

    [Fact]
    public void Match_JwtClaimMetadata_NeverMatchesAndInvertedAlwaysDoes()
    {
        const string claim = """{ "filter": "envoy.filters.http.jwt_authn", "path": [{ "key": "payload" }, { "key": "group" }], "value": { "listMatch": { "oneOf": { "stringMatch": { "exact": "admin" } } } } }""";
        var inverted = claim.Replace("\"filter\"", "\"invert\": true, \"filter\"", StringComparison.Ordinal);

        Assert.False(Matches($$"""{ "prefix": "/", "dynamicMetadata": [{{claim}}] }""", "http://h/"));
        Assert.True(Matches($$"""{ "prefix": "/", "dynamicMetadata": [{{inverted}}] }""", "http://h/"));
    }

    [Fact]
    public void Match_SeveralRoutes_FirstMatchWins()
    {
        var table = Routes("""
            [{ "name": "first", "match": { "prefix": "/a" }, "route": { "cluster": "1" } },
             { "name": "second", "match": { "prefix": "/a/b" }, "route": { "cluster": "2" } }]
            """);

        Assert.Equal("first", table.Match(Request("http://h/a/b"))!.Value.Route.Name);
    }

    [Fact]
    public void Compile_InvalidRegex_NamesRouteAndRegex()
    {
        var error = Assert.Throws<ProxyConfigException>(() => Routes("""[{ "name": "r1", "match": { "safeRegex": { "regex": "(" } }, "route": { "cluster": "c" } }]"""));

        Assert.StartsWith("route_configuration \"test\": virtual_host \"vh\": route \"r1\": safe_regex \"(\": invalid regex", error.Message);
    }

    [Fact]
    public void Compile_BackreferenceRe2Refuses_Throws()
    {
        Assert.Throws<ProxyConfigException>(() => Routes("""[{ "name": "r1", "match": { "safeRegex": { "regex": "(a)\\1" } }, "route": { "cluster": "c" } }]"""));
    }

    [Theory]
    [InlineData("""{ "connectMatcher": {} }""")]
    [InlineData("""{ "prefix": "/", "tlsContext": { "presented": true } }""")]
    [InlineData("""{ "pathSeparatedPrefix": "/api/" }""")]
    [InlineData("""{ "prefix": "/", "headers": [{ "name": "x", "stringMatch": { "prefix": "" } }] }""")]
    public void Compile_UnsupportedOrInvalidMatch_Throws(string match)
    {
        Assert.Throws<ProxyConfigException>(() => Routes($$"""[{ "name": "r", "match": {{match}}, "route": { "cluster": "c" } }]"""));
    }
}
