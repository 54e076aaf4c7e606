using System.Net;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Connections;
using EnvoyTcpProxy = Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy;
using SourceType = Envoy.Config.Listener.V3.FilterChainMatch.Types.ConnectionSourceType;

namespace Meshwork.Proxy.Tests.Connections;

public class FilterChainSelectorTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("192.168.1.7"), 40000);
    private static readonly IPEndPoint Local = new(IPAddress.Parse("10.0.0.1"), 443);

    internal static FilterChain Chain(string name, FilterChainMatch? match = null) => new()
    {
        Name = name,
        FilterChainMatch = match,
        Filters = { new Filter { Name = ListenerPlan.TcpProxyFilter, TypedConfig = Any.Pack(new EnvoyTcpProxy { StatPrefix = name, Cluster = name }) } },
    };

    private static Listener Listener(params FilterChain[] chains) => new() { Name = "l1", FilterChains = { chains } };

    private static ConnectionFacts Tls(string? sni, params string[] alpn) => new(Local, Client, ConnectionFacts.Tls, sni, alpn);

    private static string? Selected(Listener listener, ConnectionFacts facts) => ListenerPlan.Compile(listener).Select(facts)?.ChainLabel;

    [Theory]
    [InlineData("www.example.com", "exact")]
    [InlineData("api.example.com", "wildcard")]
    [InlineData("a.b.example.com", "wildcard")]
    [InlineData("example.org", "any")]
    [InlineData(null, "any")]
    public void Select_ServerNames_ExactThenWildcardThenAny(string? sni, string expected)
    {
        var listener = Listener(
            Chain("any"),
            Chain("wildcard", new FilterChainMatch { ServerNames = { "*.example.com" } }),
            Chain("exact", new FilterChainMatch { ServerNames = { "www.example.com" } }));

        Assert.Equal(expected, Selected(listener, Tls(sni)));
    }

    [Fact]
    public void Select_SeveralWildcards_LongestSuffixWins()
    {
        var listener = Listener(
            Chain("com", new FilterChainMatch { ServerNames = { "*.com" } }),
            Chain("example", new FilterChainMatch { ServerNames = { "*.example.com" } }),
            Chain("b", new FilterChainMatch { ServerNames = { "*.b.example.com" } }));

        Assert.Equal("b", Selected(listener, Tls("a.b.example.com")));
        Assert.Equal("example", Selected(listener, Tls("c.example.com")));
        Assert.Equal("com", Selected(listener, Tls("other.com")));
    }

    [Fact]
    public void Select_ServerNameCase_IsIgnored()
    {
        var listener = Listener(Chain("exact", new FilterChainMatch { ServerNames = { "API.Example.com" } }));

        Assert.Equal("exact", Selected(listener, Tls("api.EXAMPLE.com")));
    }

    [Fact]
    public void Select_MoreSpecificLevelMatchedButLaterLevelFails_DoesNotFallBack()
    {
        // Envoy's docs: once SNI picks the exact bucket, a transport mismatch below it means no chain, not the catch-all.
        var listener = Listener(
            Chain("sni-tls", new FilterChainMatch { ServerNames = { "a.example.com" }, TransportProtocol = "tls" }),
            Chain("catch-all"));

        Assert.Null(Selected(listener, new ConnectionFacts(Local, Client, ConnectionFacts.RawBuffer, "a.example.com", [])));
        Assert.Equal("catch-all", Selected(listener, Tls("b.example.com")));
    }

    [Fact]
    public void Select_DestinationPort_IsMatchedBeforeEverythingElse()
    {
        var listener = Listener(
            Chain("port-8443", new FilterChainMatch { DestinationPort = 8443 }),
            Chain("sni", new FilterChainMatch { ServerNames = { "a.example.com" } }));

        var on8443 = new ConnectionFacts(new IPEndPoint(Local.Address, 8443), Client, ConnectionFacts.Tls, "a.example.com", []);
        Assert.Equal("port-8443", Selected(listener, on8443));
        Assert.Equal("sni", Selected(listener, Tls("a.example.com")));
    }

    [Fact]
    public void Select_PrefixRanges_LongestPrefixWinsAndMappedIpv4Matches()
    {
        var listener = Listener(
            Chain("wide", new FilterChainMatch { PrefixRanges = { new CidrRange { AddressPrefix = "10.0.0.0", PrefixLen = 8 } } }),
            Chain("narrow", new FilterChainMatch { PrefixRanges = { new CidrRange { AddressPrefix = "10.0.0.0", PrefixLen = 24 } } }),
            Chain("rest"));

        Assert.Equal("narrow", Selected(listener, ConnectionFacts.Plain(new IPEndPoint(IPAddress.Parse("::ffff:10.0.0.9"), 80), Client)));
        Assert.Equal("wide", Selected(listener, ConnectionFacts.Plain(new IPEndPoint(IPAddress.Parse("10.9.0.9"), 80), Client)));
        Assert.Equal("rest", Selected(listener, ConnectionFacts.Plain(new IPEndPoint(IPAddress.Parse("11.0.0.1"), 80), Client)));
    }

    [Fact]
    public void Select_HostBitsInPrefix_AreMasked()
    {
        var listener = Listener(Chain("net", new FilterChainMatch { PrefixRanges = { new CidrRange { AddressPrefix = "10.1.2.3", PrefixLen = 16 } } }));

        Assert.Equal("net", Selected(listener, ConnectionFacts.Plain(new IPEndPoint(IPAddress.Parse("10.1.200.1"), 80), Client)));
    }

    [Fact]
    public void Select_TransportProtocol_ExactBeforeAny()
    {
        var listener = Listener(Chain("tls", new FilterChainMatch { TransportProtocol = "tls" }), Chain("plain"));

        Assert.Equal("tls", Selected(listener, Tls(null)));
        Assert.Equal("plain", Selected(listener, ConnectionFacts.Plain(Local, Client)));
    }

    [Fact]
    public void Select_ApplicationProtocols_ClientsFirstListedProtocolThatAChainNames()
    {
        var listener = Listener(
            Chain("h2", new FilterChainMatch { ApplicationProtocols = { "h2" } }),
            Chain("h1", new FilterChainMatch { ApplicationProtocols = { "http/1.1" } }),
            Chain("other"));

        Assert.Equal("h1", Selected(listener, Tls(null, "http/1.1", "h2")));
        Assert.Equal("h2", Selected(listener, Tls(null, "h2", "http/1.1")));
        Assert.Equal("other", Selected(listener, Tls(null, "istio-peer-exchange")));
    }

    [Fact]
    public void Select_SourceType_LocalOrExternalBeforeAny()
    {
        var listener = Listener(
            Chain("local", new FilterChainMatch { SourceType = SourceType.SameIpOrLoopback }),
            Chain("any", new FilterChainMatch { SourceType = SourceType.Any }));

        Assert.Equal("local", Selected(listener, ConnectionFacts.Plain(Local, new IPEndPoint(IPAddress.Loopback, 5000))));
        Assert.Equal("local", Selected(listener, ConnectionFacts.Plain(Local, new IPEndPoint(Local.Address, 5000))));
        Assert.Equal("any", Selected(listener, ConnectionFacts.Plain(Local, Client)));
    }

    [Fact]
    public void Select_SourcePrefixAndPorts_MostSpecificWins()
    {
        var listener = Listener(
            Chain("subnet-port", new FilterChainMatch { SourcePrefixRanges = { new CidrRange { AddressPrefix = "192.168.1.0", PrefixLen = 24 } }, SourcePorts = { 40000 } }),
            Chain("subnet", new FilterChainMatch { SourcePrefixRanges = { new CidrRange { AddressPrefix = "192.168.0.0", PrefixLen = 16 } } }));

        Assert.Equal("subnet-port", Selected(listener, ConnectionFacts.Plain(Local, Client)));
        Assert.Null(Selected(listener, ConnectionFacts.Plain(Local, new IPEndPoint(Client.Address, 40001))));
        Assert.Equal("subnet", Selected(listener, ConnectionFacts.Plain(Local, new IPEndPoint(IPAddress.Parse("192.168.2.1"), 1))));
    }

    [Fact]
    public void Select_NothingMatches_DefaultChainOrNone()
    {
        var only = Listener(Chain("sni", new FilterChainMatch { ServerNames = { "a.example.com" } }));
        var withDefault = only.Clone();
        withDefault.DefaultFilterChain = Chain("fallback");

        Assert.Null(Selected(only, Tls("b.example.com")));
        Assert.Equal("fallback", Selected(withDefault, Tls("b.example.com")));
    }

    [Fact]
    public void Compile_OverlappingChains_AreRefusedLikeEnvoy()
    {
        var listener = Listener(
            Chain("a", new FilterChainMatch { ServerNames = { "x.example.com", "y.example.com" } }),
            Chain("b", new FilterChainMatch { ServerNames = { "y.example.com" } }));

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(listener));
        Assert.Equal("listener \"l1\": multiple filter chains with overlapping matching rules are defined: a, b", error.Message);
    }

    [Theory]
    [InlineData("a*.example.com")]
    [InlineData("*example.com")]
    public void Compile_PartialWildcard_IsRefused(string name)
    {
        var listener = Listener(Chain("a", new FilterChainMatch { ServerNames = { name } }));

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(listener));
        Assert.Contains($"listener \"l1\": a: filter_chain_match.server_names \"{name}\": partial wildcards", error.Message);
    }

    [Fact]
    public void Compile_BadPrefix_NamesTheField()
    {
        var listener = Listener(Chain("a", new FilterChainMatch { PrefixRanges = { new CidrRange { AddressPrefix = "10.0.0.300", PrefixLen = 8 } } }));

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(listener));
        Assert.Equal("listener \"l1\": a: filter_chain_match.prefix_ranges \"10.0.0.300\": not an IP address", error.Message);
    }

    [Fact]
    public void Select_PerConnection_AllocatesNothing()
    {
        var listener = Listener(
            Chain("exact", new FilterChainMatch { ServerNames = { "www.example.com" }, ApplicationProtocols = { "h2" } }),
            Chain("wildcard", new FilterChainMatch { ServerNames = { "*.example.com" }, PrefixRanges = { new CidrRange { AddressPrefix = "10.0.0.0", PrefixLen = 8 } } }),
            Chain("any"));
        var selector = FilterChainSelector.Compile(listener);
        var facts = Tls("api.b.example.com", "http/1.1", "h2");
        selector.Select(facts);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            selector.Select(facts);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1, selector.Select(facts));
    }

    [Fact]
    public void NeedsTlsInspection_OnlyWhenAChainOrAListenerFilterAsks()
    {
        var plain = Listener(Chain("a", new FilterChainMatch { PrefixRanges = { new CidrRange { AddressPrefix = "10.0.0.0", PrefixLen = 8 } } }));
        var sni = Listener(Chain("a", new FilterChainMatch { ServerNames = { "a.example.com" } }));
        var inspector = Listener(Chain("a"));
        inspector.ListenerFilters.Add(new ListenerFilter { Name = ListenerPlan.TlsInspectorFilter });
        var rawBuffer = Listener(Chain("a", new FilterChainMatch { TransportProtocol = "raw_buffer" }));

        Assert.False(FilterChainSelector.Compile(plain).NeedsTlsInspection);
        Assert.False(FilterChainSelector.Compile(rawBuffer).NeedsTlsInspection);
        Assert.True(FilterChainSelector.Compile(sni).NeedsTlsInspection);
        Assert.True(FilterChainSelector.Compile(inspector).NeedsTlsInspection);
    }
}
