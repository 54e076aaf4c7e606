using Meshwork.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

/// <summary>Every route table Pilot emits compiles, and requests sent through the goldens land where Istio says they should.</summary>
public class GoldenRouteTableTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var directory in Directory.GetDirectories(TestdataDirectory).Order(StringComparer.Ordinal))
        {
            if (File.Exists(Path.Combine(directory, "rds.json")) || File.Exists(Path.Combine(directory, "lds.json")))
            {
                data.Add(Path.GetFileName(directory));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Compile_EveryGoldenTable_Succeeds(string caseName)
    {
        var tables = GoldenTables(caseName).ToList();

        foreach (var table in tables)
        {
            var compiled = RouteTable.Compile(table);
            Assert.Equal(table.Name, compiled.Name);
            Assert.Equal(table.VirtualHosts.Count, compiled.VirtualHosts.Count);
        }
    }

    [Fact]
    public void Compile_GoldenCases_CoverRdsAndInlineTables()
    {
        Assert.Contains(GoldenTables("lds-registry-only"), t => t.Name == "inbound|9080||");
        Assert.True(Cases().Count >= 10);
    }

    [Fact]
    public void Match_FaultMirrorJasonToRatings_DelaysSevenSecondsAlways()
    {
        var table = GoldenTable("lds-vs-fault-mirror", "outbound");

        var result = table.Match(Request("http://ratings:9080/ratings/0", headers: ("end-user", "jason")));

        var route = Assert.NotNull(result).Route;
        Assert.Equal("delay-jason", route.Name);
        var fault = Assert.IsType<FaultPolicy>(route.Fault);
        Assert.Equal(TimeSpan.FromSeconds(7), fault.FixedDelay);
        Assert.True(fault.ShouldDelay(0.999999));
        Assert.False(fault.ShouldAbort(0));
        Assert.Equal("outbound|9080|v1|ratings.default.svc.cluster.local", route.Cluster);
    }

    [Fact]
    public void Match_FaultMirrorTester_AbortsAtTwelvePointFivePercent()
    {
        var route = GoldenTable("lds-vs-fault-mirror", "outbound")
            .Match(Request("http://ratings.default.svc.cluster.local/", headers: ("end-user", "tester")))!.Value.Route;

        var fault = route.Fault!;
        Assert.Equal("abort-test", route.Name);
        Assert.Equal(500, fault.AbortHttpStatus);
        Assert.True(fault.ShouldAbort(0.1249));
        Assert.False(fault.ShouldAbort(0.125));
        Assert.True(fault.ShouldDelay(0.49));
        Assert.False(fault.ShouldDelay(0.5));
    }

    [Fact]
    public void Match_FaultMirrorGrpc_AbortsWithUnavailable()
    {
        var route = GoldenTable("lds-vs-fault-mirror", "outbound")
            .Match(Request("http://ratings:9080/svc/Method", "POST", ("content-type", "application/grpc")))!.Value.Route;

        Assert.Equal("grpc-abort", route.Name);
        Assert.Equal(14, route.Fault!.AbortGrpcStatus);
        Assert.True(route.Fault.ShouldAbort(0.000999));
        Assert.False(route.Fault.ShouldAbort(0.001));
    }

    [Fact]
    public void Match_FaultMirrorCatchAll_MirrorsToDetailsAndFivePointFivePercentToReviews()
    {
        var route = GoldenTable("lds-vs-fault-mirror", "outbound").Match(Request("http://ratings:9080/ratings"))!.Value.Route;

        Assert.Collection(
            route.Mirrors,
            all => Assert.Equal(("outbound|9080||details.default.svc.cluster.local", 1.0), (all.Cluster, all.Fraction.Fraction)),
            some =>
            {
                Assert.Equal("outbound|9080|v3|reviews.default.svc.cluster.local", some.Cluster);
                Assert.True(some.ShouldMirror(0.0549));
                Assert.False(some.ShouldMirror(0.055));
            });
        Assert.Null(route.Fault);
    }

    [Fact]
    public void Match_MatchesGoldenJasonWithAllHeaders_RoutesToV2()
    {
        var table = GoldenTable("lds-vs-matches", "outbound");
        var headers = new[] { ("end-user", "jason"), ("x-canary", "yes-please"), ("x-present", ""), ("x-trace", "abc123") };

        var matched = table.Match(Request("http://reviews:9080/", headers: headers))!.Value.Route;
        var debugging = table.Match(Request("http://reviews:9080/", headers: [.. headers, ("x-debug", "1")]))!.Value.Route;
        var oldVersion = table.Match(Request("http://reviews:9080/", headers: [.. headers, ("x-version", "old")]))!.Value.Route;

        Assert.Equal("jason.by-header", matched.Name);
        Assert.Equal("outbound|9080|v2|reviews.default.svc.cluster.local", matched.Cluster);
        Assert.NotEqual("jason.by-header", debugging.Name);
        Assert.NotEqual("jason.by-header", oldVersion.Name);
    }

    [Fact]
    public void Match_MatchesGoldenApiQuery_IgnoresUriCaseAndNeedsQuery()
    {
        var table = GoldenTable("lds-vs-matches", "outbound");

        var api = table.Match(Request("http://reviews:9080/API/list?debug&page=12"))!.Value.Route;
        var noPage = table.Match(Request("http://reviews:9080/api/list?debug"))!.Value.Route;
        var regex = table.Match(Request("http://reviews:9080/v2/anything"))!.Value.Route;
        var health = table.Match(Request("https://reviews:9080/health"))!.Value.Route;

        Assert.Equal(("api", "outbound|9080|v3|reviews.default.svc.cluster.local"), (api.Name, api.Cluster));
        Assert.Equal("from-productpage", noPage.Name);
        Assert.Equal("api", regex.Name);
        Assert.Equal("api", health.Name);
    }

    [Fact]
    public void Match_RedirectGolden_BuildsLocations()
    {
        var table = GoldenTable("lds-vs-redirect-direct", "outbound");

        var moved = table.Match(Request("http://productpage:9080/old?x=1"))!.Value.Route;
        var https = table.Match(Request("http://productpage:9080/secure/page"))!.Value.Route;
        var prefix = table.Match(Request("http://productpage:9080/v1/items?id=3"))!.Value.Route;
        var teapot = table.Match(Request("http://productpage:9080/teapot"))!.Value.Route;

        Assert.Equal((302, "http://bookinfo.example.com/productpage?x=1"), (moved.Redirect!.StatusCode, moved.BuildRedirectLocation(Request("http://productpage:9080/old?x=1"))));
        Assert.Equal("https://productpage:9080/secure/page", https.BuildRedirectLocation(Request("http://productpage:9080/secure/page")));
        Assert.Equal("http://productpage:9080/v2/items?id=3", prefix.BuildRedirectLocation(Request("http://productpage:9080/v1/items?id=3")));
        Assert.Equal(RouteActionKind.DirectResponse, teapot.Kind);
        Assert.Equal(418, teapot.DirectResponse!.Status);
        Assert.Equal("I'm a teapot", System.Text.Encoding.UTF8.GetString(teapot.DirectResponse.Body.Span));
    }

    [Fact]
    public void Match_RewriteGolden_RewritesPathHostAndRetries()
    {
        var table = GoldenTable("lds-vs-rewrite-timeout-retries", "outbound");
        var prefixRequest = Request("http://ratings:9080/v1/ratings/7?x=1");
        var regexRequest = Request("http://ratings:9080/users/42/ratings?x=1");

        var prefix = table.Match(prefixRequest)!.Value.Route;
        var regex = table.Match(regexRequest)!.Value.Route;

        Assert.Equal(new RequestRewrite("/ratings/7?x=1", "ratings.internal"), prefix.RewriteRequest(prefixRequest));
        Assert.Equal(TimeSpan.FromSeconds(2), prefix.Timeouts.Timeout);
        Assert.Equal(3, prefix.RetryPolicy!.NumRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(500), prefix.RetryPolicy.PerTryTimeout);
        Assert.True(prefix.RetryPolicy.AvoidPreviousHosts);
        Assert.Equal("/ratings?user=42?x=1", regex.RewriteRequest(regexRequest).PathAndQuery);
        Assert.Equal(TimeSpan.FromMilliseconds(100), regex.RetryPolicy!.BackoffBase);
        Assert.Equal(TimeSpan.FromSeconds(1), regex.RetryPolicy.BackoffMax);
        Assert.True(regex.RetryPolicy.ShouldRetryStatus(429, null));
        Assert.Equal(2, regex.RetryPolicy.PreviousPrioritiesUpdateFrequency);
    }

    [Fact]
    public void Match_CorsHeadersGolden_AnswersPreflightAndEditsHeaders()
    {
        var route = GoldenTable("lds-vs-cors-headers", "outbound").Match(Request("http://details:9080/details/0"))!.Value.Route;
        var preflight = Request("http://details:9080/details/0", "OPTIONS", ("origin", "https://app.example.org"), ("access-control-request-method", "POST"));
        var forwarded = Request("http://details:9080/details/0", "GET", ("x-legacy", "1"), ("x-trace-tag", "client"));

        Assert.True(route.Cors!.TryBuildPreflight(preflight, preflight.HttpContext.Response));
        route.ApplyRequestHeaders(forwarded);

        Assert.Equal(200, preflight.HttpContext.Response.StatusCode);
        Assert.Equal("https://app.example.org", preflight.HttpContext.Response.Headers.AccessControlAllowOrigin);
        Assert.Equal("GET,POST", preflight.HttpContext.Response.Headers.AccessControlAllowMethods);
        Assert.Equal("86400", preflight.HttpContext.Response.Headers.AccessControlMaxAge);
        Assert.False(forwarded.Headers.ContainsKey("x-legacy"));
        Assert.Equal("bookinfo", forwarded.Headers["x-forwarded-app"]);
        Assert.Equal("client,details", forwarded.Headers["x-trace-tag"].ToString());
    }

    [Fact]
    public void Match_WeightsGolden_SplitsEightyTwentyAndHashesOnUser()
    {
        var route = GoldenTable("lds-vs-weights", "outbound").Match(Request("http://reviews:9080/"))!.Value.Route;
        var random = new Random(42);
        var v1 = 0;
        for (var i = 0; i < 10_000; i++)
        {
            v1 += route.PickCluster(random.NextDouble()).Name.Contains("|v1|", StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.InRange(v1, 7800, 8200);
        var hash = route.HashPolicy!.ComputeHash(Request("http://reviews:9080/", headers: ("x-user", "alice")), null, out var cookie);
        Assert.NotNull(hash);
        Assert.NotNull(cookie);
    }

    [Fact]
    public void Match_GatewayPlainHttpToTlsHost_RedirectsToHttps()
    {
        var table = GoldenTable("lds-gateway", "http.80");

        var result = table.Match(Request("http://bookinfo.example.com/productpage"))!.Value;

        Assert.Equal(RouteActionKind.Redirect, result.Route.Kind);
        Assert.Equal(301, result.Route.Redirect!.StatusCode);
        Assert.Equal("https://bookinfo.example.com/productpage", result.Route.BuildRedirectLocation(Request("http://bookinfo.example.com/productpage")));
        Assert.Equal("outbound|9080||productpage.default.svc.cluster.local",
            table.Match(Request("http://bookinfo.example.com/productpage", headers: ("x-forwarded-proto", "https")))!.Value.Route.Cluster);
    }

    [Fact]
    public void Match_GatewayIgnoresPortInHost_FindsVirtualHost()
    {
        var table = GoldenTable("lds-gateway", "https.443.https.bookinfo-gateway.default");

        var result = table.Match(Request("https://BookInfo.Example.com:443/reviews/1"));

        Assert.Equal("outbound|9080||reviews.default.svc.cluster.local", Assert.NotNull(result).Route.Cluster);
    }

    [Fact]
    public void Match_RegistryOnlyUnknownHost_GetsBlockAll502()
    {
        var table = GoldenTable("lds-registry-only", "outbound");

        var route = table.Match(Request("http://unknown.example.com/"))!.Value.Route;

        Assert.Equal(RouteActionKind.DirectResponse, route.Kind);
        Assert.Equal(StatusCodes.Status502BadGateway, route.DirectResponse!.Status);
        Assert.True(route.IncludeRequestAttemptCount);
    }
}
