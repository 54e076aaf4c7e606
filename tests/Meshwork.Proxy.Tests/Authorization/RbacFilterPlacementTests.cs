using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Stats;
using EnvoyTcpProxy = Envoy.Extensions.Filters.Network.TcpProxy.V3.TcpProxy;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using NetworkExtAuthz = Envoy.Extensions.Filters.Network.ExtAuthz.V3.ExtAuthz;
using NetworkRbac = Envoy.Extensions.Filters.Network.Rbac.V3.RBAC;

namespace Meshwork.Proxy.Tests.Authorization;

/// <summary>Where RBAC filters may sit: network RBAC before the terminal filter of a chain, HTTP RBAC among an HCM's http_filters.</summary>
public class RbacFilterPlacementTests
{
    private static Filter NetworkRbacFilter() =>
        new() { Name = ListenerPlan.RbacFilter, TypedConfig = Any.Pack(new NetworkRbac { StatPrefix = "tcp.", Rules = new Envoy.Config.Rbac.V3.RBAC() }) };

    private static Filter TcpProxyFilter() =>
        new() { Name = ListenerPlan.TcpProxyFilter, TypedConfig = Any.Pack(new EnvoyTcpProxy { StatPrefix = "t", Cluster = "c" }) };

    [Fact]
    public void Compile_NetworkRbacBeforeTcpProxy_KeepsThemInOrder()
    {
        var chain = new FilterChain { Name = "c1", Filters = { NetworkRbacFilter(), NetworkRbacFilter(), TcpProxyFilter() } };

        var plan = ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } });

        var tcp = Assert.IsType<TcpProxyChainPlan>(plan.Plans[0]);
        Assert.Equal(2, tcp.RbacFilters.Count);
    }

    private static Filter NetworkExtAuthzFilter() => new()
    {
        Name = ListenerPlan.ExtAuthzFilter,
        TypedConfig = Any.Pack(new NetworkExtAuthz
        {
            StatPrefix = "tcp.",
            GrpcService = new Envoy.Config.Core.V3.GrpcService { EnvoyGrpc = new Envoy.Config.Core.V3.GrpcService.Types.EnvoyGrpc { ClusterName = "outbound|9000||authz" } },
        }),
    };

    [Fact]
    public void Compile_NetworkExtAuthzBetweenRbacFilters_RecordsHowManyRunBeforeIt()
    {
        var chain = new FilterChain { Name = "c1", Filters = { NetworkRbacFilter(), NetworkExtAuthzFilter(), NetworkRbacFilter(), NetworkRbacFilter(), TcpProxyFilter() } };

        var plan = ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } });

        var tcp = Assert.IsType<TcpProxyChainPlan>(plan.Plans[0]);
        Assert.Equal(3, tcp.RbacFilters.Count);
        Assert.Equal("outbound|9000||authz", tcp.ExtAuthz?.GrpcService.EnvoyGrpc.ClusterName);
        Assert.Equal(1, tcp.ExtAuthzAt);
    }

    [Fact]
    public void Compile_TwoNetworkExtAuthzFilters_AreRefused()
    {
        var chain = new FilterChain { Name = "c1", Filters = { NetworkExtAuthzFilter(), NetworkExtAuthzFilter(), TcpProxyFilter() } };

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } }));

        Assert.Equal("listener \"l1\": c1: filters[1] \"envoy.filters.network.ext_authz\": one envoy.filters.network.ext_authz filter per chain is supported", error.Message);
    }

    [Fact]
    public void Compile_NetworkRbacAfterTcpProxy_IsRefused()
    {
        var chain = new FilterChain { Name = "c1", Filters = { TcpProxyFilter(), NetworkRbacFilter() } };

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } }));

        Assert.Equal("listener \"l1\": c1: filter \"envoy.filters.network.tcp_proxy\" is terminal and must be the last filter", error.Message);
    }

    [Fact]
    public void Compile_NetworkRbacWithAnotherConfig_NamesTheFilter()
    {
        var chain = new FilterChain { Name = "c1", Filters = { new Filter { Name = ListenerPlan.RbacFilter, TypedConfig = Any.Pack(new EnvoyTcpProxy()) }, TcpProxyFilter() } };

        var error = Assert.Throws<ProxyConfigException>(() => ListenerPlan.Compile(new Listener { Name = "l1", FilterChains = { chain } }));

        Assert.StartsWith("listener \"l1\": c1: filters[0]: filter \"envoy.filters.network.rbac\": typed_config is", error.Message);
    }

    [Fact]
    public void HttpManager_RbacFilters_CompiledInChainOrder()
    {
        var manager = new HttpConnectionManager { StatPrefix = "inbound", RouteConfig = new RouteConfiguration() };
        manager.HttpFilters.Add(new HttpFilter { Name = RbacFilter.HttpName, TypedConfig = Any.Pack(new HttpRbac { Rules = new Envoy.Config.Rbac.V3.RBAC { Action = Envoy.Config.Rbac.V3.RBAC.Types.Action.Deny } }) });
        manager.HttpFilters.Add(new HttpFilter { Name = RbacFilter.HttpName, TypedConfig = Any.Pack(new HttpRbac()) });
        manager.HttpFilters.Add(new HttpFilter { Name = "envoy.filters.http.router" });

        var compiled = new HttpManager(manager, null, null, "l1", inbound: true, new StatsStore());

        Assert.Equal(2, compiled.Rbac.Length);
    }

    [Fact]
    public void HttpManager_RbacWithBadRule_NamesListenerFilterAndField()
    {
        var manager = new HttpConnectionManager { StatPrefix = "inbound", RouteConfig = new RouteConfiguration() };
        var rules = new Envoy.Config.Rbac.V3.RBAC();
        rules.Policies.Add("p", new Envoy.Config.Rbac.V3.Policy { Permissions = { new Envoy.Config.Rbac.V3.Permission { DestinationPort = 70000 } }, Principals = { new Envoy.Config.Rbac.V3.Principal { Any = true } } });
        manager.HttpFilters.Add(new HttpFilter { Name = RbacFilter.HttpName, TypedConfig = Any.Pack(new HttpRbac { Rules = rules }) });

        var error = Assert.Throws<ProxyConfigException>(() => new HttpManager(manager, null, null, "l1", inbound: true, new StatsStore()));

        Assert.Equal("listener \"l1\": http_filters[0] \"envoy.filters.http.rbac\".rules.policies[p].permissions[0].destination_port: 70000 is not a port", error.Message);
    }
}
