using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;

namespace Meshwork.Pilot.Tests.Generators.Listeners;

public class ListenerGeneratorTests
{
    private static readonly ProxyNode Mongo = RouteTestMesh.Proxy("mongo-client", "127.0.0.10", "app=mongo-client", ports: "mongo=27017");

    private static readonly string Services =
        RouteTestMesh.Service("mongo-client", ports: "{number: 27017, name: mongo, protocol: MONGO}") +
        RouteTestMesh.Service("mongodb", ports: "{number: 27017, name: mongo, protocol: MONGO}") +
        RouteTestMesh.Service("reviews");

    [Fact]
    public void Generate_InboundPortEqualsOutboundTcpPort_InboundKeepsTheName()
    {
        var snapshot = RouteTestMesh.Snapshot(Services, [Mongo]);

        var listeners = new ListenerGenerator().Generate(snapshot, Mongo, null).Select(r => r.Resource.Unpack<Listener>()).ToList();

        Assert.Equal(["127.0.0.10_27017", "virtualOutbound"], listeners.Select(l => l.Name));
        Assert.Equal(Envoy.Config.Core.V3.TrafficDirection.Inbound, listeners[0].TrafficDirection);
    }

    [Fact]
    public void Generate_NamesGiven_OnlyThoseListeners()
    {
        var snapshot = RouteTestMesh.Snapshot(Services, [Mongo]);

        var listeners = new ListenerGenerator().Generate(snapshot, Mongo, new HashSet<string> { "virtualOutbound", "missing" });

        Assert.Equal(["virtualOutbound"], listeners.Select(l => l.Name));
    }

    [Fact]
    public void Generate_VirtualOutbound_AcceptsProxyFormOnTheProxyAddressWithRouterLast()
    {
        var snapshot = RouteTestMesh.Snapshot(Services, [Mongo]);

        var listener = new ListenerGenerator().Generate(snapshot, Mongo, new HashSet<string> { "virtualOutbound" }).Single().Resource.Unpack<Listener>();

        Assert.Equal(("127.0.0.10", 15001u), (listener.Address.SocketAddress.Address, listener.Address.SocketAddress.PortValue));
        var manager = listener.FilterChains.Single().Filters.Single().TypedConfig.Unpack<HttpConnectionManager>();
        Assert.True(manager.HttpProtocolOptions.AllowAbsoluteUrl);
        Assert.Equal("outbound", manager.Rds.RouteConfigName);
        Assert.Equal(["istio.metadata_exchange", "envoy.filters.http.fault", "envoy.filters.http.cors", "istio.stats", "envoy.filters.http.router"], manager.HttpFilters.Select(f => f.Name));
    }

    [Fact]
    public void Generate_ProxylessUnknownName_NoListener()
    {
        var client = RouteTestMesh.Proxy("grpc-client", "127.0.0.20", "app=grpc-client", ports: "", generator: "grpc");
        var snapshot = RouteTestMesh.Snapshot(Services, [client]);

        var listeners = new ListenerGenerator().Generate(snapshot, client, new HashSet<string> { "reviews:9080", "nothing.default.svc.cluster.local:1" });

        var listener = Assert.Single(listeners).Resource.Unpack<Listener>();
        Assert.Equal("reviews:9080", listener.Name);
        Assert.Empty(listener.FilterChains);
        var manager = listener.ApiListener.ApiListener_.Unpack<HttpConnectionManager>();
        Assert.Equal("reviews:9080", manager.Rds.RouteConfigName);
        Assert.True(manager.Rds.ConfigSource.Ads != null);
        Assert.Equal("envoy.filters.http.router", manager.HttpFilters.Last().Name);
    }

    [Fact]
    public void Concerns_VirtualServiceChange_OnlySidecarsWithTcpOrTlsEgress()
    {
        var virtualService = PushRequest.ForConfig(["VirtualService/default/reviews"], DateTimeOffset.UnixEpoch);
        var gateway = PushRequest.ForConfig(["Gateway/default/edge"], DateTimeOffset.UnixEpoch);
        var rule = PushRequest.ForConfig(["VirtualService/default/reviews", "DestinationRule/default/reviews"], DateTimeOffset.UnixEpoch);
        var httpOnly = RouteTestMesh.Snapshot(RouteTestMesh.Service("reviews") + RouteTestMesh.Service("ratings"), [Mongo]);
        var withMongo = RouteTestMesh.Snapshot(Services, [Mongo]);
        var router = RouteTestMesh.Proxy("ingress", "127.0.0.11", "istio=ingressgateway", type: "router");
        var generator = new ListenerGenerator();

        Assert.False(generator.Concerns(virtualService, Mongo, httpOnly));
        Assert.True(generator.Concerns(virtualService, Mongo, withMongo));
        Assert.False(generator.Concerns(gateway, Mongo, withMongo));
        Assert.True(generator.Concerns(gateway, router, withMongo));
        Assert.True(generator.Concerns(virtualService, router, httpOnly));
        Assert.True(generator.Concerns(rule, Mongo, httpOnly));
    }

    [Fact]
    public void Concerns_PeerAuthenticationAuthorizationPolicyOrTelemetryChange_RebuildsSidecarListenersButGatewayDoesNot()
    {
        var peer = PushRequest.ForConfig(["PeerAuthentication/istio-system/default"], DateTimeOffset.UnixEpoch);
        var authz = PushRequest.ForConfig(["AuthorizationPolicy/default/deny"], DateTimeOffset.UnixEpoch);
        var telemetry = PushRequest.ForConfig(["Telemetry/default/logs"], DateTimeOffset.UnixEpoch);
        var gateway = PushRequest.ForConfig(["Gateway/default/edge"], DateTimeOffset.UnixEpoch);
        var snapshot = RouteTestMesh.Snapshot(RouteTestMesh.Service("reviews"), [Mongo]);

        Assert.True(new ListenerGenerator().Concerns(peer, Mongo, snapshot));
        Assert.True(new ListenerGenerator().Concerns(authz, Mongo, snapshot));
        Assert.True(new ListenerGenerator().Concerns(telemetry, Mongo, snapshot)); // access logs and metric overrides
        Assert.False(new ListenerGenerator().Concerns(gateway, Mongo, snapshot));
    }

    [Fact]
    public void Concerns_WorkloadEntryChange_SidecarListenersOnlyWhenTheWorkloadIsTheProxysOwn()
    {
        var snapshot = RouteTestMesh.Snapshot(Services, [Mongo]);
        var now = DateTimeOffset.UnixEpoch;
        var config = PushRequest.ForConfig(["WorkloadEntry/default/vm-1"], now);
        var elsewhere = config.Merge(PushRequest.ForWorkloads(["reviews.default.svc.cluster.local"], ["10.9.9.9"], now));
        var atTheProxy = config.Merge(PushRequest.ForWorkloads(["reviews.default.svc.cluster.local"], [Mongo.IpAddress], now));

        Assert.False(new ListenerGenerator().Concerns(config, Mongo, snapshot));
        Assert.False(new ListenerGenerator().Concerns(elsewhere.For(Mongo), Mongo, snapshot));
        Assert.True(new ListenerGenerator().Concerns(atTheProxy.For(Mongo), Mongo, snapshot));
    }

    [Fact]
    public void Concerns_EndpointOnlyPush_NeitherListenersNorRoutes()
    {
        var endpoints = PushRequest.ForEndpoints(["reviews.default.svc.cluster.local"], DateTimeOffset.UnixEpoch);
        var config = PushRequest.ForConfig(["VirtualService/default/reviews"], DateTimeOffset.UnixEpoch);
        var services = PushRequest.ForServices(["www.example.com"], DateTimeOffset.UnixEpoch);

        Assert.False(new ListenerGenerator().Concerns(endpoints, Mongo));
        Assert.False(new RouteGenerator().Concerns(endpoints, Mongo));
        Assert.True(new ListenerGenerator().Concerns(config, Mongo));
        Assert.True(new RouteGenerator().Concerns(services, Mongo));
    }

    [Fact]
    public void Concerns_EndpointPushNamingTheProxysOwnService_ListenersAndClusters()
    {
        var snapshot = RouteTestMesh.Snapshot(Services, [Mongo]);
        var own = PushRequest.ForEndpoints(["mongo-client.default.svc.cluster.local"], DateTimeOffset.UnixEpoch);
        var other = PushRequest.ForEndpoints(["reviews.default.svc.cluster.local"], DateTimeOffset.UnixEpoch);

        Assert.True(new ListenerGenerator().Concerns(own, Mongo, snapshot));
        Assert.True(new Meshwork.Pilot.Generators.Clusters.ClusterGenerator().Concerns(own, Mongo, snapshot));
        Assert.False(new ListenerGenerator().Concerns(other, Mongo, snapshot));
        Assert.False(new Meshwork.Pilot.Generators.Clusters.ClusterGenerator().Concerns(other, Mongo, snapshot));
    }

    [Fact]
    public void Generate_UnknownSidecarRouteTable_EmptyTableNotNothing()
    {
        var snapshot = RouteTestMesh.Snapshot(Services, [Mongo]);

        var table = new RouteGenerator().Generate(snapshot, Mongo, new HashSet<string> { "9999" }).Single().Resource.Unpack<RouteConfiguration>();

        Assert.Equal("9999", table.Name);
        Assert.Empty(table.VirtualHosts);
    }
}
