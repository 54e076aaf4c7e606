using Meshwork.Proxy.Hashing;
using System.Net;
using System.Numerics;
using Meshwork.Proxy.Routing;
using static Meshwork.Proxy.Tests.Routing.RoutingFixtures;

namespace Meshwork.Proxy.Tests.Routing;

public class HashPolicyTests
{
    private static HashPolicy Hash(string policiesJson) =>
        Routes($$"""[{ "match": { "prefix": "/" }, "route": { "cluster": "c", "hashPolicy": {{policiesJson}} } }]""").VirtualHosts[0].Routes[0].HashPolicy!;

    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    public void StableHash_ReferenceVectors_Match(string input, ulong expected)
    {
        Assert.Equal(expected, StableHash.Hash(input));
    }

    [Fact]
    public void StableHash_LongInput_IsStableAndSeeded()
    {
        var text = new string('x', 100);

        Assert.Equal(StableHash.Hash(text), StableHash.Hash(text));
        Assert.NotEqual(StableHash.Hash(text), StableHash.Hash(text, 1));
        Assert.NotEqual(StableHash.Hash(text), StableHash.Hash(text.AsSpan(0, 99)));
    }

    [Fact]
    public void ComputeHash_Header_IsXxHash64OfTheValue()
    {
        var hash = Hash("""[{ "header": { "headerName": "x-user" } }]""").ComputeHash(Request("http://h/", headers: ("x-user", "alice")), null, out var cookie);

        Assert.Equal(StableHash.Hash("alice"), hash);
        Assert.Null(cookie);
    }

    [Fact]
    public void ComputeHash_SeveralHeaderValues_IgnoreOrder()
    {
        var policy = Hash("""[{ "header": { "headerName": "x-user" } }]""");

        var one = policy.ComputeHash(Request("http://h/", headers: [("x-user", "a"), ("x-user", "b")]), null, out _);
        var other = policy.ComputeHash(Request("http://h/", headers: [("x-user", "b"), ("x-user", "a")]), null, out _);

        Assert.Equal(one, other);
    }

    [Fact]
    public void ComputeHash_MissingValues_YieldNoHash()
    {
        Assert.Null(Hash("""[{ "header": { "headerName": "x-user" } }, { "queryParameter": { "name": "u" } }, { "filterState": { "key": "k" } }]""").ComputeHash(Request("http://h/"), null, out _));
    }

    [Fact]
    public void ComputeHash_TwoPolicies_FoldWithRotateAndXor()
    {
        var hash = Hash("""[{ "header": { "headerName": "x-user" } }, { "queryParameter": { "name": "u" } }]""").ComputeHash(Request("http://h/?u=bob", headers: ("x-user", "alice")), null, out _);

        Assert.Equal(BitOperations.RotateLeft(StableHash.Hash("alice"), 1) ^ StableHash.Hash("bob"), hash);
    }

    [Fact]
    public void ComputeHash_TerminalPolicyWithHash_StopsTheWalk()
    {
        var policy = Hash("""[{ "header": { "headerName": "x-user" }, "terminal": true }, { "queryParameter": { "name": "u" } }]""");

        Assert.Equal(StableHash.Hash("alice"), policy.ComputeHash(Request("http://h/?u=bob", headers: ("x-user", "alice")), null, out _));
        Assert.Equal(StableHash.Hash("bob"), policy.ComputeHash(Request("http://h/?u=bob"), null, out _));
    }

    [Fact]
    public void ComputeHash_SourceIp_HashesTheAddress()
    {
        var hash = Hash("""[{ "connectionProperties": { "sourceIp": true } }]""").ComputeHash(Request("http://h/"), IPAddress.Parse("10.0.0.7"), out _);

        Assert.Equal(StableHash.Hash("10.0.0.7"), hash);
    }

    [Fact]
    public void ComputeHash_CookiePresent_HashesItsValue()
    {
        var hash = Hash("""[{ "cookie": { "name": "session", "ttl": "3600s", "path": "/" } }]""")
            .ComputeHash(Request("http://h/", headers: ("cookie", "a=1; session=\"abc\"; b=2")), null, out var setCookie);

        Assert.Equal(StableHash.Hash("abc"), hash);
        Assert.Null(setCookie);
    }

    [Fact]
    public void ComputeHash_CookieMissingWithTtl_MakesOneUpAndAsksToSetIt()
    {
        var policy = Hash("""[{ "cookie": { "name": "session", "ttl": "3600s", "path": "/", "attributes": [{ "name": "SameSite", "value": "Strict" }, { "name": "Secure" }] } }]""");
        var request = Request("http://h/");
        request.HttpContext.TraceIdentifier = "trace-1";

        var hash = policy.ComputeHash(request, IPAddress.Loopback, out var setCookie);

        var value = StableHash.Hash("127.0.0.1trace-1").ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"session=\"{value}\"; Max-Age=3600; Path=/; SameSite=Strict; Secure; HttpOnly", setCookie);
        Assert.Equal(StableHash.Hash(value), hash);
    }

    [Fact]
    public void ComputeHash_CookieMissingWithoutTtl_YieldsNothing()
    {
        Assert.Null(Hash("""[{ "cookie": { "name": "session" } }]""").ComputeHash(Request("http://h/"), null, out var setCookie));
        Assert.Null(setCookie);
    }

    [Fact]
    public void Compile_HeaderPolicyWithoutName_Throws()
    {
        Assert.Throws<ProxyConfigException>(() => Hash("""[{ "header": {} }]"""));
    }
}
