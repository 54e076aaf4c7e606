using Meshwork.Proxy.Routing;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class FaultPolicyTests
{
    private const string FaultType = "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault";

    private static FaultPolicy? Fault(string faultJson, string hostFilterJson = "") =>
        Routes($$"""[{ "name": "f", "match": { "prefix": "/" }, "route": { "cluster": "c" }, "typedPerFilterConfig": { "envoy.filters.http.fault": { "@type": "{{FaultType}}", {{faultJson}} } } }]""", hostFilterJson)
            .VirtualHosts[0].Routes[0].Fault;

    [Theory]
    [InlineData("""{ "numerator": 0 }""", 0.0, false)]
    [InlineData("""{ "numerator": 100 }""", 0.99999, true)]
    [InlineData("""{ "numerator": 1, "denominator": "TEN_THOUSAND" }""", 0.000099, true)]
    [InlineData("""{ "numerator": 1, "denominator": "TEN_THOUSAND" }""", 0.0001, false)]
    [InlineData("""{ "numerator": 5, "denominator": "MILLION" }""", 0.0000049, true)]
    [InlineData("""{ "numerator": 5, "denominator": "MILLION" }""", 0.000005, false)]
    [InlineData("""{ "numerator": 200 }""", 0.99999, true)]
    public void ShouldDelay_Percentage_HitsBelowTheShare(string percentage, double random, bool expected)
    {
        var fault = Fault($$""" "delay": { "fixedDelay": "2s", "percentage": {{percentage}} } """)!;

        Assert.Equal(expected, fault.ShouldDelay(random));
        Assert.Equal(TimeSpan.FromSeconds(2), fault.DelayFor(Request("http://h/")));
    }

    [Fact]
    public void ShouldAbort_WithoutPercentage_NeverAborts()
    {
        var fault = Fault(""" "abort": { "httpStatus": 503 } """)!;

        Assert.False(fault.ShouldAbort(0));
        Assert.False(fault.ShouldDelay(0));
    }

    [Fact]
    public void AbortFor_HeaderControlled_ReadsRequestHeaders()
    {
        var fault = Fault(""" "abort": { "headerAbort": {}, "percentage": { "numerator": 100 } }, "delay": { "headerDelay": {}, "percentage": { "numerator": 100 } } """)!;

        Assert.Equal((429, (int?)null), fault.AbortFor(Request("http://h/", headers: ("x-envoy-fault-abort-request", "429"))));
        Assert.Equal(((int?)null, 14), fault.AbortFor(Request("http://h/", headers: ("x-envoy-fault-abort-grpc-request", "14"))));
        Assert.Null(fault.AbortFor(Request("http://h/")));
        Assert.Equal(TimeSpan.FromMilliseconds(150), fault.DelayFor(Request("http://h/", headers: ("x-envoy-fault-delay-request", "150"))));
        Assert.Null(fault.DelayFor(Request("http://h/")));
    }

    [Fact]
    public void AppliesTo_HeadersAndUpstreamCluster_MustMatch()
    {
        var fault = Fault(""" "abort": { "httpStatus": 500, "percentage": { "numerator": 100 } }, "upstreamCluster": "c", "headers": [{ "name": "x-chaos", "presentMatch": true }] """)!;

        Assert.True(fault.AppliesTo(Request("http://h/", headers: ("x-chaos", "1")), "c"));
        Assert.False(fault.AppliesTo(Request("http://h/"), "c"));
        Assert.False(fault.AppliesTo(Request("http://h/", headers: ("x-chaos", "1")), "other"));
    }

    [Fact]
    public void Compile_VirtualHostFault_IsInheritedUnlessTheRouteDisablesIt()
    {
        const string hostFault = $$""" "typedPerFilterConfig": { "envoy.filters.http.fault": { "@type": "{{FaultType}}", "abort": { "httpStatus": 500, "percentage": { "numerator": 100 } } } }, """;
        var routes = Routes($$"""
            [{ "name": "inherits", "match": { "path": "/a" }, "route": { "cluster": "c" } },
             { "name": "disabled", "match": { "path": "/b" }, "route": { "cluster": "c" }, "typedPerFilterConfig": { "envoy.filters.http.fault": { "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": true } } }]
            """, hostFault).VirtualHosts[0].Routes;

        Assert.Equal(500, routes[0].Fault!.AbortHttpStatus);
        Assert.Null(routes[1].Fault);
    }

    [Fact]
    public void Compile_RouteConfigurationFault_ReachesEveryRoute()
    {
        const string tableFault = $$""" "typedPerFilterConfig": { "envoy.filters.http.fault": { "@type": "{{FaultType}}", "delay": { "fixedDelay": "1s", "percentage": { "numerator": 100 } } } }, """;

        var route = Routes("""[{ "match": { "prefix": "/" }, "route": { "cluster": "c" } }]""", extraTableJson: tableFault).VirtualHosts[0].Routes[0];

        Assert.Equal(TimeSpan.FromSeconds(1), route.Fault!.FixedDelay);
    }

    [Theory]
    [InlineData(""" "abort": { "httpStatus": 700 } """)]
    [InlineData(""" "abort": { "percentage": { "numerator": 1 } } """)]
    [InlineData(""" "responseRateLimit": { "fixedLimit": { "limitKbps": "1" } } """)]
    public void Compile_UnsupportedOrInvalidFault_Throws(string fault)
    {
        Assert.Throws<ProxyConfigException>(() => Fault(fault));
    }

    [Fact]
    public void Compile_UnknownFilterConfig_ThrowsUnlessOptional()
    {
        const string unknown = """[{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "typedPerFilterConfig": { "envoy.filters.http.ext_authz": { "@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig" OPTIONAL } } }]""";

        var error = Assert.Throws<ProxyConfigException>(() => Routes(unknown.Replace(" OPTIONAL", string.Empty, StringComparison.Ordinal)));
        Routes(unknown.Replace(" OPTIONAL", ", \"isOptional\": true", StringComparison.Ordinal));

        Assert.Contains("typed_per_filter_config \"envoy.filters.http.ext_authz\"", error.Message);
    }
}
