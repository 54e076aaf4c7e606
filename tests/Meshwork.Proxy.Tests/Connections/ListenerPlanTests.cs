using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Connections;
using EnvoyTcpProxy = Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy;
using TlsCertificate = Envoy.Extensions.TransportSockets.Tls.V3.TlsCertificate;

namespace Meshwork.Proxy.Tests.Connections;

public class ListenerPlanTests
{
    [Fact]
    public void Compile_UnknownNetworkFilter_NamesListenerChainAndFilter()
    {
        var chain = new FilterChain { Name = "c1", Filters = { new Filter { Name = "envoy.filters.network.redis_proxy", TypedConfig = Any.Pack(new Empty()) } } };

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } }));

        Assert.StartsWith("listener \"l1\": c1: filter \"envoy.filters.network.redis_proxy\": unknown network filter", error.Message);
    }

    [Fact]
    public void Compile_UnknownListenerFilter_IsRefused()
    {
        var listener = new Listener { Name = "l1", FilterChains = { FilterChainSelectorTests.Chain("c1") } };
        listener.ListenerFilters.Add(new ListenerFilter { Name = "envoy.filters.listener.original_dst" });

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(listener));

        Assert.StartsWith("listener \"l1\": listener_filters \"envoy.filters.listener.original_dst\": unknown listener filter", error.Message);
    }

    [Fact]
    public void Compile_FilterWithWrongTypedConfig_NamesBothTypes()
    {
        var chain = new FilterChain { Filters = { new Filter { Name = ListenerPlan.TcpProxyFilter, TypedConfig = Any.Pack(new HttpConnectionManager()) } } };

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } }));

        Assert.Equal("listener \"l1\": filter_chains[0]: filter \"envoy.filters.network.tcp_proxy\": typed_config is type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager, expected envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy", error.Message);
    }

    [Fact]
    public void Compile_TcpProxyWithoutDestination_IsRefused()
    {
        var chain = new FilterChain { Filters = { new Filter { Name = ListenerPlan.TcpProxyFilter, TypedConfig = Any.Pack(new EnvoyTcpProxy { StatPrefix = "p" }) } } };

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } }));

        Assert.Equal("listener \"l1\": filter_chains[0]: envoy.filters.network.tcp_proxy: needs cluster or weighted_clusters", error.Message);
    }

    [Fact]
    public void Compile_TcpProxyIdleTimeout_ZeroDisablesAndDefaultIsOneHour()
    {
        var off = TcpProxySettings.Compile(new EnvoyTcpProxy { StatPrefix = "p", Cluster = "c", IdleTimeout = Duration.FromTimeSpan(TimeSpan.Zero) }, "l");
        var unset = TcpProxySettings.Compile(new EnvoyTcpProxy { StatPrefix = "p", Cluster = "c" }, "l");

        Assert.Equal(TimeSpan.Zero, off.IdleTimeout);
        Assert.Equal(TimeSpan.FromHours(1), unset.IdleTimeout);
    }

    [Theory]
    [InlineData(HttpConnectionManager.Types.CodecType.Auto, new[] { "h2", "http/1.1" })]
    [InlineData(HttpConnectionManager.Types.CodecType.Http1, new[] { "http/1.1" })]
    [InlineData(HttpConnectionManager.Types.CodecType.Http2, new[] { "h2" })]
    public void Compile_TerminatingHttpChainWithoutAlpn_OffersWhatTheCodecSpeaks(HttpConnectionManager.Types.CodecType codec, string[] expected)
    {
        using var directory = new TempDirectory();
        var (certificate, key) = TestCertificates.WritePem(TestCertificates.CreateLeaf(["a.test"]), directory.Path, "a");
        var tls = new DownstreamTlsContext
        {
            CommonTlsContext = new CommonTlsContext { TlsCertificates = { new TlsCertificate { CertificateChain = new DataSource { Filename = certificate }, PrivateKey = new DataSource { Filename = key } } } },
        };
        var manager = new HttpConnectionManager { StatPrefix = "s", CodecType = codec, Rds = new Rds { RouteConfigName = "r" } };
        var chain = new FilterChain
        {
            TransportSocket = new TransportSocket { Name = DownstreamTls.TransportSocketName, TypedConfig = Any.Pack(tls) },
            Filters = { new Filter { Name = ListenerPlan.HttpConnectionManagerFilter, TypedConfig = Any.Pack(manager) } },
        };

        var plan = Assert.IsType<HttpChainPlan>(ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } }).Plans[0]);

        Assert.Equal(expected, plan.Tls!.ApplicationProtocols);
    }
}
