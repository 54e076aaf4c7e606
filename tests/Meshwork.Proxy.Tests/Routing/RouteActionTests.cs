using Meshwork.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class RouteActionTests
{
    private static CompiledRoute Route(string routeJson, string extraHostJson = "", string extraTableJson = "") =>
        Routes($"[{routeJson}]", extraHostJson, extraTableJson).VirtualHosts[0].Routes[0];

    private const string Weighted = """
        { "name": "w", "match": { "prefix": "/" }, "route": { "weightedClusters": { "clusters": [
          { "name": "a", "weight": 80, "requestHeadersToAdd": [{ "header": { "key": "x-subset", "value": "a" } }], "hostRewriteLiteral": "a.internal" },
          { "name": "never", "weight": 0 },
          { "name": "b", "weight": 20 } ] } } }
        """;

    [Theory]
    [InlineData(0.0, "a")]
    [InlineData(0.7999, "a")]
    [InlineData(0.8, "b")]
    [InlineData(0.9999, "b")]
    public void PickCluster_WeightBands_FollowCumulativeWeights(double random, string expected)
    {
        Assert.Equal(expected, Route(Weighted).PickCluster(random).Name);
    }

    [Fact]
    public void PickCluster_SeededSequence_SplitsByWeightAndSkipsZero()
    {
        var route = Route(Weighted);
        var random = new Random(7);
        var counts = new Dictionary<string, int> { ["a"] = 0, ["b"] = 0, ["never"] = 0 };
        for (var i = 0; i < 20_000; i++)
        {
            counts[route.PickCluster(random.NextDouble()).Name]++;
        }

        Assert.InRange(counts["a"], 15_700, 16_300);
        Assert.Equal(0, counts["never"]);
    }

    [Fact]
    public void PickCluster_HeaderNameSet_UsesHeaderValueModuloTotal()
    {
        var route = Route("""{ "match": { "prefix": "/" }, "route": { "weightedClusters": { "headerName": "x-rand", "clusters": [{ "name": "a", "weight": 1 }, { "name": "b", "weight": 1 }] } } }""");

        Assert.Equal("b", route.PickCluster(Request("http://h/", headers: ("x-rand", "3")), 0)!.Name);
        Assert.Equal("a", route.PickCluster(Request("http://h/", headers: ("x-rand", "4")), 0.99)!.Name);
        Assert.Equal("b", route.PickCluster(Request("http://h/"), 0.99)!.Name);
    }

    [Fact]
    public void Compile_WeightsSumToZero_Throws()
    {
        var error = Assert.Throws<ProxyConfigException>(() => Route("""{ "name": "z", "match": { "prefix": "/" }, "route": { "weightedClusters": { "clusters": [{ "name": "a", "weight": 0 }] } } }"""));

        Assert.Contains("route \"z\": sum of weights", error.Message);
    }

    [Fact]
    public void PickCluster_ClusterHeader_NamesClusterOrNothing()
    {
        var route = Route("""{ "match": { "prefix": "/" }, "route": { "clusterHeader": "x-cluster", "clusterNotFoundResponseCode": "NOT_FOUND" } }""");

        Assert.Equal("picked", route.PickCluster(Request("http://h/", headers: ("x-cluster", "picked")), 0)!.Name);
        Assert.Null(route.PickCluster(Request("http://h/"), 0));
        Assert.Equal(404, route.ClusterNotFoundStatus);
    }

    [Theory]
    [InlineData("""{ "httpsRedirect": true }""", "http://h.com:80/p?q=1", "https://h.com/p?q=1")]
    [InlineData("""{ "httpsRedirect": true }""", "http://h.com:8080/p", "https://h.com:8080/p")]
    [InlineData("""{ "schemeRedirect": "http" }""", "https://h.com:443/p", "http://h.com/p")]
    [InlineData("""{ "portRedirect": 9000 }""", "http://h.com:8080/p", "http://h.com:9000/p")]
    [InlineData("""{ "hostRedirect": "new.com", "stripQuery": true }""", "http://h.com/p?q=1", "http://new.com/p")]
    [InlineData("""{ "pathRedirect": "/n" }""", "http://h.com/old?q=1", "http://h.com/n?q=1")]
    [InlineData("""{ "pathRedirect": "/n?own=1", "stripQuery": true }""", "http://h.com/old?q=1", "http://h.com/n?own=1")]
    [InlineData("""{ "prefixRewrite": "/new/" }""", "http://h.com/old/x?q=1", "http://h.com/new/x?q=1")]
    [InlineData("""{ "regexRewrite": { "pattern": { "regex": "^/old/([a-z]+)$" }, "substitution": "/v2/\\1" } }""", "http://h.com/old/abc", "http://h.com/v2/abc")]
    public void BuildRedirectLocation_RedirectAction_FollowsEnvoysNewUri(string redirect, string url, string expected)
    {
        var route = Route($$"""{ "match": { "prefix": "/" }, "redirect": {{redirect}} }""".Replace("\"prefix\": \"/\"", url.Contains("/old/", StringComparison.Ordinal) ? "\"prefix\": \"/old/\"" : "\"prefix\": \"/\"", StringComparison.Ordinal));

        Assert.Equal(expected, route.BuildRedirectLocation(Request(url)));
        Assert.Equal(301, route.Redirect!.StatusCode);
    }

    [Theory]
    [InlineData("FOUND", 302)]
    [InlineData("SEE_OTHER", 303)]
    [InlineData("TEMPORARY_REDIRECT", 307)]
    [InlineData("PERMANENT_REDIRECT", 308)]
    public void Compile_RedirectResponseCode_MapsToStatus(string code, int status)
    {
        Assert.Equal(status, Route($$"""{ "match": { "prefix": "/" }, "redirect": { "responseCode": "{{code}}" } }""").Redirect!.StatusCode);
    }

    [Fact]
    public void RewriteRequest_PrefixRewriteOnPrefixRoute_ReplacesMatchedPrefixOnly()
    {
        var route = Route("""{ "match": { "prefix": "/api/" }, "route": { "cluster": "c", "prefixRewrite": "/" } }""");

        Assert.Equal("/v1/items?x=1", route.RewriteRequest(Request("http://h/api/v1/items?x=1")).PathAndQuery);
    }

    [Fact]
    public void RewriteRequest_PrefixRewriteOnExactRoute_ReplacesWholePath()
    {
        var route = Route("""{ "match": { "path": "/health" }, "route": { "cluster": "c", "prefixRewrite": "/status" } }""");

        Assert.Equal("/status", route.RewriteRequest(Request("http://h/health")).PathAndQuery);
    }

    [Fact]
    public void RewriteRequest_RegexRewrite_SubstitutesGroupsAndKeepsQuery()
    {
        var route = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c", "regexRewrite": { "pattern": { "regex": "^/service/([^/]+)(/.*)$" }, "substitution": "\\2/instance/\\1" } } }""");

        Assert.Equal("/v1/api/instance/foo?a=b", route.RewriteRequest(Request("http://h/service/foo/v1/api?a=b")).PathAndQuery);
    }

    [Fact]
    public void RewriteRequest_NoRewrite_LeavesBothUnchanged()
    {
        Assert.Equal(default, Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c" } }""").RewriteRequest(Request("http://h/x")));
    }

    [Fact]
    public void RewriteRequest_HostRewrites_RouteWinsOverWeightedCluster()
    {
        var literal = Route(Weighted.Replace("\"weightedClusters\"", "\"hostRewriteLiteral\": \"route.internal\", \"weightedClusters\"", StringComparison.Ordinal));
        var plain = Route(Weighted);
        var fromHeader = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c", "hostRewriteHeader": "x-host" } }""");
        var fromPath = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c", "hostRewritePathRegex": { "pattern": { "regex": "^/([^/]+)/.*$" }, "substitution": "\\1.svc" } } }""");
        var auto = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c", "autoHostRewrite": true } }""");

        Assert.Equal("route.internal", literal.RewriteRequest(Request("http://h/"), literal.PickCluster(0)).Authority);
        Assert.Equal("a.internal", plain.RewriteRequest(Request("http://h/"), plain.PickCluster(0)).Authority);
        Assert.Equal("from-header", fromHeader.RewriteRequest(Request("http://h/", headers: ("x-host", "from-header"))).Authority);
        Assert.Equal("reviews.svc", fromPath.RewriteRequest(Request("http://h/reviews/1")).Authority);
        Assert.Equal(HostRewriteKind.Auto, auto.HostRewrite);
    }

    [Fact]
    public void Compile_Timeouts_DefaultToFifteenSecondsAndZeroMeansNone()
    {
        var unset = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c" } }""");
        var zero = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c", "timeout": "0s", "idleTimeout": "30s", "maxStreamDuration": { "grpcTimeoutHeaderMax": "0s", "maxStreamDuration": "5s" } } }""");

        Assert.Equal(TimeSpan.FromSeconds(15), unset.Timeouts.Timeout);
        Assert.Null(unset.Timeouts.GrpcTimeoutHeaderMax);
        Assert.Null(zero.Timeouts.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), zero.Timeouts.IdleTimeout);
        Assert.Equal(TimeSpan.Zero, zero.Timeouts.GrpcTimeoutHeaderMax);
        Assert.Equal(TimeSpan.FromSeconds(5), zero.Timeouts.MaxStreamDuration);
    }

    [Fact]
    public void Compile_DirectResponse_PrecomputesBodyAndEnforcesMaxSize()
    {
        var route = Route("""{ "match": { "prefix": "/" }, "directResponse": { "status": 200, "body": { "inlineBytes": "aGk=" } } }""");
        var tooBig = """{ "match": { "prefix": "/" }, "directResponse": { "status": 200, "body": { "inlineString": "12345" } } }""";

        Assert.Equal("hi"u8.ToArray(), route.DirectResponse!.Body.ToArray());
        var error = Assert.Throws<ProxyConfigException>(() => Route(tooBig, extraTableJson: "\"maxDirectResponseBodySizeBytes\": 4,"));
        Assert.Contains("direct_response body is 5 bytes", error.Message);
    }

    [Fact]
    public void Compile_RouteWithoutAction_Throws()
    {
        Assert.Throws<ProxyConfigException>(() => Route("""{ "name": "none", "match": { "prefix": "/" } }"""));
    }

    [Fact]
    public void Compile_RetryAndMirrors_RouteLevelReplacesVirtualHostLevel()
    {
        const string host = """
            "retryPolicy": { "retryOn": "5xx", "numRetries": 7 },
            "requestMirrorPolicies": [{ "cluster": "vh-shadow" }],
            "includeRequestAttemptCount": true,
            """;
        var inherits = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c" } }""", host, """ "requestMirrorPolicies": [{ "cluster": "table-shadow" }], """);
        var own = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c", "retryPolicy": { "retryOn": "reset" }, "requestMirrorPolicies": [{ "cluster": "route-shadow" }] } }""", host);

        Assert.Equal(7, inherits.RetryPolicy!.NumRetries);
        Assert.Equal("vh-shadow", Assert.Single(inherits.Mirrors).Cluster);
        Assert.True(inherits.IncludeRequestAttemptCount);
        Assert.Equal((RetryOn.Reset, 1), (own.RetryPolicy!.RetryOn, own.RetryPolicy.NumRetries));
        Assert.Equal("route-shadow", Assert.Single(own.Mirrors).Cluster);
    }

    [Fact]
    public void Compile_MirrorWithoutFraction_MirrorsEverything()
    {
        var route = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c", "requestMirrorPolicies": [{ "cluster": "s" }, { "cluster": "t", "runtimeFraction": { "defaultValue": { "numerator": 0 } } }] } }""");

        Assert.True(route.Mirrors[0].ShouldMirror(0.99999));
        Assert.False(route.Mirrors[1].ShouldMirror(0));
    }

    [Fact]
    public void Compile_TableMirrorsWhenHostHasNone_AreInherited()
    {
        var route = Route("""{ "match": { "prefix": "/" }, "route": { "cluster": "c" } }""", extraTableJson: """ "requestMirrorPolicies": [{ "cluster": "table-shadow" }], """);

        Assert.Equal("table-shadow", Assert.Single(route.Mirrors).Cluster);
    }

    [Fact]
    public void Compile_NonForwardingAndDecorator_AreExposed()
    {
        var route = Route("""{ "name": "nf", "match": { "prefix": "/" }, "nonForwardingAction": {}, "decorator": { "operation": "op:80/*" } }""");

        Assert.Equal((RouteActionKind.NonForwarding, "op:80/*", "nf"), (route.Kind, route.Operation, route.Name));
    }
}
