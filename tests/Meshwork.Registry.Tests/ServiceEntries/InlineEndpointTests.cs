using Meshwork.Registry.Model;
using Meshwork.Registry.ServiceEntries;
using Meshwork.Registry.Tests.Support;

namespace Meshwork.Registry.Tests.ServiceEntries;

public class InlineEndpointTests
{
    private static RegistrySnapshot Static(string endpoints, string ports = "[{number: 80, name: http, protocol: HTTP}, {number: 9090, name: grpc, protocol: GRPC, targetPort: 9091}]") =>
        TestConfig.Registry($"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {"{"}name: vm, namespace: shop{"}"}
            spec:
              hosts: [vm.shop.internal]
              ports: {ports}
              location: MESH_INTERNAL
              resolution: STATIC
              endpoints: {endpoints}
            """);

    [Fact]
    public void Convert_InlineEndpoint_OneEndpointPerServicePort()
    {
        var registry = Static("[{address: 10.0.0.1}]");

        var http = Assert.Single(registry.EndpointsFor("vm.shop.internal", 80));
        Assert.Equal(("10.0.0.1", 80u, "http", "shop"), (http.Address, http.Port, http.ServicePortName, http.ServiceNamespace));
        Assert.Single(registry.EndpointsFor("vm.shop.internal", 9090));
        Assert.Empty(registry.EndpointsFor("vm.shop.internal", 9091));
    }

    [Fact]
    public void Convert_EndpointPort_NamedPortThenTargetPortThenServicePort()
    {
        var registry = Static("[{address: 10.0.0.1, ports: {http: 8080}}, {address: 10.0.0.2}]");

        Assert.Equal([8080u, 80u], registry.EndpointsFor("vm.shop.internal", 80).Select(e => e.Port));
        Assert.Equal([9091u, 9091u], registry.EndpointsFor("vm.shop.internal", 9090).Select(e => e.Port));
    }

    [Fact]
    public void Convert_UnixSocketEndpoint_PortZeroAndAddressKept()
    {
        var registry = Static("[{address: 'unix:///var/run/app.sock'}]", "[{number: 80, name: http, protocol: HTTP}]");

        var endpoint = Assert.Single(registry.EndpointsFor("vm.shop.internal", 80));
        Assert.Equal("unix:///var/run/app.sock", endpoint.Address);
        Assert.Equal(0u, endpoint.Port);
        Assert.True(endpoint.IsUnixSocket);
    }

    [Fact]
    public void Convert_EndpointAttributes_LabelsLocalityWeightNetworkAccount()
    {
        var registry = Static("""
            [{address: 10.0.0.1, labels: {app: vm, version: v2}, locality: us-east/zone-a/rack-1, weight: 5, network: net-1, serviceAccount: vm-sa}]
            """);

        var endpoint = registry.EndpointsFor("vm.shop.internal", 80).Single();
        Assert.Equal("v2", endpoint.Labels["version"]);
        Assert.Equal("vm", endpoint.Labels["app"]);
        Assert.Equal("us-east/zone-a/rack-1", endpoint.Locality);
        Assert.Equal(5u, endpoint.Weight);
        Assert.Equal("net-1", endpoint.Network);
        Assert.Equal("vm-sa", endpoint.ServiceAccount);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/vm-sa", endpoint.Identity("cluster.local"));
        Assert.Equal(WorkloadHealth.Healthy, endpoint.Health);
    }

    [Fact]
    public void Convert_EndpointLabels_AugmentedWithTopologyAsIstioDoes()
    {
        var registry = Static("[{address: 10.0.0.1, labels: {app: vm}, locality: us-east/zone-a/rack-1, network: net-1}]");

        var labels = registry.EndpointsFor("vm.shop.internal", 80).Single().Labels;
        Assert.Equal("us-east", labels[IstioLabels.TopologyRegion]);
        Assert.Equal("zone-a", labels[IstioLabels.TopologyZone]);
        Assert.Equal("rack-1", labels[IstioLabels.TopologySubzone]);
        Assert.Equal("net-1", labels[IstioLabels.TopologyNetwork]);
        Assert.Equal(5, labels.Count);
    }

    [Fact]
    public void Convert_NoLocality_ReadFromIstioLocalityLabelWithDotsAsSlashes()
    {
        var registry = Static("[{address: 10.0.0.1, labels: {istio-locality: eu-west.zone-b}}]");

        Assert.Equal("eu-west/zone-b", registry.EndpointsFor("vm.shop.internal", 80).Single().Locality);
    }

    [Fact]
    public void Convert_WeightZero_BecomesOne()
    {
        var registry = Static("[{address: 10.0.0.1}]");

        Assert.Equal(1u, registry.EndpointsFor("vm.shop.internal", 80).Single().Weight);
    }

    [Fact]
    public void Convert_NoServiceAccount_NoneAndNoIdentity()
    {
        var endpoint = Static("[{address: 10.0.0.1}]").EndpointsFor("vm.shop.internal", 80).Single();

        Assert.Equal(string.Empty, endpoint.ServiceAccount);
        Assert.Null(endpoint.Identity("cluster.local"));
    }

    [Theory]
    [InlineData("{address: 10.0.0.1, labels: {security.istio.io/tlsMode: istio}}", EndpointTlsMode.Istio)]
    [InlineData("{address: 10.0.0.1, serviceAccount: sa}", EndpointTlsMode.Istio)]
    [InlineData("{address: 10.0.0.1, serviceAccount: sa, labels: {security.istio.io/tlsMode: disabled}}", EndpointTlsMode.Disabled)]
    [InlineData("{address: 10.0.0.1}", EndpointTlsMode.Disabled)]
    public void Convert_TlsMode_LabelElseServiceAccountElseDisabled(string endpoint, EndpointTlsMode expected)
    {
        var registry = Static($"[{endpoint}]");

        Assert.Equal(expected, registry.EndpointsFor("vm.shop.internal", 80).Single().TlsMode);
    }

    [Fact]
    public void Convert_DnsWithHostnameEndpoints_AddressesAreNames()
    {
        var registry = TestConfig.Registry("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: db, namespace: shop}
            spec:
              hosts: [db.example.com]
              ports: [{number: 5432, name: tcp-pg, protocol: TCP}]
              resolution: DNS
              endpoints: [{address: db-1.example.com}, {address: db-2.example.com, ports: {tcp-pg: 6432}}]
            """);

        Assert.Equal(
            [("db-1.example.com", 5432u), ("db-2.example.com", 6432u)],
            registry.EndpointsFor("db.example.com", 5432).Select(e => (e.Address, e.Port)));
    }

    [Fact]
    public void Convert_DnsWithoutEndpoints_TheHostIsTheEndpoint()
    {
        var registry = TestConfig.Registry("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: google, namespace: shop}
            spec:
              hosts: [www.google.com, maps.google.com]
              ports: [{number: 443, name: tls, protocol: TLS}, {number: 80, name: http, protocol: HTTP, targetPort: 8080}]
              resolution: DNS
            """);

        var tls = Assert.Single(registry.EndpointsFor("www.google.com", 443));
        Assert.Equal(("www.google.com", 443u, EndpointTlsMode.Disabled), (tls.Address, tls.Port, tls.TlsMode));
        Assert.True(tls.Labels.IsEmpty);
        Assert.Equal(8080u, registry.EndpointsFor("maps.google.com", 80).Single().Port);
        Assert.Equal("maps.google.com", registry.EndpointsFor("maps.google.com", 80).Single().Address);
    }

    [Fact]
    public void Convert_DnsRoundRobin_KeepsOneEndpointPerPort()
    {
        var registry = TestConfig.Registry("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: shop}
            spec:
              hosts: [api.example.com]
              ports: [{number: 443, name: tls, protocol: TLS}]
              resolution: DNS_ROUND_ROBIN
              workloadSelector: {labels: {app: api}}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: api-1, namespace: shop}
            spec: {address: api-1.example.com, labels: {app: api}}
            ---
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: api-2, namespace: shop}
            spec: {address: api-2.example.com, labels: {app: api}}
            """);

        var endpoint = Assert.Single(registry.EndpointsFor("api.example.com", 443));
        Assert.Equal("api-1.example.com", endpoint.Address);
    }

    [Fact]
    public void Convert_NoneWithoutEndpoints_ServiceWithNoEndpoints()
    {
        var registry = TestConfig.Registry("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: passthrough, namespace: shop}
            spec:
              hosts: [legacy.example.com]
              addresses: [192.168.10.0/24]
              ports: [{number: 3306, name: tcp, protocol: TCP}]
              resolution: NONE
            """);

        Assert.Single(registry.Services);
        Assert.Empty(registry.Endpoints);
    }

    [Fact]
    public void Convert_StaticWithoutEndpoints_ServiceWithNoEndpoints()
    {
        var registry = TestConfig.Registry("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: later, namespace: shop}
            spec:
              hosts: [later.shop.internal]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
            """);

        Assert.Single(registry.Services);
        Assert.Empty(registry.Endpoints);
    }

    [Fact]
    public void Convert_DynamicDns_NoEndpoints()
    {
        var registry = TestConfig.Registry("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: any, namespace: shop}
            spec:
              hosts: ['*.example.com']
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DYNAMIC_DNS
            """);

        var service = Assert.Single(registry.Services);
        Assert.True(service.IsWildcard);
        Assert.Equal(ServiceResolution.DynamicDns, service.Resolution);
        Assert.Empty(registry.Endpoints);
    }
}
