using Meshwork.Config.Validation.Networking;
using Meshwork.Registry.Model;
using Meshwork.Registry.Tests.Support;

namespace Meshwork.Registry.Tests.ServiceEntries;

public class ServiceConversionTests
{
    [Fact]
    public void Convert_EntryWithTwoHosts_OneServicePerHostWithTheEntrysAttributes()
    {
        var content = TestConfig.Convert("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: external, namespace: shop}
            spec:
              hosts: [api.example.com, www.example.com]
              addresses: [10.1.2.3, 10.9.0.0/16, 10.4.4.4/32]
              ports:
              - {number: 443, name: https, protocol: HTTPS}
              - {number: 80, name: http, protocol: http, targetPort: 8080}
              - {number: 9000, name: web, protocol: grpc-web}
              location: MESH_EXTERNAL
              resolution: STATIC
              subjectAltNames: [spiffe://cluster.local/ns/shop/sa/api]
            """);

        Assert.Equal(["api.example.com", "www.example.com"], content.Services.Select(s => s.Hostname));
        var service = content.Services[0];
        Assert.Equal("shop", service.Namespace);
        Assert.Equal(ServiceResolution.Static, service.Resolution);
        Assert.Equal(ServiceLocation.MeshExternal, service.Location);
        Assert.True(service.IsMeshExternal);
        Assert.False(service.IsDnsResolved);
        Assert.Equal(["10.1.2.3", "10.9.0.0/16", "10.4.4.4"], service.Addresses);
        Assert.Equal(["spiffe://cluster.local/ns/shop/sa/api"], service.SubjectAltNames);
        Assert.Equal(
            [
                new MeshServicePort("https", 443, PortProtocol.Https),
                new MeshServicePort("http", 80, PortProtocol.Http, 8080),
                new MeshServicePort("web", 9000, PortProtocol.GrpcWeb),
            ],
            service.Ports);
        Assert.Equal(new("ServiceEntry", "shop", "external"), service.DefinedBy);
    }

    [Fact]
    public void Convert_ShortHost_KeptVerbatimAsIstioDoesForServiceEntries()
    {
        var content = TestConfig.Convert("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: reviews, namespace: bookinfo}
            spec:
              hosts: [reviews]
              ports: [{number: 9080, name: http, protocol: HTTP}, {number: 9000, name: raw}]
              location: MESH_INTERNAL
              resolution: STATIC
              endpoints: [{address: 10.0.0.1}]
            """);

        var service = Assert.Single(content.Services);
        Assert.Equal("reviews", service.Hostname);
        Assert.Equal(PortProtocol.Unsupported, service.Ports[1].Protocol);
        Assert.Equal(ServiceLocation.MeshInternal, service.Location);
        Assert.Equal(ServiceResolution.Static, service.Resolution);
    }

    [Theory]
    [InlineData("", "*")]
    [InlineData("exportTo: ['*']", "*")]
    [InlineData("exportTo: ['.']", "shop")]
    [InlineData("exportTo: ['~']", "~")]
    [InlineData("exportTo: [web, '.']", "shop,web")]
    public void Convert_ExportTo_ResolvedToNamespaces(string exportTo, string expected)
    {
        var content = TestConfig.Convert($"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {"{"}name: api, namespace: shop{"}"}
            spec:
              hosts: [api.example.com]
              ports: [{"{"}number: 80, name: http, protocol: HTTP{"}"}]
              resolution: DNS
              {exportTo}
            """);

        Assert.Equal(expected, content.Services.Single().ExportTo.ToString());
    }

    [Fact]
    public void ExportTo_Resolved_VisibilityFollowsIstio()
    {
        Assert.True(ServiceExportTo.Resolve([], "a").IsVisibleTo("b"));
        Assert.True(ServiceExportTo.Resolve(["."], "a").IsVisibleTo("a"));
        Assert.False(ServiceExportTo.Resolve(["."], "a").IsVisibleTo("b"));
        Assert.False(ServiceExportTo.Resolve(["~"], "a").IsVisibleTo("a"));
        Assert.True(ServiceExportTo.Resolve(["b"], "a").IsVisibleTo("b"));
        Assert.False(ServiceExportTo.Resolve(["b"], "a").IsVisibleTo("a"));
    }

    [Theory]
    [InlineData("NONE", ServiceResolution.None)]
    [InlineData("STATIC", ServiceResolution.Static)]
    [InlineData("DNS", ServiceResolution.Dns)]
    [InlineData("DNS_ROUND_ROBIN", ServiceResolution.DnsRoundRobin)]
    public void Convert_Resolution_MappedOneToOne(string resolution, ServiceResolution expected)
    {
        var content = TestConfig.Convert($"""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {"{"}name: api, namespace: shop{"}"}
            spec:
              hosts: [api.example.com]
              ports: [{"{"}number: 80, name: http, protocol: HTTP{"}"}]
              resolution: {resolution}
            """);

        Assert.Equal(expected, content.Services.Single().Resolution);
    }

    [Fact]
    public void Convert_SameHostInTwoNamespaces_TwoDefinitionsIndexedByNamespace()
    {
        var registry = TestConfig.Registry("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: a}
            spec:
              hosts: [api.example.com]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: b}
            spec:
              hosts: [api.example.com]
              ports: [{number: 8080, name: http, protocol: HTTP}]
              resolution: DNS
            """);

        Assert.Equal(["a", "b"], registry.ServicesFor("api.example.com").Select(s => s.Namespace));
        Assert.Equal(8080u, registry.Service("b", "api.example.com")!.Ports[0].Number);
        Assert.Null(registry.Service("c", "api.example.com"));
        Assert.Empty(registry.ServicesFor("unknown.example.com"));
    }

    [Fact]
    public void Convert_SameHostTwiceInOneNamespace_OldestDefinitionWinsAndEndpointsCombine()
    {
        var content = TestConfig.Convert("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: newer, namespace: a, creationTimestamp: "2024-02-01T00:00:00Z"}
            spec:
              hosts: [api.internal]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: 10.0.0.2}]
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: older, namespace: a, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              hosts: [api.internal]
              ports: [{number: 80, name: web, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: 10.0.0.1}]
            """);

        var service = Assert.Single(content.Services);
        Assert.Equal("older", service.DefinedBy.Name);
        Assert.Equal(["10.0.0.1", "10.0.0.2"], content.Endpoints.Select(e => e.Address));
    }

    [Fact]
    public void Convert_ServicesOrderedByCreationTimeThenHostname()
    {
        var content = TestConfig.Convert("""
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: b, namespace: x, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              hosts: [a.example.com]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: a, namespace: x, creationTimestamp: "2024-03-01T00:00:00Z"}
            spec:
              hosts: [z.example.com, c.example.com]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            """);

        Assert.Equal(["a.example.com", "c.example.com", "z.example.com"], content.Services.Select(s => s.Hostname));
    }

    [Fact]
    public void Convert_SameInputInAnotherOrder_SameContent()
    {
        const string first = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: one, namespace: x}
            spec:
              hosts: [one.example.com]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: STATIC
              endpoints: [{address: 10.0.0.2}, {address: 10.0.0.1}]
            """;
        const string second = """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: two, namespace: x}
            spec:
              hosts: [two.example.com]
              ports: [{number: 80, name: http, protocol: HTTP}]
              resolution: DNS
            """;

        var a = TestConfig.Convert(first + "\n---\n" + second);
        var b = TestConfig.Convert(second + "\n---\n" + first);

        // ImmutableArray's own Equals compares references, so compare the elements.
        Assert.Equal(a.Services.AsEnumerable(), b.Services.AsEnumerable());
        Assert.Equal(a.Endpoints.AsEnumerable(), b.Endpoints.AsEnumerable());
    }
}
