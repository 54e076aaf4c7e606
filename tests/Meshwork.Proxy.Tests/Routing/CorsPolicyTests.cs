using Meshwork.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class CorsPolicyTests
{
    private const string CorsType = "type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy";

    private static CorsPolicy Cors(string corsJson, string hostJson = "") =>
        Routes($$"""[{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "typedPerFilterConfig": { "envoy.filters.http.cors": { "@type": "{{CorsType}}", {{corsJson}} } } }]""", hostJson)
            .VirtualHosts[0].Routes[0].Cors!;

    private const string Policy = """
        "allowOriginStringMatch": [{ "exact": "https://app.example.com" }, { "suffix": ".example.org" }],
        "allowMethods": "GET,POST", "allowHeaders": "content-type", "exposeHeaders": "x-request-id", "maxAge": "600", "allowCredentials": true
        """;

    private static HttpRequest Preflight(string origin) =>
        Request("http://h/", "OPTIONS", ("origin", origin), ("access-control-request-method", "POST"));

    [Fact]
    public void TryBuildPreflight_AllowedOrigin_AnswersWithAccessControlHeaders()
    {
        var request = Preflight("https://a.example.org");
        var response = request.HttpContext.Response;

        Assert.True(Cors(Policy).TryBuildPreflight(request, response));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("https://a.example.org", response.Headers.AccessControlAllowOrigin);
        Assert.Equal("true", response.Headers.AccessControlAllowCredentials);
        Assert.Equal("GET,POST", response.Headers.AccessControlAllowMethods);
        Assert.Equal("content-type", response.Headers.AccessControlAllowHeaders);
        Assert.Equal("600", response.Headers.AccessControlMaxAge);
    }

    [Fact]
    public void TryBuildPreflight_DeniedOrigin_ForwardsByDefault()
    {
        var request = Preflight("https://evil.com");

        Assert.False(Cors(Policy).TryBuildPreflight(request, request.HttpContext.Response));
        Assert.False(request.HttpContext.Response.Headers.ContainsKey("access-control-allow-origin"));
    }

    [Fact]
    public void TryBuildPreflight_DeniedOriginWithoutForwarding_Answers200WithoutAllowOrigin()
    {
        var request = Preflight("https://evil.com");
        var response = request.HttpContext.Response;

        Assert.True(Cors(Policy + ", \"forwardNotMatchingPreflights\": false").TryBuildPreflight(request, response));
        Assert.Equal(200, response.StatusCode);
        Assert.False(response.Headers.ContainsKey("access-control-allow-origin"));
        Assert.Equal("GET,POST", response.Headers.AccessControlAllowMethods);
    }

    [Fact]
    public void TryBuildPreflight_StarMethodsAndHeaders_EchoTheRequest()
    {
        var request = Request("http://h/", "OPTIONS", ("origin", "https://app.example.com"), ("access-control-request-method", "PATCH"), ("access-control-request-headers", "x-a,x-b"));
        var response = request.HttpContext.Response;

        Cors(""" "allowOriginStringMatch": [{ "exact": "https://app.example.com" }], "allowMethods": "*", "allowHeaders": "*" """).TryBuildPreflight(request, response);

        Assert.Equal("PATCH", response.Headers.AccessControlAllowMethods);
        Assert.Equal("x-a,x-b", response.Headers.AccessControlAllowHeaders);
    }

    [Fact]
    public void TryBuildPreflight_NotPreflightOrDisabled_DoesNothing()
    {
        var get = Request("http://h/", "GET", ("origin", "https://app.example.com"));
        var preflight = Preflight("https://app.example.com");

        Assert.False(CorsPolicy.IsPreflight(get));
        Assert.False(Cors(Policy).TryBuildPreflight(get, get.HttpContext.Response));
        Assert.False(Cors(Policy + ", \"filterEnabled\": { \"defaultValue\": { \"numerator\": 0 } }").TryBuildPreflight(preflight, preflight.HttpContext.Response));
    }

    [Fact]
    public void ApplyToResponse_AllowedOrigin_AddsOriginCredentialsAndExpose()
    {
        var request = Request("http://h/", "GET", ("origin", "https://app.example.com"));
        var response = request.HttpContext.Response;

        Cors(Policy).ApplyToResponse(request, response);

        Assert.Equal("https://app.example.com", response.Headers.AccessControlAllowOrigin);
        Assert.Equal("true", response.Headers.AccessControlAllowCredentials);
        Assert.Equal("x-request-id", response.Headers.AccessControlExposeHeaders);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://app.example.com.evil.com")]
    public void ApplyToResponse_MissingOrDeniedOrigin_AddsNothing(string? origin)
    {
        var request = origin == null ? Request("http://h/") : Request("http://h/", "GET", ("origin", origin));
        var response = request.HttpContext.Response;

        Cors(Policy).ApplyToResponse(request, response);

        Assert.Empty(response.Headers);
    }

    [Fact]
    public void IsOriginAllowed_MatcherThatMatchesStar_AllowsAnyOrigin()
    {
        Assert.True(Cors("""  "allowOriginStringMatch": [{ "exact": "*" }] """).IsOriginAllowed("https://anything.io"));
    }

    [Fact]
    public void Compile_RouteAndVirtualHostPolicies_MergeFieldByField()
    {
        const string host = $$""" "typedPerFilterConfig": { "envoy.filters.http.cors": { "@type": "{{CorsType}}", "allowOriginStringMatch": [{ "exact": "https://host.example" }], "allowMethods": "PUT", "maxAge": "60" } }, """;
        var merged = Cors(""" "allowMethods": "GET" """, host);

        Assert.True(merged.IsOriginAllowed("https://host.example"));
        Assert.Equal("GET", merged.AllowMethods);
        Assert.Equal("60", merged.MaxAge);
    }

    [Fact]
    public void Compile_TypedConfigPresent_IgnoresLegacyCorsFields()
    {
        const string host = """ "cors": { "allowOriginStringMatch": [{ "exact": "https://legacy.example" }], "maxAge": "60" }, """;
        var merged = Cors(""" "allowMethods": "GET" """, host);

        Assert.False(merged.IsOriginAllowed("https://legacy.example"));
        Assert.Equal(string.Empty, merged.MaxAge);
    }

    [Fact]
    public void Compile_LegacyRouteCorsField_IsRead()
    {
        var route = Routes(
            """[{ "match": { "prefix": "/" }, "route": { "cluster": "c", "cors": { "allowOriginStringMatch": [{ "prefix": "https://" }], "allowMethods": "GET" } } }]""",
            """ "cors": { "maxAge": "60" }, """).VirtualHosts[0].Routes[0];

        Assert.True(route.Cors!.IsOriginAllowed("https://x"));
        Assert.Equal("GET", route.Cors.AllowMethods);
        Assert.Equal("60", route.Cors.MaxAge);
    }
}
