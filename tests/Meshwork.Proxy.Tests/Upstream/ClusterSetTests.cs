using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Upstream;
using Meshwork.Xds.Protos;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;
using LbPolicy = Envoy.Config.Cluster.V3.Cluster.Types.LbPolicy;

namespace Meshwork.Proxy.Tests.Upstream;

public class ClusterSetTests
{
    [Fact]
    public void Apply_EndpointOnlyUpdate_KeepsPoolAndStateOfRemainingAddresses()
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        cluster.OutlierDetection = new OutlierDetection { Consecutive5Xx = 1, MaxEjectionPercent = 100 };
        var upstream = set.ApplyOne(cluster, Assignment("c", Host("10.0.0.1"), Host("10.0.0.2"), Host("10.0.0.3")));
        var invoker = upstream.Endpoints[0].Transport.Invoker;
        var kept = upstream.Endpoints.Single(e => e.Host == "10.0.0.2");
        using var lease = kept.StartRequest();
        kept.ReportOutcome(UpstreamOutcome.Http5xx(500));
        Assert.True(kept.IsEjected);

        var same = set.ApplyOne(cluster.Clone(), Assignment("c", Host("10.0.0.2"), Host("10.0.0.4")));

        Assert.Same(upstream, same);
        Assert.Same(invoker, upstream.Endpoints[0].Transport.Invoker);
        var after = upstream.Endpoints.Single(e => e.Host == "10.0.0.2");
        Assert.True(after.IsEjected);
        Assert.Equal(1, after.ActiveRequests);
        Assert.Equal(["10.0.0.2:80", "10.0.0.4:80"], upstream.Endpoints.Select(e => e.Address));
        Assert.Equal(1, upstream.Stats.OutlierEjectionsActive);
    }

    [Fact]
    public async Task Apply_ChangedCluster_NewPoolAndOldOneDisposedAfterGrace()
    {
        var (set, time) = NewSet();
        var upstream = set.ApplyOne(Static("c", ("127.0.0.1", LoopbackPorts.FreePort())));
        var old = upstream.Endpoints[0].Transport.Invoker!;
        var changed = Static("c", ("127.0.0.1", LoopbackPorts.FreePort()));
        changed.ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(3));

        set.ApplyOne(changed);

        Assert.NotSame(old, upstream.Endpoints[0].Transport.Invoker);
        await Assert.ThrowsAsync<HttpRequestException>(() => old.SendAsync(new HttpRequestMessage(HttpMethod.Get, upstream.Endpoints[0].DestinationPrefix), default));
        time.Advance(TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => old.SendAsync(new HttpRequestMessage(HttpMethod.Get, upstream.Endpoints[0].DestinationPrefix), default));
    }

    [Fact]
    public void Apply_ChangeThatDoesNotConcernConnections_KeepsThePoolAndEndsOutlierEjections()
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        cluster.OutlierDetection = new OutlierDetection { Consecutive5Xx = 1, MaxEjectionPercent = 100 };
        var upstream = set.ApplyOne(cluster, Assignment("c", Host("10.0.0.1"), Host("10.0.0.2")));
        var invoker = upstream.Endpoints[0].Transport.Invoker;
        upstream.Endpoints[0].ReportOutcome(UpstreamOutcome.Http5xx(500));
        Assert.True(upstream.Endpoints[0].IsEjected);
        var changed = cluster.Clone();
        changed.LbPolicy = LbPolicy.Random;
        changed.OutlierDetection = null;

        set.ApplyOne(changed, Assignment("c", Host("10.0.0.1"), Host("10.0.0.2")));

        Assert.Equal(UpstreamLbPolicy.Random, upstream.LbPolicy);
        Assert.Same(invoker, upstream.Endpoints[0].Transport.Invoker);
        Assert.False(upstream.Endpoints[0].IsEjected);
        Assert.Equal(0, upstream.Stats.OutlierEjectionsActive);
    }

    [Fact]
    public void Apply_RemovedCluster_IsGoneButItsPoolLivesThroughTheGracePeriod()
    {
        var (set, time) = NewSet();
        var upstream = set.ApplyOne(Static("gone", ("127.0.0.1", 9)));
        var handler = upstream.Transports[0].Handler!;

        set.Apply(new Dictionary<string, Cluster>(), new Dictionary<string, ClusterLoadAssignment>());

        Assert.False(set.TryGet("gone", out _));
        Assert.Equal(TimeSpan.FromSeconds(4), handler.PooledConnectionIdleTimeout);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Throws<ObjectDisposedException>(() => handler.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Apply_InvalidCluster_ThrowsNamingClusterAndFieldAndChangesNothing()
    {
        var (set, _) = NewSet();
        set.ApplyOne(Eds("good"), Assignment("good", Host("10.0.0.1")));
        var bad = Eds("bad", LbPolicy.Maglev);
        bad.MaglevLbConfig = new Cluster.Types.MaglevLbConfig { TableSize = 1000 };

        var error = Assert.Throws<ProxyConfigException>(() => set.Apply(new Dictionary<string, Cluster> { ["bad"] = bad }, new Dictionary<string, ClusterLoadAssignment>()));

        Assert.Equal("cluster \"bad\": maglev_lb_config.table_size 1000 must be a prime number up to 5000011", error.Message);
        Assert.True(set.TryGet("good", out _));
        Assert.False(set.TryGet("bad", out _));
    }

    [Theory]
    [InlineData("not-an-ip", "cluster \"c\": ClusterLoadAssignment \"c\".endpoints[0].lb_endpoints[0].endpoint.address: malformed IP address: not-an-ip")]
    [InlineData("10.0.0.1", null)]
    public void Compile_EdsAddress_MustBeAnIp(string address, string? expected)
    {
        var compile = () => ClusterSet.Compile(
            new Dictionary<string, Cluster> { ["c"] = Eds("c") },
            new Dictionary<string, ClusterLoadAssignment> { ["c"] = Assignment("c", Host(address)) },
            new UpstreamOptions());

        if (expected == null)
        {
            Assert.Equal(1, compile().Count);
        }
        else
        {
            Assert.Equal(expected, Assert.Throws<ProxyConfigException>(compile).Message);
        }
    }

    [Fact]
    public void Compile_PriorityGap_NamesTheAssignment()
    {
        var assignment = new ClusterLoadAssignment { ClusterName = "c", Endpoints = { Locality("a", 1, 0, Host("10.0.0.1")), Locality("b", 1, 2, Host("10.0.0.2")) } };

        var error = Assert.Throws<ProxyConfigException>(() => ClusterSet.Compile(
            new Dictionary<string, Cluster> { ["c"] = Eds("c") },
            new Dictionary<string, ClusterLoadAssignment> { ["c"] = assignment },
            new UpstreamOptions()));

        Assert.Equal("cluster \"c\": ClusterLoadAssignment \"c\".endpoints: priorities must run from 0 without gaps, got 0, 2", error.Message);
    }

    [Fact]
    public void Compile_UnsupportedTransportSocket_NamesTheField()
    {
        var cluster = Eds("c");
        cluster.TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.alts", TypedConfig = Any.Pack(new Empty()) };

        var error = Assert.Throws<ProxyConfigException>(() => ClusterSet.Compile(new Dictionary<string, Cluster> { ["c"] = cluster }, new Dictionary<string, ClusterLoadAssignment>(), new UpstreamOptions()));

        Assert.StartsWith("cluster \"c\": transport_socket: transport socket \"envoy.transport_sockets.alts\"", error.Message);
    }

    [Fact]
    public void Apply_EdsClusterWithoutAssignment_HasNoEndpointsYet()
    {
        var (set, _) = NewSet();

        var upstream = set.ApplyOne(Eds("c"));

        Assert.Empty(upstream.Endpoints);
        Assert.Null(upstream.Pick(default));
    }

    [Fact]
    public void Apply_InboundClusterInLocalMode_GoesToTheMappedAppAddress()
    {
        var options = new UpstreamOptions { InboundAppAddresses = new Dictionary<int, DnsEndPoint> { [9080] = new("127.0.0.7", 19080) } };
        var (set, _) = NewSet(options: options);

        var upstream = set.ApplyOne(Static("inbound|9080||", ("127.0.0.1", 9080)));

        Assert.Equal("http://127.0.0.7:19080", upstream.Pick(default)!.DestinationPrefix);
    }

    [Fact]
    public void Pick_OriginalDst_ReturnsTheRequestsDestinationAndKeepsItsState()
    {
        var (set, _) = NewSet();
        var cluster = new Cluster { Name = "PassthroughCluster", Type = Cluster.Types.DiscoveryType.OriginalDst, LbPolicy = LbPolicy.ClusterProvided };
        var upstream = set.ApplyOne(cluster);

        var first = upstream.Pick(new PickContext(OriginalHost: "10.1.2.3", OriginalPort: 8080))!;
        var again = upstream.Pick(new PickContext(OriginalHost: "10.1.2.3", OriginalPort: 8080))!;

        Assert.Equal("http://10.1.2.3:8080", first.DestinationPrefix);
        Assert.Same(first, again);
        Assert.Null(upstream.Pick(default));
    }

    [Fact]
    public async Task RefreshDns_StrictDnsLocalhost_ResolvesToLoopbackEndpoints()
    {
        var (set, _) = NewSet();
        var cluster = Static("outbound|80||localhost", ("localhost", 8080));
        cluster.Type = Cluster.Types.DiscoveryType.StrictDns;
        cluster.DnsLookupFamily = Cluster.Types.DnsLookupFamily.V4Only;
        var upstream = set.ApplyOne(cluster);

        await upstream.RefreshDnsAsync();

        Assert.Equal(["127.0.0.1:8080"], upstream.Endpoints.Select(e => e.Address));
    }

    [Fact]
    public async Task RefreshDns_FailedLookup_KeepsTheLastGoodAddresses()
    {
        var fail = false;
        var (set, _) = NewSet(options: new UpstreamOptions
        {
            ResolveHost = (_, _, _) => fail ? Task.FromException<IPAddress[]>(new SocketException()) : Task.FromResult(new[] { IPAddress.Parse("10.9.9.9") }),
        });
        var cluster = Static("dns", ("svc.example", 80));
        cluster.Type = Cluster.Types.DiscoveryType.StrictDns;
        var upstream = set.ApplyOne(cluster);
        await upstream.RefreshDnsAsync();
        Assert.Equal(["10.9.9.9:80"], upstream.Endpoints.Select(e => e.Address));
        fail = true;

        await upstream.RefreshDnsAsync();

        Assert.Equal(["10.9.9.9:80"], upstream.Endpoints.Select(e => e.Address));
    }

    [Theory]
    [InlineData("explicit-h2", 1, "2.0")]
    [InlineData("downstream", 2, "2.0")]
    [InlineData("downstream", 1, "1.1")]
    [InlineData("none", 2, "1.1")]
    public void HttpVersion_FollowsTheUpstreamProtocolOptions(string options, int downstreamMajor, string expected)
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        var http = new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions();
        if (options == "explicit-h2")
        {
            http.ExplicitHttpConfig = new() { Http2ProtocolOptions = new Http2ProtocolOptions() };
        }
        else if (options == "downstream")
        {
            http.UseDownstreamProtocolConfig = new() { HttpProtocolOptions = new Http1ProtocolOptions(), Http2ProtocolOptions = new Http2ProtocolOptions() };
        }

        if (options != "none")
        {
            cluster.TypedExtensionProtocolOptions[ClusterCompiler.HttpOptionsExtension] = Any.Pack(http);
        }

        var (version, policy) = set.ApplyOne(cluster).HttpVersion(new Version(downstreamMajor, downstreamMajor == 1 ? 1 : 0));

        Assert.Equal(Version.Parse(expected), version);
        Assert.Equal(HttpVersionPolicy.RequestVersionExact, policy);
    }

    [Theory]
    [InlineData(null, 4)]
    [InlineData(300, 4)]
    [InlineData(2, 2)]
    public void Transport_IdleTimeout_IsCappedBelowCommonServerKeepAlive(int? idleSeconds, int expectedSeconds)
    {
        var (set, _) = NewSet();
        var cluster = Eds("c");
        if (idleSeconds is { } idle)
        {
            var http = new Envoy.Extensions.Upstreams.Http.V3.HttpProtocolOptions { CommonHttpProtocolOptions = new HttpProtocolOptions { IdleTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(idle)) } };
            cluster.TypedExtensionProtocolOptions[ClusterCompiler.HttpOptionsExtension] = Any.Pack(http);
        }

        var handler = set.ApplyOne(cluster).Transports[0].Handler!;

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), handler.PooledConnectionIdleTimeout);
        Assert.False(handler.UseProxy);
        Assert.False(handler.UseCookies);
        Assert.False(handler.AllowAutoRedirect);
        Assert.Null(handler.ActivityHeadersPropagator);
        Assert.Equal(TimeSpan.FromSeconds(1), handler.ConnectTimeout);
    }

    /// <summary>Every cluster and assignment Pilot's goldens hold compiles, and the whole set applies.</summary>
    [Fact]
    public void Compile_EveryPilotGolden_Succeeds()
    {
        var cases = Directory.GetDirectories(TestData()).Where(d => File.Exists(Path.Combine(d, "cds.json"))).ToList();
        Assert.NotEmpty(cases);
        var total = 0;
        foreach (var dir in cases)
        {
            var clusters = Resources<Cluster>(Path.Combine(dir, "cds.json")).ToDictionary(c => c.Name);
            var endpoints = File.Exists(Path.Combine(dir, "eds.json"))
                ? Resources<ClusterLoadAssignment>(Path.Combine(dir, "eds.json")).ToDictionary(c => c.ClusterName)
                : [];
            var options = new UpstreamOptions { ResolveHost = (_, _, _) => Task.FromResult(new[] { IPAddress.Loopback }) };
            var compiled = ClusterSet.Compile(clusters, endpoints, options);
            using var set = new ClusterSet(options);
            set.Apply(compiled);
            total += compiled.Count;
        }

        Assert.True(total > 100, $"only {total} clusters compiled");
    }

    /// <summary>Pilot's locality failover: every request goes to the priority-0 host (the proxy's own locality) while it is healthy.</summary>
    [Fact]
    public void Simulate_PilotLocalityFailoverGolden_StaysInTheProxysLocality()
    {
        using var set = GoldenSet("locality-failover-priority");

        Assert.True(set.TryGet("outbound|9080||ratings.shop.svc.cluster.local", out var ratings));
        Assert.Equal(["10.2.0.23:9080"], Distribution(ratings, 50).Keys);
    }

    /// <summary>Pilot's auto mTLS: endpoints with a sidecar need Istio mTLS (not available yet), the others get plaintext.</summary>
    [Fact]
    public void Simulate_PilotAutoMtlsGolden_ChoosesTransportPerEndpoint()
    {
        using var set = GoldenSet("cds-auto-mtls");

        Assert.True(set.TryGet("outbound|9080||catalog.shop.svc.cluster.local", out var catalog));
        var byHost = catalog.Endpoints.ToDictionary(e => e.Host);
        Assert.StartsWith("TLS credentials unavailable", byHost["10.3.0.2"].Transport.UnavailableReason);
        Assert.Equal("http://10.3.0.20:9080", byHost["10.3.0.20"].DestinationPrefix);
        Assert.NotNull(byHost["10.3.0.20"].Transport.Invoker);
    }

    private static ClusterSet GoldenSet(string name)
    {
        var dir = Path.Combine(TestData(), name);
        var options = new UpstreamOptions { ResolveHost = (_, _, _) => Task.FromResult(new[] { IPAddress.Loopback }) };
        var set = new ClusterSet(options);
        set.Apply(
            Resources<Cluster>(Path.Combine(dir, "cds.json")).ToDictionary(c => c.Name),
            Resources<ClusterLoadAssignment>(Path.Combine(dir, "eds.json")).ToDictionary(c => c.ClusterName));
        return set;
    }

    private static string TestData()
    {
        var root = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(root, "tests", "Meshwork.Pilot.Tests", "testdata")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("testdata not found");
        }

        return Path.Combine(root, "tests", "Meshwork.Pilot.Tests", "testdata");
    }

    private static IEnumerable<T> Resources<T>(string path)
        where T : Google.Protobuf.IMessage<T>, new()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var element in document.RootElement.EnumerateArray())
        {
            yield return XdsJson.Parser.Parse<Any>(element.GetRawText()).Unpack<T>();
        }
    }
}
