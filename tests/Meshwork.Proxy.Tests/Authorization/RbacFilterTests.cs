using System.Net;
using System.Text.Json;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Stats;
using Meshwork.Xds.Protos;
using Microsoft.AspNetCore.Http;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Meshwork.Proxy.Tests.Authorization;

public class RbacFilterTests
{
    private readonly StatsStore _stats = new();

    /// <summary>An HTTP RBAC filter whose single policy has <paramref name="permission"/> and <paramref name="principal"/> (JSON).</summary>
    private RbacFilter Filter(string action, string permission = """{"any": true}""", string principal = """{"any": true}""") =>
        RbacFilter.CompileHttp(
            XdsJson.Parser.Parse<HttpRbac>("{\"rules\": {\"action\": \"" + action + "\", \"policies\": {\"p\": {\"permissions\": [" + permission + "], \"principals\": [" + principal + "]}}}}"),
            "test",
            _stats,
            "inbound");

    private static AuthorizationInput Input(
        string url = "http://web/public",
        string method = "GET",
        string source = "10.0.0.1",
        string? remote = null,
        string destination = "10.1.0.1",
        int port = 8000,
        string? sni = null,
        string? peer = null,
        RequestIdentity? jwt = null,
        params (string, string)[] headers)
    {
        var request = Request(url, method, headers);
        return new AuthorizationInput(IPAddress.Parse(source), IPAddress.Parse(remote ?? source), IPAddress.Parse(destination), port, sni, request, request.Path.Value, peer, jwt);
    }

    private static bool Allows(RbacFilter filter, in AuthorizationInput input) => filter.Allows(input, out _);

    [Fact]
    public void Allow_MatchingPolicy_Allows_AndNothingElse()
    {
        var filter = Filter("ALLOW", """{"urlPath": {"path": {"prefix": "/public/"}}}""");

        Assert.True(Allows(filter, Input("http://web/public/x")));
        Assert.False(Allows(filter, Input("http://web/admin")));
        Assert.Equal(1, _stats.Counter("http", "inbound", "rbac.allowed").Value);
        Assert.Equal(1, _stats.Counter("http", "inbound", "rbac.denied").Value);
    }

    [Fact]
    public void Deny_MatchingPolicy_Denies_AndNamesIt()
    {
        var filter = Filter("DENY", """{"urlPath": {"path": {"prefix": "/admin/"}}}""");

        Assert.False(filter.Allows(Input("http://web/admin/x"), out var policy));
        Assert.Equal("p", policy);
        Assert.True(Allows(filter, Input("http://web/ADMIN/x")));
    }

    [Fact]
    public void Allow_NoPolicies_DeniesEverything()
    {
        var filter = RbacFilter.CompileHttp(XdsJson.Parser.Parse<HttpRbac>("""{"rules": {}}"""), "test", _stats, "inbound");

        Assert.False(Allows(filter, Input()));
    }

    [Fact]
    public void Filter_NoRules_AllowsEverything()
    {
        var filter = RbacFilter.CompileHttp(new HttpRbac(), "test", _stats, "inbound");

        Assert.True(Allows(filter, Input()));
    }

    [Fact]
    public void Log_NeverDenies_AndCountsMatches()
    {
        var filter = Filter("LOG", """{"header": {"name": ":method", "exactMatch": "DELETE"}}""");

        Assert.True(Allows(filter, Input(method: "DELETE")));
        Assert.True(Allows(filter, Input(method: "GET")));
        Assert.Equal(1, _stats.Counter("http", "inbound", "rbac.logged").Value);
        Assert.Equal(1, _stats.Counter("http", "inbound", "rbac.not_logged").Value);
    }

    [Fact]
    public void Shadow_IsCountedButNotEnforced()
    {
        var filter = RbacFilter.CompileHttp(
            XdsJson.Parser.Parse<HttpRbac>("""{"shadowRules": {"action": "DENY", "policies": {"p": {"permissions": [{"any": true}], "principals": [{"any": true}]}}}, "shadowRulesStatPrefix": "istio_dry_run_deny_"}"""),
            "test",
            _stats,
            "inbound");

        Assert.True(Allows(filter, Input()));
        Assert.Equal(1, _stats.Counter("http", "inbound", "istio_dry_run_deny_rbac.shadow_denied").Value);
    }

    [Fact]
    public void AndOrNot_CombineAsEnvoy()
    {
        var filter = Filter("ALLOW", """
            {"andRules": {"rules": [
              {"orRules": {"rules": [{"header": {"name": ":method", "exactMatch": "GET"}}, {"header": {"name": ":method", "exactMatch": "HEAD"}}]}},
              {"notRule": {"urlPath": {"path": {"exact": "/secret"}}}}
            ]}}
            """);

        Assert.True(Allows(filter, Input(method: "HEAD")));
        Assert.False(Allows(filter, Input(method: "POST")));
        Assert.False(Allows(filter, Input("http://web/secret")));
    }

    [Theory]
    [InlineData("""{"destinationPort": 8000}""", true)]
    [InlineData("""{"destinationPort": 9000}""", false)]
    [InlineData("""{"destinationPortRange": {"start": 7000, "end": 8001}}""", true)]
    [InlineData("""{"destinationPortRange": {"start": 7000, "end": 8000}}""", false)]
    [InlineData("""{"destinationIp": {"addressPrefix": "10.1.0.0", "prefixLen": 16}}""", true)]
    [InlineData("""{"destinationIp": {"addressPrefix": "10.2.0.0", "prefixLen": 16}}""", false)]
    [InlineData("""{"requestedServerName": {"exact": "web.example"}}""", true)]
    [InlineData("""{"requestedServerName": {"suffix": ".other"}}""", false)]
    [InlineData("""{"header": {"name": ":authority", "stringMatch": {"exact": "WEB", "ignoreCase": true}}}""", true)]
    [InlineData("""{"header": {"name": "x-token", "presentMatch": true}}""", true)]
    [InlineData("""{"header": {"name": "x-absent", "presentMatch": true}}""", false)]
    [InlineData("""{"urlPath": {"path": {"suffix": ".html"}}}""", true)]
    [InlineData("""{"urlPath": {"path": {"safeRegex": {"regex": ".+"}}}}""", true)]
    [InlineData("""{"metadata": {"filter": "envoy.filters.a.b", "path": [{"key": "c"}], "value": {"stringMatch": {"exact": "d"}}}}""", false)]
    public void Permission_Leaf_MatchesAsEnvoy(string permission, bool matches)
    {
        var filter = Filter("ALLOW", permission);

        Assert.Equal(matches, Allows(filter, Input("http://web/index.html", sni: "web.example", headers: ("x-token", "t"))));
    }

    [Theory]
    [InlineData("""{"directRemoteIp": {"addressPrefix": "10.0.0.0", "prefixLen": 8}}""", true)]
    [InlineData("""{"sourceIp": {"addressPrefix": "10.0.0.1"}}""", true)]
    [InlineData("""{"remoteIp": {"addressPrefix": "192.168.0.0", "prefixLen": 16}}""", true)]
    [InlineData("""{"remoteIp": {"addressPrefix": "10.0.0.0", "prefixLen": 8}}""", false)]
    [InlineData("""{"authenticated": {"principalName": {"exact": "spiffe://cluster.local/ns/foo/sa/app"}}}""", true)]
    [InlineData("""{"authenticated": {"principalName": {"safeRegex": {"regex": ".*/ns/foo/.*"}}}}""", true)]
    [InlineData("""{"authenticated": {"principalName": {"safeRegex": {"regex": ".*/ns/bar/.*"}}}}""", false)]
    [InlineData("""{"authenticated": {}}""", true)]
    [InlineData("""{"notId": {"authenticated": {}}}""", false)]
    public void Principal_Leaf_MatchesAsEnvoy(string principal, bool matches)
    {
        var filter = Filter("ALLOW", principal: principal);

        Assert.Equal(matches, Allows(filter, Input(source: "10.0.0.1", remote: "192.168.1.1", peer: "spiffe://cluster.local/ns/foo/sa/app")));
    }

    [Fact]
    public void Authenticated_PlaintextPeer_NeverMatches()
    {
        var filter = Filter("ALLOW", principal: """{"authenticated": {}}""");

        Assert.False(Allows(filter, Input(peer: null)));
    }

    [Fact]
    public void IPv4MappedPeer_MatchesAnIPv4Range()
    {
        var filter = Filter("ALLOW", principal: """{"directRemoteIp": {"addressPrefix": "127.0.0.0", "prefixLen": 8}}""");
        var request = Request("http://web/");
        var input = new AuthorizationInput(IPAddress.Parse("::ffff:127.0.0.1"), IPAddress.Loopback, IPAddress.Loopback, 80, null, request, "/", null, null);

        Assert.True(Allows(filter, input));
    }

    [Fact]
    public void Metadata_JwtIdentity_MatchesPrincipalAudiencesAndNestedClaims()
    {
        using var claims = JsonDocument.Parse("""{"groups": ["dev", "admins"], "nested": {"role": "owner"}, "iss": "issuer"}""");
        var jwt = new RequestIdentity("issuer/subject", ["aud1", "aud2"], "azp", claims.RootElement.Clone());
        static string Meta(string path, string value) =>
            $$$"""{"metadata": {"filter": "istio_authn", "path": [{{{path}}}], "value": {{{value}}}}}""";

        Assert.True(Allows(Filter("ALLOW", principal: Meta("""{"key": "request.auth.principal"}""", """{"stringMatch": {"exact": "issuer/subject"}}""")), Input(jwt: jwt)));
        Assert.True(Allows(Filter("ALLOW", principal: Meta("""{"key": "request.auth.audiences"}""", """{"stringMatch": {"exact": "aud2"}}""")), Input(jwt: jwt)));
        Assert.True(Allows(Filter("ALLOW", principal: Meta("""{"key": "request.auth.presenter"}""", """{"stringMatch": {"prefix": "az"}}""")), Input(jwt: jwt)));
        Assert.True(Allows(Filter("ALLOW", principal: Meta("""{"key": "request.auth.claims"}, {"key": "groups"}""", """{"listMatch": {"oneOf": {"stringMatch": {"exact": "admins"}}}}""")), Input(jwt: jwt)));
        Assert.True(Allows(Filter("ALLOW", principal: Meta("""{"key": "request.auth.claims"}, {"key": "nested"}, {"key": "role"}""", """{"listMatch": {"oneOf": {"stringMatch": {"exact": "owner"}}}}""")), Input(jwt: jwt)));
        Assert.False(Allows(Filter("ALLOW", principal: Meta("""{"key": "request.auth.claims"}, {"key": "groups"}""", """{"listMatch": {"oneOf": {"stringMatch": {"exact": "root"}}}}""")), Input(jwt: jwt)));

        // No JWT: the request principal is absent, so the matcher fails (and DENY with it does not fire).
        Assert.False(Allows(Filter("ALLOW", principal: Meta("""{"key": "request.auth.principal"}""", """{"stringMatch": {"safeRegex": {"regex": ".+"}}}""")), Input(jwt: null)));
    }

    [Fact]
    public void Network_HttpOnlyMatchers_NeverMatchAConnection()
    {
        var filter = RbacFilter.CompileNetwork(
            XdsJson.Parser.Parse<NetworkRbac>("""{"statPrefix": "tcp.", "rules": {"action": "DENY", "policies": {"p": {"permissions": [{"header": {"name": ":method", "presentMatch": true}}], "principals": [{"any": true}]}}}}"""),
            "test",
            _stats);
        var input = AuthorizationInput.ForConnection(new IPEndPoint(IPAddress.Loopback, 5000), new IPEndPoint(IPAddress.Loopback, 9000), null, null);

        Assert.True(filter.Allows(input, out _));
        Assert.Equal(1, _stats.Counter("tcp.rbac.allowed").Value);
    }

    [Theory]
    [InlineData("""{"rules": {"policies": {"p": {"permissions": [], "principals": [{"any": true}]}}}}""", "test.rules.policies[p]: needs at least one permission")]
    [InlineData("""{"rules": {"policies": {"p": {"permissions": [{}], "principals": [{"any": true}]}}}}""", "test.rules.policies[p].permissions[0]: permission has no rule")]
    [InlineData("""{"rules": {"policies": {"p": {"permissions": [{"destinationIp": {"addressPrefix": "nope"}}], "principals": [{"any": true}]}}}}""", "destination_ip: address_prefix \"nope\" is not an IP address")]
    [InlineData("""{"rules": {"policies": {"p": {"permissions": [{"any": true}], "principals": [{"orIds": {}}]}}}}""", "principals[0].or_ids: needs at least one entry")]
    [InlineData("""{"rules": {"policies": {"p": {"permissions": [{"urlPath": {"path": {"safeRegex": {"regex": "("}}}}], "principals": [{"any": true}]}}}}""", "url_path.path")]
    public void Compile_BadRules_NamesTheField(string json, string expected)
    {
        var error = Assert.Throws<ProxyConfigException>(() => RbacFilter.CompileHttp(XdsJson.Parser.Parse<HttpRbac>(json), "test", _stats, "inbound"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
