using Meshwork.Proxy.Routing;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class VirtualHostSelectionTests
{
    private static RouteTable Hosts(bool ignorePort = false) => RouteTable.Compile(Table($$"""
        {
          "name": "hosts",
          "ignorePortInHostMatching": {{(ignorePort ? "true" : "false")}},
          "virtualHosts": [
            { "name": "exact", "domains": ["api.example.com", "api.example.com:8080"], "routes": [{ "match": { "prefix": "/" }, "route": { "cluster": "exact" } }] },
            { "name": "suffix-short", "domains": ["*.com"], "routes": [{ "match": { "prefix": "/" }, "route": { "cluster": "suffix-short" } }] },
            { "name": "suffix-long", "domains": ["*.example.com"], "routes": [{ "match": { "prefix": "/" }, "route": { "cluster": "suffix-long" } }] },
            { "name": "suffix-dash", "domains": ["*-bar.foo"], "routes": [{ "match": { "prefix": "/" }, "route": { "cluster": "suffix-dash" } }] },
            { "name": "prefix", "domains": ["api.*", "api.example.*"], "routes": [{ "match": { "prefix": "/" }, "route": { "cluster": "prefix" } }] },
            { "name": "default", "domains": ["*"], "routes": [{ "match": { "prefix": "/" }, "route": { "cluster": "default" } }] }
          ]
        }
        """));

    [Theory]
    [InlineData("api.example.com", "exact")]
    [InlineData("API.Example.COM", "exact")]
    [InlineData("api.example.com:8080", "exact")]
    [InlineData("www.example.com", "suffix-long")]
    [InlineData("www.other.com", "suffix-short")]
    [InlineData("baz-bar.foo", "suffix-dash")]
    [InlineData("api.example.org", "prefix")]
    [InlineData("api.internal", "prefix")]
    [InlineData("example.com", "suffix-short")]
    [InlineData("elsewhere.net", "default")]
    [InlineData("api.example.com:9090", "prefix")]
    public void FindVirtualHost_Authority_PicksEnvoysPrecedence(string authority, string expected)
    {
        Assert.Equal(expected, Hosts().FindVirtualHost(authority)!.Name);
    }

    [Fact]
    public void FindVirtualHost_WildcardCoveringNothing_DoesNotMatch()
    {
        var table = RouteTable.Compile(Table("""{ "name": "t", "virtualHosts": [ { "name": "w", "domains": ["*.example.com"], "routes": [] } ] }"""));

        Assert.Null(table.FindVirtualHost(".example.com"));
        Assert.NotNull(table.FindVirtualHost("a.example.com"));
    }

    [Fact]
    public void FindVirtualHost_IgnorePortInHostMatching_StripsPortFirst()
    {
        Assert.Equal("exact", Hosts(ignorePort: true).FindVirtualHost("api.example.com:9090")!.Name);
        // With the port kept, "*.example.com" cannot match "...com:9090"; the prefix wildcard "api.example.*" can.
        Assert.Equal("prefix", Hosts(ignorePort: false).FindVirtualHost("api.example.com:9090")!.Name);
    }

    [Fact]
    public void FindVirtualHost_Ipv6WithoutPort_KeepsTheAddress()
    {
        var table = RouteTable.Compile(Table("""
            { "name": "t", "ignorePortInHostMatching": true, "virtualHosts": [ { "name": "v6", "domains": ["[::1]"], "routes": [] } ] }
            """));

        Assert.Equal("v6", table.FindVirtualHost("[::1]")!.Name);
        Assert.Equal("v6", table.FindVirtualHost("[::1]:80")!.Name);
    }

    [Fact]
    public void Match_NoHostAndNoDefault_ReturnsNull()
    {
        var table = RouteTable.Compile(Table("""{ "name": "t", "virtualHosts": [ { "name": "a", "domains": ["a"], "routes": [{ "match": { "prefix": "/" }, "route": { "cluster": "a" } }] } ] }"""));
        var request = Request("http://a/");
        request.Host = default;

        Assert.Null(table.Match(request));
        Assert.Null(table.Match(Request("http://b/")));
    }

    [Fact]
    public void Match_OnlyDefaultHost_MatchesWithoutAuthority()
    {
        var table = Routes("""[{ "match": { "prefix": "/" }, "route": { "cluster": "c" } }]""");
        var request = Request("http://a/");
        request.Host = default;

        Assert.Equal("c", table.Match(request)!.Value.Route.Cluster);
    }

    [Fact]
    public void Compile_DuplicateDomain_Throws()
    {
        var error = Assert.Throws<ProxyConfigException>(() => RouteTable.Compile(Table("""
            { "name": "t", "virtualHosts": [ { "name": "a", "domains": ["x.com"] }, { "name": "b", "domains": ["X.com"] } ] }
            """)));

        Assert.Contains("duplicate entry of domain \"X.com\" in virtual_host \"b\"", error.Message);
    }

    [Fact]
    public void Match_NoRouteMatches_ReturnsNull()
    {
        var table = Routes("""[{ "match": { "path": "/only" }, "route": { "cluster": "c" } }]""");

        Assert.Null(table.Match(Request("http://a/other")));
    }
}
