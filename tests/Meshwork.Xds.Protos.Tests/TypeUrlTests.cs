using Envoy.Config.Cluster.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.Fault.V3;
using Envoy.Extensions.Filters.Http.Router.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using CorsFilter = Envoy.Extensions.Filters.Http.Cors.V3;
using UpstreamHttp = Envoy.Extensions.Upstreams.Http.V3;

namespace Meshwork.Xds.Protos.Tests;

// Clients compare these byte for byte with DiscoveryResponse.type_url (xds-wire.md §2, gotcha 9).
public class TypeUrlTests
{
    private static readonly Dictionary<string, IMessage> Messages = new()
    {
        ["envoy.config.listener.v3.Listener"] = new Listener(),
        ["envoy.config.route.v3.RouteConfiguration"] = new RouteConfiguration(),
        ["envoy.config.cluster.v3.Cluster"] = new Cluster(),
        ["envoy.config.endpoint.v3.ClusterLoadAssignment"] = new ClusterLoadAssignment(),
        ["envoy.extensions.transport_sockets.tls.v3.Secret"] = new Secret(),
        ["envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"] = new HttpConnectionManager(),
        ["envoy.extensions.filters.http.router.v3.Router"] = new Router(),
        ["envoy.extensions.filters.http.fault.v3.HTTPFault"] = new HTTPFault(),
        ["envoy.extensions.filters.http.cors.v3.Cors"] = new CorsFilter.Cors(),
        ["envoy.extensions.filters.http.cors.v3.CorsPolicy"] = new CorsFilter.CorsPolicy(),
        ["envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"] = new UpstreamTlsContext(),
        ["envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"] = new DownstreamTlsContext(),
        ["envoy.config.route.v3.FilterConfig"] = new FilterConfig(),
        ["envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"] = new TcpProxy(),
        ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] = new UpstreamHttp.HttpProtocolOptions(),
        ["envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"] = new Envoy.Extensions.TransportSockets.RawBuffer.V3.RawBuffer(),
        ["envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport"] = new Envoy.Extensions.TransportSockets.ProxyProtocol.V3.ProxyProtocolUpstreamTransport(),
        ["envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"] = new Envoy.Extensions.Filters.Listener.TlsInspector.V3.TlsInspector(),
        ["envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"] = new Envoy.Extensions.Retry.Host.PreviousHosts.V3.PreviousHostsPredicate(),
        ["envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig"] = new Envoy.Extensions.Retry.Priority.PreviousPriorities.V3.PreviousPrioritiesConfig(),
    };

    public static TheoryData<string> FullNames => new(Messages.Keys);

    [Theory]
    [MemberData(nameof(FullNames))]
    public void AnyPack_EnvoyResource_HasEnvoysTypeUrl(string fullName)
    {
        var any = Any.Pack(Messages[fullName]);

        Assert.Equal("type.googleapis.com/" + fullName, any.TypeUrl);
    }

    [Fact]
    public void AnyPack_XdsWireTable_MatchesExactly()
    {
        Assert.Equal("type.googleapis.com/envoy.config.listener.v3.Listener", Any.Pack(new Listener()).TypeUrl);
        Assert.Equal("type.googleapis.com/envoy.config.route.v3.RouteConfiguration", Any.Pack(new RouteConfiguration()).TypeUrl);
        Assert.Equal("type.googleapis.com/envoy.config.cluster.v3.Cluster", Any.Pack(new Cluster()).TypeUrl);
        Assert.Equal("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", Any.Pack(new ClusterLoadAssignment()).TypeUrl);
    }
}
