using Meshwork.Config.Networking;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Generators.Routes;

/// <summary>Which VirtualService and DestinationRule apply to a host, as Istio decides.</summary>
public class ScopeAndLookupTests
{
    private static readonly ProxyNode Client = RouteTestMesh.Proxy("client", "127.0.0.9", "app=client", ports: "");

    [Fact]
    public void For_ExactHostBeatsOlderWildcard_AndMostSpecificWildcardWins()
    {
        var yaml = RouteTestMesh.Service("reviews") + RouteTestMesh.Service("ratings") + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: a-wide, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              hosts: ["*.svc.cluster.local"]
              http: [{route: [{destination: {host: reviews}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: b-narrow, namespace: default, creationTimestamp: "2024-01-02T00:00:00Z"}
            spec:
              hosts: ["*.default.svc.cluster.local"]
              http: [{route: [{destination: {host: reviews}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: c-exact, namespace: default, creationTimestamp: "2024-01-03T00:00:00Z"}
            spec:
              hosts: [reviews]
              http: [{route: [{destination: {host: reviews}}]}]
            """;
        var snapshot = RouteTestMesh.Snapshot(yaml, [Client]);
        var scope = EgressListenerScope.For(snapshot, Client).Single();
        var virtualServices = MeshVirtualServices.For(snapshot, Client, scope);

        Assert.Equal("c-exact", virtualServices.For("reviews.default.svc.cluster.local")!.Name);
        Assert.Equal("b-narrow", virtualServices.For("ratings.default.svc.cluster.local")!.Name);
        Assert.Equal("a-wide", virtualServices.For("cart.shop.svc.cluster.local")!.Name);
    }

    [Fact]
    public void For_TwoMeshVirtualServicesForOneHost_OldestWinsWithoutMerging()
    {
        // Istio merges VirtualServices for one host only on gateways (istio/istio#36621); on sidecars the first one applies.
        var yaml = RouteTestMesh.Service("reviews") + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: newer, namespace: default, creationTimestamp: "2024-03-01T00:00:00Z"}
            spec:
              hosts: [reviews]
              http: [{match: [{uri: {prefix: /b}}], route: [{destination: {host: reviews, subset: b}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: older, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              hosts: [reviews]
              http: [{match: [{uri: {prefix: /a}}], route: [{destination: {host: reviews, subset: a}}]}]
            """;
        var snapshot = RouteTestMesh.Snapshot(yaml, [Client]);
        var table = new RouteGenerator().Generate(snapshot, Client, new HashSet<string> { "outbound" }).Single().Resource.Unpack<Envoy.Config.Route.V3.RouteConfiguration>();

        Assert.Equal("outbound|9080|a|reviews.default.svc.cluster.local", RouteSimulator.Send(table, "reviews:9080", "/a").Target);
        Assert.Null(RouteSimulator.Send(table, "reviews:9080", "/b").Target);
    }

    [Fact]
    public void For_VirtualServiceExportedElsewhereOrBoundToGateway_NotApplied()
    {
        var yaml = RouteTestMesh.Service("reviews") + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: private, namespace: other}
            spec:
              hosts: [reviews.default.svc.cluster.local]
              exportTo: ["."]
              http: [{route: [{destination: {host: reviews.default.svc.cluster.local}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: edge, namespace: default}
            spec:
              hosts: [reviews]
              gateways: [ingress]
              http: [{route: [{destination: {host: reviews}}]}]
            """;
        var snapshot = RouteTestMesh.Snapshot(yaml, [Client]);
        var scope = EgressListenerScope.For(snapshot, Client).Single();

        Assert.Null(MeshVirtualServices.For(snapshot, Client, scope).For("reviews.default.svc.cluster.local"));
    }

    [Fact]
    public void RuleFor_ProxyNamespaceThenServiceNamespaceThenRoot()
    {
        var yaml = RouteTestMesh.Service("cart", ns: "shop") + """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: root, namespace: istio-system}
            spec:
              host: "*.svc.cluster.local"
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: from-root}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
              host: cart
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: from-service-ns}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart-private, namespace: shop}
            spec:
              host: cart.shop.svc.cluster.local
              exportTo: ["."]
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: private}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart-client, namespace: default}
            spec:
              host: cart.shop.svc.cluster.local
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: from-proxy-ns}}}
            """;
        var snapshot = RouteTestMesh.Snapshot(yaml, [Client]);
        var inDefault = DestinationRuleLookup.For(snapshot, Client);
        var inBilling = DestinationRuleLookup.For(snapshot, RouteTestMesh.Proxy("billing", "127.0.0.8", "app=billing", ns: "billing", ports: ""));
        var destination = new Destination { Host = "cart.shop.svc.cluster.local" };

        Assert.Equal("from-proxy-ns", inDefault.HashFor(destination, "shop")!.HttpHeaderName);

        // cart-private (exact host) is not exported to billing, so the exported shop rule applies there.
        Assert.Equal("from-service-ns", inBilling.HashFor(destination, "shop")!.HttpHeaderName);
        Assert.Equal("from-root", inBilling.HashFor(new Destination { Host = "ratings.other.svc.cluster.local" }, "other")!.HttpHeaderName);
    }

    [Fact]
    public void AllFor_ExactAndWildcardHosts_InIstiosOrder()
    {
        var yaml = RouteTestMesh.Service("reviews") + """
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: a-wide, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              hosts: ["*.svc.cluster.local"]
              tcp: [{route: [{destination: {host: reviews}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: b-exact, namespace: default, creationTimestamp: "2024-01-02T00:00:00Z"}
            spec:
              hosts: [reviews, other.example.com]
              tcp: [{route: [{destination: {host: reviews}}]}]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: c-narrow, namespace: default, creationTimestamp: "2024-01-03T00:00:00Z"}
            spec:
              hosts: ["*.default.svc.cluster.local"]
              tcp: [{route: [{destination: {host: reviews}}]}]
            """;
        var snapshot = RouteTestMesh.Snapshot(yaml, [Client]);
        var virtualServices = MeshVirtualServices.For(snapshot, Client, EgressListenerScope.For(snapshot, Client).Single());

        Assert.Equal(["a-wide", "b-exact", "c-narrow"], virtualServices.AllFor("reviews.default.svc.cluster.local").Select(v => v.Name));
        Assert.Equal(["a-wide", "c-narrow"], virtualServices.AllFor("ratings.default.svc.cluster.local").Select(v => v.Name));
        Assert.Equal(["a-wide", "b-exact", "c-narrow"], virtualServices.AllFor("*.default.svc.cluster.local").Select(v => v.Name));
        Assert.Equal(["b-exact"], virtualServices.AllFor("other.example.com").Select(v => v.Name));
    }

    [Fact]
    public void RuleFor_RulesForOneHostMergeInOrder_AndTheLongestWildcardWins()
    {
        var yaml = RouteTestMesh.Service("reviews") + RouteTestMesh.Service("ratings") + """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: a-first, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: first}}}
              subsets: [{name: v1, labels: {version: v1}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: b-second, namespace: default, creationTimestamp: "2024-01-02T00:00:00Z"}
            spec:
              host: reviews
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: second}}}
              subsets: [{name: v2, labels: {version: v2}, trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: from-v2}}}}]
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: c-wide, namespace: default, creationTimestamp: "2024-01-03T00:00:00Z"}
            spec:
              host: "*.svc.cluster.local"
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: wide}}}
            ---
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: d-narrow, namespace: default, creationTimestamp: "2024-01-04T00:00:00Z"}
            spec:
              host: "*.default.svc.cluster.local"
              trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: narrow}}}
            """;
        var rules = DestinationRuleLookup.For(RouteTestMesh.Snapshot(yaml, [Client]), Client);

        Assert.Equal("first", rules.HashFor(new Destination { Host = "reviews.default.svc.cluster.local" }, "default")!.HttpHeaderName);
        Assert.Equal("from-v2", rules.HashFor(new Destination { Host = "reviews.default.svc.cluster.local", Subset = "v2" }, "default")!.HttpHeaderName);
        Assert.Equal("narrow", rules.HashFor(new Destination { Host = "ratings.default.svc.cluster.local" }, "default")!.HttpHeaderName);
        Assert.Equal("wide", rules.HashFor(new Destination { Host = "cart.shop.svc.cluster.local" }, "shop")!.HttpHeaderName);
    }

    [Fact]
    public void For_RootNamespaceSidecarDot_MeansTheProxysNamespace()
    {
        var yaml = RouteTestMesh.Service("reviews") + RouteTestMesh.Service("cart", ns: "shop") + """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: istio-system}
            spec:
              egress:
              - hosts: ["./*"]
            """;
        var snapshot = RouteTestMesh.Snapshot(yaml, [Client]);

        Assert.Equal(["reviews.default.svc.cluster.local"], EgressListenerScope.For(snapshot, Client).Single().Services.Select(s => s.Hostname));
        Assert.Equal(["reviews.default.svc.cluster.local"], ProxyScope.For(snapshot, Client).Services.Select(s => s.Hostname));
    }

    [Theory]
    [InlineData("echo", "echo.default.svc.cluster.local")]
    [InlineData("echo.default", "echo.default.svc.cluster.local")]
    [InlineData("echo.default.svc", "echo.default.svc.cluster.local")]
    [InlineData("echo.other", null)]
    public void Fqdn_ProxylessShortNames_ResolveInTheClientsDomain(string host, string? expected)
    {
        Assert.Equal(expected, ProxylessTargets.Fqdn(host, Client));
    }
}
