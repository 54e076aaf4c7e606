using Envoy.Config.Route.V3;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Generators.Routes;

/// <summary>Requests sent through generated route tables: which cluster (or answer) each one lands on.</summary>
public class RouteSimulationTests
{
    private static readonly ProxyNode ProductPage = RouteTestMesh.Proxy("productpage-v1", "127.0.0.10", "app=productpage,version=v1");

    private static readonly string Bookinfo =
        RouteTestMesh.Service("productpage") + RouteTestMesh.Service("reviews") + RouteTestMesh.Service("ratings") + """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: default}
        spec:
          hosts: [reviews]
          http:
          - match:
            - headers:
                end-user: {exact: jason}
            route:
            - destination: {host: reviews, subset: v2}
          - route:
            - destination: {host: reviews, subset: v3}
        """;

    [Theory]
    [InlineData("reviews:9080", "jason", "outbound|9080|v2|reviews.default.svc.cluster.local")]
    [InlineData("reviews:9080", "", "outbound|9080|v3|reviews.default.svc.cluster.local")]
    [InlineData("reviews.default.svc.cluster.local:9080", "jason", "outbound|9080|v2|reviews.default.svc.cluster.local")]
    [InlineData("reviews", "", "outbound|9080|v3|reviews.default.svc.cluster.local")]
    [InlineData("ratings.default:9080", "jason", "outbound|9080||ratings.default.svc.cluster.local")]
    [InlineData("www.example.com", "", "PassthroughCluster")]
    public void Send_SidecarOutboundTable_LandsOnIstiosCluster(string authority, string user, string expected)
    {
        var table = OutboundTable(RouteTestMesh.Snapshot(Bookinfo, Workloads()));
        var headers = user.Length > 0 ? new Dictionary<string, string> { ["end-user"] = user } : null;

        var outcome = RouteSimulator.Send(table, authority, "/reviews/1", headers);

        Assert.Equal(expected, outcome.Target);
    }

    [Fact]
    public void Send_RegistryOnlyUnknownHost_Gets502()
    {
        var mesh = MeshConfig.Default with { OutboundTrafficPolicy = new OutboundTrafficPolicy { Mode = OutboundTrafficMode.RegistryOnly } };
        var table = OutboundTable(RouteTestMesh.Snapshot(Bookinfo, Workloads(), mesh));

        Assert.Equal("direct:502", RouteSimulator.Send(table, "www.example.com").Target);
        Assert.Equal("outbound|9080||ratings.default.svc.cluster.local", RouteSimulator.Send(table, "ratings:9080").Target);
    }

    [Fact]
    public void Send_OtherNamespaceService_ReachableByNameDotNamespaceOnly()
    {
        var yaml = Bookinfo + "\n---\n" + RouteTestMesh.Service("cart", ns: "shop", ports: "{number: 8000, name: http, protocol: HTTP}");
        var table = OutboundTable(RouteTestMesh.Snapshot(yaml, Workloads()));

        Assert.Equal("outbound|8000||cart.shop.svc.cluster.local", RouteSimulator.Send(table, "cart.shop:8000").Target);
        Assert.Equal("outbound|8000||cart.shop.svc.cluster.local", RouteSimulator.Send(table, "cart.shop.svc").Target);
        Assert.Equal("PassthroughCluster", RouteSimulator.Send(table, "cart:8000").Target);
    }

    [Fact]
    public void Send_MultiPortService_EachPortItsOwnClusterAndBareNameOnFirstPort()
    {
        var yaml = RouteTestMesh.Service("echo", ports: "{number: 8080, name: http, protocol: HTTP}, {number: 80, name: http-web, protocol: HTTP}");
        var table = OutboundTable(RouteTestMesh.Snapshot(yaml, Workloads()));

        Assert.Equal("outbound|8080||echo.default.svc.cluster.local", RouteSimulator.Send(table, "echo:8080").Target);
        Assert.Equal("outbound|80||echo.default.svc.cluster.local", RouteSimulator.Send(table, "echo:80").Target);

        // Port 80 owns the bare names, as a browser-style Host without port means port 80.
        Assert.Equal("outbound|80||echo.default.svc.cluster.local", RouteSimulator.Send(table, "echo").Target);
        var domains = table.VirtualHosts.SelectMany(v => v.Domains).ToList();
        Assert.Equal(domains.Count, domains.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    [Fact]
    public void Send_GatewayTable_RoutesBoundVirtualServiceAndRequiresTlsWhenRedirecting()
    {
        var router = RouteTestMesh.Proxy("ingress-1", "127.0.0.100", "istio=ingressgateway", ns: "istio-system", ports: "", type: "router");
        var yaml = Bookinfo + "\n---\n" + """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: default}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 80, name: http, protocol: HTTP}
                hosts: [bookinfo.example.com]
                tls: {httpsRedirect: true}
              - port: {number: 8080, name: http-plain, protocol: HTTP}
                hosts: ["*"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: bookinfo, namespace: default}
            spec:
              hosts: [bookinfo.example.com]
              gateways: [gw]
              http:
              - match:
                - uri: {prefix: /reviews}
                route:
                - destination: {host: reviews, subset: v1}
              - route:
                - destination: {host: productpage}
            """;
        var snapshot = RouteTestMesh.Snapshot(yaml, Workloads());
        var generated = new RouteGenerator().Generate(snapshot, router, null).ToDictionary(r => r.Name, r => r.Resource.Unpack<RouteConfiguration>());

        Assert.Equal(["http.80", "http.8080"], generated.Keys.Order(StringComparer.Ordinal));
        var plain = generated["http.8080"];
        Assert.Equal("outbound|9080|v1|reviews.default.svc.cluster.local", RouteSimulator.Send(plain, "bookinfo.example.com:8080", "/reviews/2").Target);
        Assert.Equal("outbound|9080||productpage.default.svc.cluster.local", RouteSimulator.Send(plain, "bookinfo.example.com", "/productpage").Target);
        Assert.Null(RouteSimulator.Send(plain, "other.example.com").VirtualHost);
        Assert.Equal(VirtualHost.Types.TlsRequirementType.All, RouteSimulator.Send(generated["http.80"], "bookinfo.example.com").VirtualHost!.RequireTls);
    }

    private static RouteConfiguration OutboundTable(MeshSnapshot snapshot) =>
        new RouteGenerator().Generate(snapshot, ProductPage, new HashSet<string> { SidecarRouteTables.OutboundTable }).Single().Resource.Unpack<RouteConfiguration>();

    private static ProxyNode[] Workloads() =>
    [
        ProductPage,
        RouteTestMesh.Proxy("reviews-v1", "127.0.0.12", "app=reviews,version=v1"),
        RouteTestMesh.Proxy("ratings-v1", "127.0.0.15", "app=ratings,version=v1"),
    ];
}
