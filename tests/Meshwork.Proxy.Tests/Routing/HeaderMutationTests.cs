using System.Net;
using Meshwork.Proxy.Routing;
using Microsoft.AspNetCore.Http;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class HeaderMutationTests
{
    private static CompiledRoute Layered(bool mostSpecificWins, string routeAppend = "OVERWRITE_IF_EXISTS_OR_ADD") => Routes(
        $$"""[{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "requestHeadersToAdd": [{ "header": { "key": "x-level", "value": "route" }, "appendAction": "{{routeAppend}}" }], "responseHeadersToAdd": [{ "header": { "key": "x-level", "value": "route" }, "appendAction": "OVERWRITE_IF_EXISTS_OR_ADD" }] }]""",
        """ "requestHeadersToAdd": [{ "header": { "key": "x-level", "value": "vhost" }, "appendAction": "OVERWRITE_IF_EXISTS_OR_ADD" }], """,
        $$""" "mostSpecificHeaderMutationsWins": {{(mostSpecificWins ? "true" : "false")}}, "requestHeadersToAdd": [{ "header": { "key": "x-level", "value": "table" }, "appendAction": "OVERWRITE_IF_EXISTS_OR_ADD" }], "responseHeadersToAdd": [{ "header": { "key": "x-level", "value": "table" }, "appendAction": "OVERWRITE_IF_EXISTS_OR_ADD" }], """)
        .VirtualHosts[0].Routes[0];

    [Fact]
    public void ApplyRequestHeaders_DefaultOrder_LeastSpecificWins()
    {
        var request = Request("http://h/");

        Layered(mostSpecificWins: false).ApplyRequestHeaders(request);

        Assert.Equal("table", request.Headers["x-level"]);
    }

    [Fact]
    public void ApplyRequestHeaders_MostSpecificHeaderMutationsWins_RouteWins()
    {
        var request = Request("http://h/");
        var response = request.HttpContext.Response;
        var route = Layered(mostSpecificWins: true);

        route.ApplyRequestHeaders(request);
        route.ApplyResponseHeaders(response);

        Assert.Equal("route", request.Headers["x-level"]);
        Assert.Equal("route", response.Headers["x-level"]);
    }

    [Fact]
    public void ApplyRequestHeaders_AppendingLevels_KeepEveryValueInOrder()
    {
        var request = Request("http://h/", headers: ("x-level", "client"));

        Layered(mostSpecificWins: false, routeAppend: "APPEND_IF_EXISTS_OR_ADD").ApplyRequestHeaders(request);

        Assert.Equal("table", request.Headers["x-level"]);
        var appendOnly = Routes("""[{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "requestHeadersToAdd": [{ "header": { "key": "x-a", "value": "route" } }] }]""", """ "requestHeadersToAdd": [{ "header": { "key": "x-a", "value": "vhost" } }], """).VirtualHosts[0].Routes[0];
        var second = Request("http://h/", headers: ("x-a", "client"));
        appendOnly.ApplyRequestHeaders(second);
        Assert.Equal("client,route,vhost", second.Headers["x-a"].ToString());
    }

    [Fact]
    public void ApplyRequestHeaders_WeightedCluster_RunsBeforeRoute()
    {
        var route = Routes("""
            [{ "match": { "prefix": "/" }, "requestHeadersToAdd": [{ "header": { "key": "x-subset", "value": "route" }, "appendAction": "OVERWRITE_IF_EXISTS_OR_ADD" }],
               "route": { "weightedClusters": { "clusters": [{ "name": "a", "weight": 1, "requestHeadersToAdd": [{ "header": { "key": "x-subset", "value": "a" } }, { "header": { "key": "x-only", "value": "a" } }],
                 "responseHeadersToRemove": ["x-internal"] }] } } }]
            """).VirtualHosts[0].Routes[0];
        var request = Request("http://h/");
        var response = request.HttpContext.Response;
        response.Headers["x-internal"] = "secret";
        var choice = route.PickCluster(0);

        route.ApplyRequestHeaders(request, choice);
        route.ApplyResponseHeaders(response, choice);

        Assert.Equal("route", request.Headers["x-subset"]);
        Assert.Equal("a", request.Headers["x-only"]);
        Assert.False(response.Headers.ContainsKey("x-internal"));
    }

    [Theory]
    [InlineData("ADD_IF_ABSENT", "old", "old")]
    [InlineData("ADD_IF_ABSENT", null, "new")]
    [InlineData("OVERWRITE_IF_EXISTS", "old", "new")]
    [InlineData("OVERWRITE_IF_EXISTS", null, null)]
    [InlineData("OVERWRITE_IF_EXISTS_OR_ADD", null, "new")]
    [InlineData("APPEND_IF_EXISTS_OR_ADD", "old", "old,new")]
    public void ApplyRequestHeaders_AppendAction_FollowsEnvoy(string action, string? existing, string? expected)
    {
        var route = Routes($$"""[{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "requestHeadersToAdd": [{ "header": { "key": "x", "value": "new" }, "appendAction": "{{action}}" }] }]""").VirtualHosts[0].Routes[0];
        var request = existing == null ? Request("http://h/") : Request("http://h/", headers: ("x", existing));

        route.ApplyRequestHeaders(request);

        Assert.Equal(expected, request.Headers.TryGetValue("x", out var value) ? value.ToString() : null);
    }

    [Theory]
    [InlineData("true", "old,new")]
    [InlineData("false", "new")]
    public void ApplyRequestHeaders_DeprecatedAppend_MapsToAction(string append, string expected)
    {
        var route = Routes($$"""[{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "requestHeadersToAdd": [{ "header": { "key": "x", "value": "new" }, "append": {{append}} }] }]""").VirtualHosts[0].Routes[0];
        var request = Request("http://h/", headers: ("x", "old"));

        route.ApplyRequestHeaders(request);

        Assert.Equal(expected, request.Headers["x"].ToString());
    }

    [Fact]
    public void ApplyRequestHeaders_RemoveThenAdd_AndEmptyValuesOnlyWhenKept()
    {
        var route = Routes("""
            [{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "requestHeadersToRemove": ["x"],
               "requestHeadersToAdd": [{ "header": { "key": "x", "value": "fresh" } }, { "header": { "key": "x-empty", "value": "" } }, { "header": { "key": "x-kept", "value": "" }, "keepEmptyValue": true }] }]
            """).VirtualHosts[0].Routes[0];
        var request = Request("http://h/", headers: ("x", "stale"));

        route.ApplyRequestHeaders(request);

        Assert.Equal("fresh", request.Headers["x"].ToString());
        Assert.False(request.Headers.ContainsKey("x-empty"));
        Assert.True(request.Headers.ContainsKey("x-kept"));
    }

    [Fact]
    public void ApplyRequestHeaders_CommandOperators_AreEvaluatedPerRequest()
    {
        var route = Routes("""
            [{ "match": { "prefix": "/" }, "route": { "cluster": "c" }, "requestHeadersToAdd": [
              { "header": { "key": "x-client", "value": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" } },
              { "header": { "key": "x-peer", "value": "peer=%DOWNSTREAM_REMOTE_ADDRESS% 100%%" } },
              { "header": { "key": "x-copy", "value": "%REQ(x-user)%/%REQ(:authority)%/%REQ(x-missing?x-user):2%" } }] }]
            """).VirtualHosts[0].Routes[0];
        var request = Request("http://svc:8080/", headers: ("x-user", "alice"));
        request.HttpContext.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        request.HttpContext.Connection.RemotePort = 5555;

        route.ApplyRequestHeaders(request);

        Assert.Equal("10.1.2.3", request.Headers["x-client"]);
        Assert.Equal("peer=10.1.2.3:5555 100%", request.Headers["x-peer"]);
        Assert.Equal("alice/svc:8080/al", request.Headers["x-copy"]);
    }

    [Theory]
    [InlineData("%UPSTREAM_HOST%", "command %UPSTREAM_HOST% is not supported")]
    [InlineData("50%", "unterminated command")]
    public void Compile_BadHeaderValue_Throws(string value, string expected)
    {
        var error = Assert.Throws<ProxyConfigException>(() => Routes($$"""[{ "name": "h", "match": { "prefix": "/" }, "route": { "cluster": "c" }, "requestHeadersToAdd": [{ "header": { "key": "x", "value": "{{value}}" } }] }]"""));

        Assert.Contains("route \"h\": request headers: header \"x\"", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{ "requestHeadersToAdd": [{ "header": { "key": ":authority", "value": "x" } }] }""")]
    [InlineData("""{ "requestHeadersToRemove": ["Host"] }""")]
    [InlineData("""{ "requestHeadersToAdd": [{ "header": { "key": "x", "value": "y" }, "append": true, "appendAction": "ADD_IF_ABSENT" }] }""")]
    public void Compile_ForbiddenHeaderEdit_Throws(string edits)
    {
        var route = edits.TrimEnd().TrimEnd('}') + """, "match": { "prefix": "/" }, "route": { "cluster": "c" } }""";

        Assert.Throws<ProxyConfigException>(() => Routes($"[{route}]"));
    }
}
